// Bun's own TLS for the Bun adapter: each accepted socket is upgraded in place (upgradeTLS,
// BoringSSL inside Bun's socket layer), so the handshake and record work stay out of
// JavaScript. A connection is the driver's from the moment TCP accepts it, as in memcached, and
// refresh_certs only changes the certificates the next upgrades take (Bun.listen's own `tls`
// option cannot be changed on a running listener).
import { createSecureContext } from "node:tls";
import type { TlsConfig, TlsContext, TlsEvents, TlsMaterial } from "../tls.js";

/** Bun.listen's `tls` option, as far as used here. */
export interface BunTlsOptions {
  cert: string;
  key: string;
  ca?: string;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  minVersion: number;
  ciphers?: string;
}

/** The socket facts a handshake is judged by. */
export interface HandshakeSocket {
  getPeerCertificate(): object | null | undefined;
}

// SSL/TLS protocol versions as numbers (0x0301…0x0304), ssl_min_version 0-3.
const TLS_VERSION_NUMBERS: Record<string, number> = { TLSv1: 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304 };
// A client that went away mid-handshake: not a handshake error.
const GONE = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"]);

export class BunTls implements TlsContext {
  private current: BunTlsOptions;

  constructor(private readonly config: TlsConfig, material: TlsMaterial, private readonly events: TlsEvents) {
    // Bun.listen would refuse a cipher list only once listening starts; its node:tls, on the
    // same BoringSSL, says so now.
    if (config.ciphers) createSecureContext({ ciphers: config.ciphers });
    this.current = this.options(material);
  }

  /** The options the next accepted socket is upgraded with. */
  get tlsOptions(): BunTlsOptions { return this.current; }

  reload(material: TlsMaterial): void {
    this.current = this.options(material);
  }

  /**
   * Bun's handshake callback: false when the connection must close. A failed handshake's socket
   * Bun closes itself; a certificate that did not check out is reported, not refused (an
   * upgraded socket does not apply rejectUnauthorized), so it is refused here: always when
   * certificates are required, and when one was sent in verify mode 1. Bun reports a missing
   * issuer even when no certificate was asked for: that is no refusal.
   */
  handshake(s: HandshakeSocket, ok: boolean, err: (Error & { code?: string }) | null): boolean {
    if (!ok) {
      if (!GONE.has(err?.code ?? "")) this.events.handshakeFailed();
      return false;
    }
    if (!this.config.requestCert || !err) return true;
    const presented = Object.keys(s.getPeerCertificate() ?? {}).length > 0;
    if (!presented && !this.config.requireCert) return true;
    this.events.handshakeFailed();
    return false;
  }

  private options(material: TlsMaterial): BunTlsOptions {
    const c = this.config;
    return {
      ...material,
      requestCert: c.requestCert,
      rejectUnauthorized: c.requireCert,
      minVersion: TLS_VERSION_NUMBERS[c.minVersion],
      ciphers: c.ciphers,
    };
  }
}
