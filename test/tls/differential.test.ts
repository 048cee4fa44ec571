// The same byte sequences over TLS to Debian's `memcached -Z` and to wasmcached -Z, each on a
// fresh connection: the replies must match after the usual normalisation (CAS values, version
// text, stats values), and so must what `stats`, `stats settings` and refresh_certs say.
import { expect } from "chai";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startMemcached, startWasmcached, type RunningServer } from "../helpers/servers.js";
import { toBuffer } from "../helpers/socket-client.js";
import { exchangeAll, splitBytes, type Exchange } from "../helpers/exchange.js";
import { normaliseText, visible } from "../helpers/normal-form.js";
import { Op, packet, normalisePackets } from "../helpers/binary.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls-certs.js";

// Replies end once the two agree and then stay quiet this long (or, if they never agree, after
// MAX_MS, when the comparison shows how they differ).
const QUIET_MS = 250;
const MAX_MS = 10000;

/** The input over a fresh TLS connection to each server (each byte on its own when `bytewise`). */
function tlsExchange(input: Buffer, c: TlsCase | undefined, agreed: (reference: Exchange, candidate: Exchange) => boolean): Promise<Exchange[]> {
  const pieces = c?.bytewise ? splitBytes([input]) : [input];
  return exchangeAll(servers.map((s) => s.port), pieces, {
    tls: true, quietMs: QUIET_MS, graceMs: QUIET_MS, maxMs: MAX_MS, settled: ([r, cand]) => agreed(r, cand),
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

let servers: RunningServer[] = [];

describe("TLS differential: memcached -Z vs wasmcached -Z", function () {
  this.timeout(60000);
  let certs: TestCertificates;
  let cert: string;
  let key: string;

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
      const [reference, candidate] = await tlsExchange(input, c, (r, cand) => (r.data.length > 0 || r.closed) && shown(cand, c) === shown(r, c));
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
      const [reference, candidate] = await tlsExchange(input, undefined, (r, cand) => r.data.includes("VERSION ") && cand.data.equals(r.data));
      expect(reference.data.toString()).to.match(/^Error loading the certificate chain: /);
      expect(candidate.data.toString()).to.equal(reference.data.toString());
    } finally {
      copyFileSync(certs.serverCert, cert);
    }
  });
});
