// A real TLS client: Debian's python3-pymemcache with an ssl.SSLContext that checks the
// server's certificate against the test CA (and the server's 127.0.0.1 name), against
// wasmcached -Z requiring client certificates.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { startWasmcached, type RunningServer } from "../helpers/servers.js";
import { makeTestCertificates, tlsArgs, type TestCertificates } from "../helpers/tls-certs.js";

const PYTHON = "/usr/bin/python3"; // Debian's, where python3-pymemcache installs
const RUN_LIMIT_MS = 30000;

// Prints one JSON line of results; a refused client prints {"refused": "<exception type>"}.
const SCRIPT = `
import json, ssl, sys
from pymemcache.client.base import Client
port, ca, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
if cert:
    ctx.load_cert_chain(cert, key)
c = Client(("127.0.0.1", port), tls_context=ctx, connect_timeout=5, timeout=5, default_noreply=False)
def session():
    c.set("greeting", "hello", expire=60)
    big = b"x" * 500000
    c.set("big", big)
    c.set_many({"k%d" % i: str(i) for i in range(50)})
    many = c.get_many(["k%d" % i for i in range(50)] + ["missing"])
    c.set("n", "41")
    value, cas = c.gets("greeting")
    return {
        "greeting": c.get("greeting").decode(),
        "big": len(c.get("big")),
        "many": len(many),
        "incr": c.incr("n", 1),
        "cas": c.cas("greeting", "hi", cas),
        "cas_again": c.cas("greeting", "hey", cas),
        "deleted": c.delete("n"),
        "version": c.version().decode(),
        "ssl_handshake_errors": int(c.stats()[b"ssl_handshake_errors"]),
    }
# TLS 1.3 judges the client's certificate after the client is done: the refusal surfaces at
# the first reply.
try:
    out = session()
except (ssl.SSLError, OSError) as e:
    out = {"refused": type(e).__name__}
print(json.dumps(out))
`;

function pymemcache(port: number, certs: TestCertificates, withCert: boolean): Record<string, unknown> {
  const args = ["-c", SCRIPT, String(port), certs.caCert, withCert ? certs.clientCert : "", withCert ? certs.clientKey : ""];
  const r = spawnSync(PYTHON, args, { encoding: "utf8", timeout: RUN_LIMIT_MS });
  if (r.status !== 0) throw new Error(`pymemcache failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe("client: pymemcache over TLS (Debian's python3-pymemcache)", function () {
  this.timeout(60000);
  let certs: TestCertificates;
  let server: RunningServer;

  before(async () => {
    certs = makeTestCertificates();
    server = await startWasmcached(tlsArgs(certs, "ssl_verify_mode=2", `ssl_ca_cert=${certs.caCert}`));
  });
  after(async () => {
    await server?.stop();
    certs?.remove();
  });

  it("with a client certificate: stores, reads, multi-gets, counts and compares-and-swaps", () => {
    expect(pymemcache(server.port, certs, true)).to.deep.equal({
      greeting: "hello", big: 500000, many: 50, incr: 42, cas: true, cas_again: false, deleted: true,
      version: "1.6.18", ssl_handshake_errors: 0,
    });
  });

  it("without one: refused, counted, and the next client is served", () => {
    expect(pymemcache(server.port, certs, false)).to.have.property("refused");
    expect(pymemcache(server.port, certs, true)).to.include({ greeting: "hello", ssl_handshake_errors: 1 });
  });
});
