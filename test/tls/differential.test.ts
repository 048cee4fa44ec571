// The same byte sequences over TLS to Debian's `memcached -Z` and to wasmcached -Z, each on a
// fresh connection: the replies must match after the usual normalisation (CAS values, version
// text, stats values), and so must what `stats`, `stats settings` and refresh_certs say.
import { expect } from "chai";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { startMemcached, startWasmcached, type RunningServer } from "../helpers/servers.js";
import { toBuffer } from "../helpers/socket-client.js";
import { normaliseText, visible } from "../helpers/normal-form.js";
import { Op, packet, normalisePackets } from "../helpers/binary.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls-certs.js";

interface Exchange {
  data: Buffer;
  closed: boolean;
}

const QUIET_MS = 250;
const MAX_MS = 10000;

// Sends the pieces over a fresh TLS connection (each byte on its own when `bytewise`) and
// collects the reply until the server has been quiet for a while or has closed.
function tlsExchange(port: number, input: Buffer, bytewise = false): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const s = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    const done = () => {
      clearTimeout(timer);
      clearTimeout(limit);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, QUIET_MS);
    };
    const limit = setTimeout(done, MAX_MS);
    s.once("error", (e) => (chunks.length || closed ? done() : reject(e)));
    s.on("data", (d: Buffer) => {
      chunks.push(d);
      quiet();
    });
    s.on("end", () => {
      closed = true;
      done();
    });
    s.once("secureConnect", () => {
      s.setNoDelay(true);
      if (!bytewise) s.write(input);
      else for (const b of input) s.write(Buffer.of(b));
      quiet();
    });
  });
}

interface TlsCase {
  name: string;
  send: string | Buffer;
  binary?: boolean;
  bytewise?: boolean;
  statValues?: boolean;
}

const VALUE = Buffer.alloc(200 * 1024, "v");

const CASES: TlsCase[] = [
  {
    name: "storage and retrieval, pipelined",
    send: "set a 0 0 1\r\n1\r\nadd a 0 0 1\r\n2\r\nget a b\r\ngets a\r\nappend a 0 0 1\r\n2\r\nincr a 5\r\ndecr a 100\r\n" +
      "touch a 10\r\ndelete a\r\nget a\r\n",
  },
  { name: "the same, one byte per write", send: "set a 0 0 1\r\n1\r\nget a\r\nincr a 2\r\ndelete a\r\n", bytewise: true },
  // Not in one write: memcached -Z leaves a command that arrives in the same read as a large
  // value unanswered until more input comes (OpenSSL holds it; the socket is not readable).
  { name: "a 200 KiB value", send: Buffer.concat([toBuffer(`set big 3 0 ${VALUE.length}\r\n`), VALUE, toBuffer("\r\n")]) },
  { name: "...read back", send: "get big\r\n" },
  { name: "meta commands", send: "ms m 2 T0 F5\r\nhi\r\nmg m v f c t s\r\nma m\r\nmn\r\nmd m q\r\nmg m\r\n" },
  { name: "errors", send: `bogus\r\nset k 0 0 -1\r\nget ${"k".repeat(251)}\r\nincr\r\nset k 0 0 1\r\nxyz\r\n` },
  { name: "noreply, then quit", send: "set q 0 0 1 noreply\r\nx\r\nget q\r\nquit\r\nget q\r\n" },
  { name: "an HTTP request closes", send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "refresh_certs, with and without noreply and extra words", send: "refresh_certs\r\nrefresh_certs noreply\r\nrefresh_certs a b c\r\nversion\r\n" },
  { name: "stats settings (values too)", send: "stats settings\r\n", statValues: true },
  { name: "stats (names and order)", send: "stats\r\n" },
  {
    name: "binary set, get, getk, noop and quit",
    binary: true,
    send: Buffer.concat([
      packet(Op.SET, { key: "bk", value: "bin", extras: Buffer.from([0, 0, 0, 7, 0, 0, 0, 0]) }),
      packet(Op.GET, { key: "bk" }), packet(Op.GETK, { key: "nx" }), packet(Op.NOOP), packet(Op.QUIT),
    ]),
  },
];

function shown(ex: Exchange, c: TlsCase): string {
  const body = c.binary ? normalisePackets(ex.data) : visible(normaliseText(ex.data, { statValues: c.statValues }).text);
  return `${body}${ex.closed ? "\n<closed>" : ""}`;
}

describe("TLS differential: memcached -Z vs wasmcached -Z", function () {
  this.timeout(60000);
  let certs: TestCertificates;
  let cert: string;
  let key: string;
  let servers: RunningServer[] = [];

  before(async () => {
    certs = makeTestCertificates();
    // Both read the same files: their paths show in `stats settings`, and the refresh test
    // takes them away from both.
    cert = join(certs.dir, "shared.pem");
    key = join(certs.dir, "shared.key");
    copyFileSync(certs.serverCert, cert);
    copyFileSync(certs.serverKey, key);
    const args = ["-l", "127.0.0.1", "-Z", "-o", `ssl_chain_cert=${cert},ssl_key=${key},ssl_session_cache`];
    servers = await Promise.all([startMemcached(args), startWasmcached(args)]);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    certs.remove();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const input = typeof c.send === "string" ? toBuffer(c.send) : c.send;
      const [reference, candidate] = await Promise.all(servers.map((s) => tlsExchange(s.port, input, c.bytewise)));
      expect(reference.data.length > 0 || reference.closed, "memcached answered").to.equal(true);
      expect(shown(candidate, c)).to.equal(shown(reference, c));
    });
  }

  it("a plaintext client: both close without a protocol reply", async () => {
    const net = await import("node:net");
    for (const s of servers) {
      const reply = await new Promise<string>((resolve) => {
        const sock = net.connect({ port: s.port, host: "127.0.0.1" }, () => sock.write("version\r\n"));
        let got = "";
        sock.on("data", (d) => (got += d.toString("latin1")));
        sock.on("error", () => undefined);
        sock.on("close", () => resolve(got));
      });
      expect(reply, s.name).to.not.include("VERSION");
    }
  });

  it("refresh_certs with the certificate gone: the same error line, and both keep serving", async () => {
    rmSync(cert);
    try {
      const input = toBuffer("refresh_certs\r\nversion\r\n");
      const [reference, candidate] = await Promise.all(servers.map((s) => tlsExchange(s.port, input)));
      expect(reference.data.toString()).to.match(/^Error loading the certificate chain: /);
      expect(candidate.data.toString()).to.equal(reference.data.toString());
    } finally {
      copyFileSync(certs.serverCert, cert);
    }
  });
});
