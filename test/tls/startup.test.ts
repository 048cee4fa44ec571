// TLS settings and -l entries memcached refuses to start with: wasmcached must refuse them too,
// with the same message and exit status. Both binaries are run with each command line.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MEMCACHED_BIN, WASMCACHED_CLI } from "../helpers/servers.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls-certs.js";

// OpenSSL's error queue, which memcached also dumps to stderr: "803541D51D7F0000:error:…".
const OPENSSL_QUEUE_LINE = /^[0-9A-F]+:error:/;
const RUN_LIMIT_MS = 10000;
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

interface Outcome {
  status: number | null;
  stderr: string;
}

function run(cmd: string[], args: string[]): Outcome {
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...(isRoot ? ["-u", "root"] : []), "-p", "-1", "-U", "0", ...args], {
    encoding: "utf8", timeout: RUN_LIMIT_MS,
  });
  const stderr = r.stderr.split("\n").filter((l) => !OPENSSL_QUEUE_LINE.test(l)).join("\n");
  return { status: r.status, stderr };
}

describe("TLS and -l start-up refusals: memcached vs wasmcached", function () {
  this.timeout(60000);
  let c: TestCertificates;
  before(() => {
    c = makeTestCertificates();
    writeFileSync(join(c.dir, "junk.pem"), "not a certificate\n");
  });
  after(() => c.remove());

  const chainAndKey = (cert: string, key: string, ...more: string[]) => ["-Z", "-o", [`ssl_chain_cert=${cert}`, `ssl_key=${key}`, ...more].join(",")];
  const cases: [string, () => string[]][] = [
    ["-Z without a certificate", () => ["-Z"]],
    ["a chain file that does not exist", () => ["-Z", "-o", "ssl_chain_cert=/nonexistent.pem"]],
    ["no key", () => ["-Z", "-o", `ssl_chain_cert=${c.serverCert}`]],
    ["a key file that does not exist", () => chainAndKey(c.serverCert, "/nonexistent.key")],
    ["a key that does not fit the certificate", () => chainAndKey(c.serverCert, c.clientKey)],
    ["a key where the chain should be", () => chainAndKey(c.serverKey, c.serverKey)],
    ["a certificate where the key should be", () => chainAndKey(c.serverCert, c.serverCert)],
    ["a chain file of junk", () => chainAndKey(join(c.dir, "junk.pem"), c.serverKey)],
    ["a directory as the chain", () => chainAndKey(c.dir, c.serverKey)],
    ["ssl_keyformat 3", () => chainAndKey(c.serverCert, c.serverKey, "ssl_keyformat=3")],
    ["a CA file that does not exist", () => chainAndKey(c.serverCert, c.serverKey, "ssl_ca_cert=/nonexistent.pem")],
    ["a CA file without certificates", () => chainAndKey(c.serverCert, c.serverKey, `ssl_ca_cert=${c.serverKey}`)],
    ["ciphers that match nothing", () => chainAndKey(c.serverCert, c.serverKey, "ssl_ciphers=NOSUCHCIPHER")],
    ["-Z without TCP", () => [...chainAndKey(c.serverCert, c.serverKey), "-p", "0"]],
    ["notls: without -Z", () => ["-l", "notls:127.0.0.1"]],
    ["an -l port that is not a number", () => [...chainAndKey(c.serverCert, c.serverKey), "-l", "127.0.0.1:http"]],
    ["an -l IPv6 address without its closing bracket", () => ["-l", "[::1"]],
    ["ssl_verify_mode 4", () => ["-o", "ssl_verify_mode=4"]],
    ["ssl_verify_mode not a number", () => ["-o", "ssl_verify_mode=x"]],
    ["ssl_verify_mode without a value", () => ["-o", "ssl_verify_mode"]],
    ["ssl_min_version 4", () => ["-o", "ssl_min_version=4"]],
    ["ssl_wbuf_size negative", () => ["-o", "ssl_wbuf_size=-1"]],
    ["ssl_keyformat not a number", () => ["-o", "ssl_keyformat=pem"]],
    ["ssl_chain_cert without a value", () => ["-o", "ssl_chain_cert"]],
  ];
  for (const [name, args] of cases) {
    it(name, () => {
      const reference = run([MEMCACHED_BIN], args());
      const candidate = run([process.execPath, WASMCACHED_CLI], args());
      expect(reference.status, `memcached refused: ${reference.stderr}`).to.not.equal(null);
      expect(candidate).to.deep.equal(reference);
    });
  }
});
