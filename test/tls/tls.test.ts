// TLS (-Z) over real sockets, with node:tls as the client: what a TLS server must do that the
// byte-for-byte comparison with memcached (differential.test.ts) cannot show — certificates,
// client verification, refresh_certs, sessions, and handshakes that go wrong without
// disturbing anyone else.
import { expect } from "chai";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type tls from "node:tls";
import { RUNTIMES, startWasmcachedOn, type RunningServer, type RuntimeName } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { makeTestCertificates, tlsArgs, type TestCertificates } from "../helpers/tls-certs.js";
import { Op, packet, parsePackets, Status } from "../helpers/binary.js";

import { constants } from "node:crypto";

const { SSL_OP_NO_TICKET } = constants;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function peerName(c: SocketClient): string {
  return String((c.socket as tls.TLSSocket).getPeerCertificate().subject.CN);
}

function identity(cert: string, key: string): tls.ConnectionOptions {
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

// A TLS client the server refuses: the handshake fails, or (TLS 1.3, where the client's
// certificate is judged after the client has finished) the first request finds the
// connection closed.
async function refused(port: number, options: tls.ConnectionOptions): Promise<boolean> {
  let c: SocketClient;
  try {
    c = await SocketClient.connectTls(port, options);
  } catch {
    return true;
  }
  try {
    await c.send("version\r\n");
    const reply = await c.readLine(3000);
    return reply !== "VERSION 1.6.18\r\n";
  } catch {
    return true;
  } finally {
    c.destroy();
  }
}

async function statValue(port: number, name: string, group = ""): Promise<string | undefined> {
  const c = await SocketClient.connectTls(port);
  try {
    return (await stats(c, group)).get(name);
  } finally {
    c.destroy();
  }
}

describe("TLS (-Z)", function () {
  this.timeout(60000);
  let certs: TestCertificates;
  const servers: RunningServer[] = [];
  const start = async (args: string[], runtime: RuntimeName = "node") => {
    const s = await startWasmcachedOn(runtime, args);
    servers.push(s);
    return s;
  };

  before(() => {
    certs = makeTestCertificates();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  after(() => certs.remove());

  it("serves text, meta and binary commands over TLS, and plain TCP beside it on a notls: listener", async () => {
    const s = await start([...tlsArgs(certs), "-l", "127.0.0.1,notls:127.0.0.1:0"]);
    const [tlsPort, plainPort] = s.ports;
    const t = await SocketClient.connectTls(tlsPort);
    expect(await t.request("set k 0 0 5\r\nhello\r\n")).to.equal("STORED\r\n");
    expect(await t.request("mg k v\r\n", "hello\r\n")).to.equal("VA 5\r\nhello\r\n");
    const b = await SocketClient.connectTls(tlsPort);
    await b.send(packet(Op.GET, { key: "k" }));
    const got = parsePackets(await b.readBytes(24 + 4 + 5)).packets[0];
    expect(got.status).to.equal(Status.SUCCESS);
    expect(got.value.toString()).to.equal("hello");
    const plain = await SocketClient.connect(plainPort);
    expect(await plain.request("get k\r\n", "END\r\n")).to.equal("VALUE k 0 5\r\nhello\r\nEND\r\n");
    t.destroy();
    b.destroy();
    plain.destroy();
  });

  it("carries a 1 MB value and a 100-key multi-get across many TLS records", async () => {
    const s = await start(tlsArgs(certs));
    const c = await SocketClient.connectTls(s.port);
    const big = Buffer.alloc(1024 * 1024 - 512, "x");
    await c.send(Buffer.concat([Buffer.from(`set big 0 0 ${big.length}\r\n`), big, Buffer.from("\r\n")]));
    expect(await c.readLine()).to.equal("STORED\r\n");
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    for (const k of keys) await c.send(`set ${k} 0 0 ${k.length} noreply\r\n${k}\r\n`);
    const reply = await c.request(`get big ${keys.join(" ")}\r\n`, "END\r\n");
    expect(reply.length).to.equal(`VALUE big 0 ${big.length}\r\n`.length + big.length + 2 +
      keys.reduce((n, k) => n + `VALUE ${k} 0 ${k.length}\r\n${k}\r\n`.length, 0) + 5);
    c.destroy();
  });

  it("refresh_certs serves the new certificate to new connections; open ones keep theirs", async () => {
    const cert = join(certs.dir, "live.pem");
    const key = join(certs.dir, "live.key");
    copyFileSync(certs.serverCert, cert);
    copyFileSync(certs.serverKey, key);
    const s = await start(["-Z", "-o", `ssl_chain_cert=${cert},ssl_key=${key}`]);
    const old = await SocketClient.connectTls(s.port);
    expect(peerName(old)).to.equal("wasmcached-test");
    const before = Number((await stats(old)).get("time_since_server_cert_refresh"));
    expect(before).to.be.at.least(60); // memcached counts from before its clock started
    copyFileSync(certs.otherCert, cert);
    copyFileSync(certs.otherKey, key);
    expect(await old.request("refresh_certs\r\n")).to.equal("OK\r\n");
    expect(Number((await stats(old)).get("time_since_server_cert_refresh"))).to.be.below(before);
    expect(await old.request("refresh_certs noreply\r\nversion\r\n")).to.equal("VERSION 1.6.18\r\n");
    const fresh = await SocketClient.connectTls(s.port);
    expect(peerName(fresh)).to.equal("wasmcached-test-2");
    expect(peerName(old)).to.equal("wasmcached-test");
    fresh.destroy();

    // A key that does not fit: refused with memcached's line, even with noreply, and the
    // certificate in use stays.
    copyFileSync(certs.clientKey, key);
    expect(await old.request("refresh_certs noreply\r\n")).to.equal(
      `Error loading the key: ${key} : error:05800074:x509 certificate routines::key values mismatch\r\n`);
    rmSync(cert);
    expect(await old.request("refresh_certs\r\n")).to.equal(
      `Error loading the certificate chain: ${cert} : error:80000002:system library::No such file or directory\r\n`);
    const after = await SocketClient.connectTls(s.port);
    expect(peerName(after)).to.equal("wasmcached-test-2");
    after.destroy();
    old.destroy();
  });

  // Each runtime does TLS its own way — node:tls on Node, Deno's node:tls (rustls), Bun's
  // BoringSSL — and with it checks certificates and fails handshakes.
  for (const runtime of RUNTIMES) {
    describe(`client certificates (ssl_verify_mode, ssl_ca_cert) on ${runtime}`, () => {
      const client = () => identity(certs.clientCert, certs.clientKey);
      const expired = () => identity(certs.expiredClientCert, certs.expiredClientKey);
      const rogue = () => identity(certs.rogueClientCert, certs.rogueClientKey);

      for (const mode of [2, 3]) {
        it(`mode ${mode} requires a valid one: none, expired or from another CA is refused and counted`, async () => {
          const s = await start(tlsArgs(certs, `ssl_verify_mode=${mode}`, `ssl_ca_cert=${certs.caCert}`), runtime);
          const good = await SocketClient.connectTls(s.port, client());
          expect(await refused(s.port, {})).to.equal(true);
          expect(await refused(s.port, expired())).to.equal(true);
          expect(await refused(s.port, rogue())).to.equal(true);
          expect(await good.request("version\r\n")).to.equal("VERSION 1.6.18\r\n");
          expect((await stats(good)).get("ssl_handshake_errors")).to.equal("3");
          good.destroy();
        });
      }

      it("mode 1 lets a client without one in, and refuses a bad one", async () => {
        const s = await start(tlsArgs(certs, "ssl_verify_mode=1", `ssl_ca_cert=${certs.caCert}`), runtime);
        expect(await refused(s.port, {})).to.equal(false);
        expect(await refused(s.port, client())).to.equal(false);
        expect(await refused(s.port, rogue())).to.equal(true);
        expect(await refused(s.port, expired())).to.equal(true);
        expect(await statValue(s.port, "ssl_handshake_errors")).to.equal("2");
      });

      it("mode 0 does not ask", async () => {
        const s = await start(tlsArgs(certs), runtime);
        expect(await refused(s.port, rogue())).to.equal(false);
        expect(await statValue(s.port, "ssl_handshake_errors")).to.equal("0");
      });
    });

    describe(`handshakes that go wrong, on ${runtime}`, () => {
      it("a plaintext client is closed and counted; others carry on", async () => {
        const s = await start(tlsArgs(certs), runtime);
        const bystander = await SocketClient.connectTls(s.port);
        await bystander.send("set b 0 0 1\r\n");
        const plain = await SocketClient.connect(s.port);
        await plain.send("get b\r\n");
        await plain.waitClosed();
        await bystander.send("x\r\n");
        expect(await bystander.readLine()).to.equal("STORED\r\n");
        expect((await stats(bystander)).get("ssl_handshake_errors")).to.equal("1");
        bystander.destroy();
      });

      it("a truncated ClientHello is closed when the client goes, and is not a handshake error", async () => {
        const s = await start(tlsArgs(certs), runtime);
        const c = await SocketClient.connect(s.port);
        // A TLS record header announcing 512 bytes of handshake, and only the first 5 of them.
        await c.send(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03]));
        await c.end();
        await c.waitClosed();
        await sleep(100);
        expect(await statValue(s.port, "ssl_handshake_errors")).to.equal("0");
      });

      it("a client stalling mid-handshake holds a connection slot until the idle timeout", async () => {
        const s = await start([...tlsArgs(certs), "-o", "idle_timeout=2"], runtime);
        // One connection asks throughout (a fresh one could be counted before the last is released).
        const asker = await SocketClient.connectTls(s.port);
        const curr = async () => Number((await stats(asker)).get("curr_connections"));
        const alone = await curr();
        const stalled = await SocketClient.connect(s.port);
        await stalled.send(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
        await sleep(300);
        expect(await curr()).to.equal(alone + 1);
        // The asker keeps busy meanwhile, so that only the stalled client is idle.
        let outcome: "closed" | "still open" | undefined;
        void stalled.waitClosed(6000).then(() => (outcome = "closed"), () => (outcome = "still open"));
        while (!outcome) {
          expect(await asker.request("version\r\n")).to.equal("VERSION 1.6.18\r\n");
          await sleep(200);
        }
        expect(outcome).to.equal("closed");
        const after = await stats(asker);
        expect(after.get("idle_kicks")).to.equal("1");
        expect(Number(after.get("curr_connections"))).to.equal(alone);
        asker.destroy();
      });

      it("ssl_min_version=3 refuses TLS 1.2 clients", async () => {
        const s = await start(tlsArgs(certs, "ssl_min_version=3"), runtime);
        expect(await refused(s.port, { maxVersion: "TLSv1.2" })).to.equal(true);
        expect(await refused(s.port, { minVersion: "TLSv1.3" })).to.equal(false);
      });
    });
  }

  describe("sessions", () => {
    // TLS 1.2, where the session is known once the handshake is done.
    async function resumed(port: number, options: tls.ConnectionOptions): Promise<boolean> {
      const first = await SocketClient.connectTls(port, { ...options, maxVersion: "TLSv1.2" });
      await first.request("version\r\n");
      const session = (first.socket as tls.TLSSocket).getSession();
      first.destroy();
      if (!session) return false;
      const again = await SocketClient.connectTls(port, { ...options, maxVersion: "TLSv1.2", session });
      const reused = (again.socket as tls.TLSSocket).isSessionReused();
      again.destroy();
      return reused;
    }

    it("tickets resume without ssl_session_cache; session ids need it", async () => {
      const off = await start(tlsArgs(certs));
      expect(await resumed(off.port, {})).to.equal(true);
      expect(await resumed(off.port, { secureOptions: SSL_OP_NO_TICKET })).to.equal(false);
      expect(await statValue(off.port, "ssl_new_sessions")).to.equal(undefined);
      const on = await start(tlsArgs(certs, "ssl_session_cache"));
      expect(await resumed(on.port, { secureOptions: SSL_OP_NO_TICKET })).to.equal(true);
      expect(Number(await statValue(on.port, "ssl_new_sessions"))).to.be.above(0);
    });
  });

  it("binary SASL and -Y logins work over TLS as over TCP", async () => {
    const pwdb = join(certs.dir, "users");
    writeFileSync(pwdb, "alice:secret\n");
    const sasl = await start([...tlsArgs(certs), "-S", "-o", `sasl_pwdb=${pwdb}`]);
    const b = await SocketClient.connectTls(sasl.port);
    await b.send(packet(Op.SASL_AUTH, { key: "PLAIN", value: "\0alice\0secret" }));
    const auth = parsePackets(await b.readBytes(24 + "Authenticated".length)).packets[0];
    expect(auth.status).to.equal(Status.SUCCESS);
    b.destroy();
    const ascii = await start([...tlsArgs(certs), "-Y", pwdb]);
    const t = await SocketClient.connectTls(ascii.port);
    expect(await t.request("get k\r\n")).to.equal("CLIENT_ERROR unauthenticated\r\n");
    expect(await t.request("set a 0 0 12\r\nalice secret\r\n")).to.equal("STORED\r\n");
    expect(await t.request("version\r\n")).to.equal("VERSION 1.6.18\r\n");
    t.destroy();
  });
});
