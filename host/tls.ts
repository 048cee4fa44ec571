// TLS as memcached serves it (-Z): the certificate chain, key and client CAs the ssl_* options
// name, checked in memcached's order with its messages, at start-up and on refresh_certs; and
// what a socket adapter needs to build its runtime's TLS (node/tls.ts, bun/tls.ts). The driver
// and the core see plain bytes.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { SecureVersion } from "node:tls";
import { ServerOptions, TlsVerify, KeyFormat } from "./options.js";
import { opensslSystemError, systemErrorCode } from "./system_error.js";
import type { SessionStore } from "./tls_session_cache.js";

/** PEM text the runtime's TLS takes: the chain (leaf first), the key, the client CAs. */
export interface TlsMaterial {
  cert: string;
  key: string;
  ca?: string;
}

/** How the server negotiates, fixed at start-up. */
export interface TlsConfig {
  /** ssl_verify_mode ≥ 1: ask clients for a certificate; one that is sent must check out. */
  requestCert: boolean;
  /** ssl_verify_mode ≥ 2: a client without a valid certificate is refused. */
  requireCert: boolean;
  minVersion: SecureVersion;
  /** ssl_ciphers, when given (the runtime's defaults otherwise). */
  ciphers?: string;
  /** ssl_session_cache: sessions kept on the server for resumption by id, and counted. */
  sessionCache: boolean;
  /** Where they are kept when every worker thread's context shares them (default: its own). */
  sessions?: SessionStore;
  /** The keys session tickets are sealed with, when every worker's context shares them
   * (default: the runtime makes its own). */
  ticketKeys?: Uint8Array;
}

/** What the adapters report, for `stats`. */
export interface TlsEvents {
  /** A handshake failed on a TLS error (not a client that just went away). */
  handshakeFailed(): void;
  /** The server created a session (ssl_session_cache only). */
  newSession(): void;
}

/** A runtime's TLS, shared by its TLS listeners. */
export interface TlsContext {
  /** New certificates for the connections accepted from now on; throws if the runtime refuses them. */
  reload(material: TlsMaterial): void;
}

/**
 * Certificates memcached would refuse to start with; the message is its own (exit EX_USAGE), and
 * so is the line end it prints it with.
 */
export class TlsError extends Error {
  constructor(message: string, readonly lineEnd = "\r\n") {
    super(message);
  }
}

// ssl_min_version 0-3 in the runtimes' spelling.
const MIN_VERSIONS: readonly SecureVersion[] = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
// OpenSSL's default session lifetime for TLS servers, which memcached keeps; it also bounds
// how long a ticket resumes.
export const SESSION_TIMEOUT_S = 7200;

export function tlsConfig(o: ServerOptions): TlsConfig {
  return {
    requestCert: o.sslVerifyMode >= TlsVerify.REQUEST,
    requireCert: o.sslVerifyMode >= TlsVerify.REQUIRE,
    minVersion: MIN_VERSIONS[o.sslMinVersion],
    ciphers: o.sslCiphers || undefined,
    sessionCache: o.sslSessionCache,
  };
}

/** memcached's refusal of an ssl_ciphers list the runtime matches nothing in. */
export function cipherError(o: ServerOptions): TlsError {
  return new TlsError(`Error setting the provided cipher(s): ${o.sslCiphers}`, "\n");
}

// ── reading PEM ──────────────────────────────────────────────────────────────────────────

/** Why a file could not be used: OpenSSL's reason text, as memcached prints it. */
class Unusable extends Error {}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const CERT_LABELS = new Set(["CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE"]);
// OpenSSL's reasons where no runtime call reports one (a key that does not fit its certificate
// is caught by comparing them; a CA file without certificates is accepted by node:tls).
const KEY_MISMATCH = "error:05800074:x509 certificate routines::key values mismatch";
const NO_CA_FOUND = "error:05800088:x509 certificate routines::no certificate or crl found";
const BAD_FILETYPE = "error:0A00007C:SSL routines::bad ssl filetype";

// The file's bytes. memcached hands OpenSSL a NULL name for an option not given (EFAULT), and a
// directory reads as empty there.
function readTlsFile(path: string): Buffer {
  if (!path) throw new Unusable(opensslSystemError("EFAULT"));
  try {
    return readFileSync(path);
  } catch (err) {
    if (systemErrorCode(err) === "EISDIR") return Buffer.alloc(0);
    throw new Unusable(opensslSystemError(systemErrorCode(err)));
  }
}

/** The PEM blocks of a file whose label `wanted` accepts, in order (OpenSSL skips the others). */
function pemBlocks(bytes: Buffer, wanted: (label: string) => boolean): string[] {
  return [...bytes.toString("latin1").matchAll(PEM_BLOCK)].filter((m) => wanted(m[1])).map((m) => m[0]);
}

/** The runtime's own reason for refusing `input` (e.g. "error:0480006C:PEM routines::no start line"). */
function reasonOf(parse: () => unknown, fallback: string): string {
  try {
    parse();
  } catch (err) {
    return (err as Error).message;
  }
  return fallback;
}

function certificates(bytes: Buffer): X509Certificate[] {
  const blocks = pemBlocks(bytes, (label) => CERT_LABELS.has(label));
  if (blocks.length === 0) throw new Unusable(reasonOf(() => new X509Certificate(bytes), "no start line"));
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Unusable((err as Error).message);
    }
  });
}

function privateKey(bytes: Buffer, format: number): KeyObject {
  try {
    if (format === KeyFormat.DER) return derKey(bytes);
    if (format !== KeyFormat.PEM) throw new Unusable(BAD_FILETYPE);
    const [block] = pemBlocks(bytes, (label) => label.endsWith("PRIVATE KEY"));
    return createPrivateKey(block ?? bytes);
  } catch (err) {
    throw err instanceof Unusable ? err : new Unusable((err as Error).message);
  }
}

// OpenSSL's DER loader tries each encoding a private key comes in; the first one's complaint
// is the one reported.
function derKey(bytes: Buffer): KeyObject {
  let first: unknown;
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      return createPrivateKey({ key: bytes, format: "der", type });
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

// ── loading, in memcached's order ────────────────────────────────────────────────────────

function loadChain(path: string): X509Certificate[] {
  try {
    return certificates(readTlsFile(path));
  } catch (err) {
    throw failed(err, `Error loading the certificate chain: ${path || "(null)"} : `);
  }
}

function loadKey(path: string, format: number, leaf: X509Certificate): KeyObject {
  try {
    const key = privateKey(readTlsFile(path), format);
    if (!leaf.checkPrivateKey(key)) throw new Unusable(KEY_MISMATCH);
    return key;
  } catch (err) {
    throw failed(err, `Error loading the key: ${path || "(null)"} : `);
  }
}

function loadCa(path: string): X509Certificate[] {
  try {
    const bytes = readTlsFile(path);
    if (pemBlocks(bytes, (label) => CERT_LABELS.has(label)).length === 0) throw new Unusable(NO_CA_FOUND);
    return certificates(bytes);
  } catch (err) {
    throw failed(err, `Error loading the CA certificate: ${path} : `);
  }
}

function failed(err: unknown, prefix: string): Error {
  return err instanceof Unusable ? new TlsError(prefix + err.message) : (err as Error);
}

/** The certificate chain, key and CAs the options name; throws TlsError with memcached's message. */
export function loadTlsMaterial(o: ServerOptions): TlsMaterial {
  const chain = loadChain(o.sslChainCert);
  const key = loadKey(o.sslKey, o.sslKeyformat, chain[0]);
  const ca = o.sslCaCert ? loadCa(o.sslCaCert) : undefined;
  return {
    cert: chain.map((c) => c.toString()).join(""),
    key: key.export({ format: "pem", type: "pkcs8" }) as string,
    ca: ca?.map((c) => c.toString()).join(""),
  };
}

/**
 * refresh_certs: reads the files again and swaps them in for new connections (connections
 * already open keep theirs). Returns null, or memcached's reply line saying why not; on failure
 * the certificates in use stay as they were.
 */
export function refreshCerts(o: ServerOptions, context: TlsContext): string | null {
  try {
    context.reload(loadTlsMaterial(o));
    return null;
  } catch (err) {
    if (err instanceof TlsError) return err.message;
    return `Error validating the certificate: ${(err as Error).message}`;
  }
}
