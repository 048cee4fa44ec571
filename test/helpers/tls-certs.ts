// Test certificates, made at test time with Debian's openssl (never committed): a CA, a server
// certificate for 127.0.0.1 and a client certificate it signed, one it signed that has expired,
// a second server certificate (refresh_certs), and a client certificate from a CA the server
// does not trust.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second server identity (CN wasmcached-test-2), for refresh_certs. */
  otherCert: string;
  otherKey: string;
  clientCert: string;
  clientKey: string;
  expiredClientCert: string;
  expiredClientKey: string;
  rogueClientCert: string;
  rogueClientKey: string;
  remove(): void;
}

const DAYS = "30";
// `openssl ca` is the one openssl 3.0 command that takes any validity dates: it needs a
// database and a configuration of its own.
const CA_CONFIG = `[ca]
default_ca = test
[test]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
`;

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function selfSigned(dir: string, name: string, cn: string): void {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`,
    "-days", DAYS, "-subj", `/CN=${cn}`);
}

// Version 3 certificates with their purpose stated: rustls (Deno's TLS) accepts no others.
const SERVER_EXTENSIONS = ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext", "extendedKeyUsage=serverAuth"];
const CLIENT_EXTENSIONS = ["-addext", "extendedKeyUsage=clientAuth"];

function request(dir: string, name: string, cn: string, extensions: string[]): void {
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`,
    ...extensions);
}

function signed(dir: string, name: string, cn: string, ca: string, extensions: string[]): void {
  request(dir, name, cn, extensions);
  openssl(dir, "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-set_serial", "2",
    "-days", DAYS, "-copy_extensions", "copy", "-out", `${name}.pem`);
}

function expired(dir: string, name: string, cn: string, ca: string): void {
  request(dir, name, cn, CLIENT_EXTENSIONS);
  writeFileSync(join(dir, "ca.cnf"), CA_CONFIG);
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "10\n");
  openssl(dir, "ca", "-batch", "-config", "ca.cnf", "-cert", `${ca}.pem`, "-keyfile", `${ca}.key`, "-in", `${name}.csr`,
    "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-out", `${name}.pem`, "-notext");
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "wasmcached-tls-"));
  const path = (f: string) => join(dir, f);
  selfSigned(dir, "ca", "wasmcached-test-ca");
  signed(dir, "server", "wasmcached-test", "ca", SERVER_EXTENSIONS);
  signed(dir, "other", "wasmcached-test-2", "ca", SERVER_EXTENSIONS);
  signed(dir, "client", "wasmcached-test-client", "ca", CLIENT_EXTENSIONS);
  expired(dir, "expired", "wasmcached-test-expired", "ca");
  selfSigned(dir, "rogue-ca", "wasmcached-test-rogue-ca");
  signed(dir, "rogue", "wasmcached-test-rogue", "rogue-ca", CLIENT_EXTENSIONS);
  // Servers started with -u nobody read them again on refresh_certs.
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  return {
    dir,
    caCert: path("ca.pem"),
    serverCert: path("server.pem"),
    serverKey: path("server.key"),
    otherCert: path("other.pem"),
    otherKey: path("other.key"),
    clientCert: path("client.pem"),
    clientKey: path("client.key"),
    expiredClientCert: path("expired.pem"),
    expiredClientKey: path("expired.key"),
    rogueClientCert: path("rogue.pem"),
    rogueClientKey: path("rogue.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The -Z flags for a server with these certificates, plus any more -o suboptions. */
export function tlsArgs(c: TestCertificates, ...more: string[]): string[] {
  return ["-Z", "-o", [`ssl_chain_cert=${c.serverCert}`, `ssl_key=${c.serverKey}`, ...more].join(",")];
}
