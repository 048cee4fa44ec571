// The certificate the TLS benchmark (--tls) serves: RSA 2048, self-signed, made with Debian's
// openssl at the start of a run and removed after it. Both servers read the same files.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const DAYS = "2";
// Read by servers that run as nobody.
const DIR_MODE = 0o755;
const FILE_MODE = 0o644;

export interface BenchCert {
  /** The server flags that serve it: -Z -o ssl_chain_cert=…,ssl_key=… */
  serverArgs: string[];
  remove(): void;
}

export function makeBenchCert(): BenchCert {
  const dir = mkdtempSync(path.join(tmpdir(), "wasmcached-bench-tls-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", DAYS,
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: ["ignore", "ignore", "pipe"] });
  chmodSync(dir, DIR_MODE);
  chmodSync(cert, FILE_MODE);
  chmodSync(key, FILE_MODE);
  return {
    serverArgs: ["-Z", "-o", `ssl_chain_cert=${cert},ssl_key=${key}`],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
