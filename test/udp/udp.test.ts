// UDP (-U) against Debian's memcached: the same request datagrams must get the same reply
// datagrams — same count, sizes, sequence numbers and totals, same bytes (binary CAS values by
// which are equal) — so wasmcached never answers with more than memcached would.
import { expect } from "chai";
import dgram from "node:dgram";
import net from "node:net";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMemcached, startWasmcached, WASMCACHED_CLI, REPO_ROOT, type RunningServer } from "../helpers/servers.js";
import { Op, packet, u32s, normalisePackets } from "../helpers/binary.js";
import { makeTestCertificates, tlsArgs, type TestCertificates } from "../helpers/tls-certs.js";

const HEADER_LEN = 8;
const MAX_DATAGRAM = 1400;
const QUIET_MS = 100;
const EXPECTED_WAIT_MS = 2000;
const EXTRA_WAIT_MS = 60;
const RESPONSE_MAGIC = 0x81;

interface Datagram {
  id: number;
  seq: number;
  total: number;
  reserved: number;
  payload: Buffer;
}

/** `n` distinct free UDP ports (held together while chosen, so they differ). */
async function freeUdpPorts(n: number): Promise<number[]> {
  const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<dgram.Socket>((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => resolve(s));
  })));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

// A port free for TCP and UDP both (the -U-without-p server listens on it with each): an
// ephemeral UDP port alone may be some client's TCP port at that moment.
async function freeTcpAndUdpPort(): Promise<number> {
  for (;;) {
    const tcp = net.createServer();
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", () => r()));
    const port = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket("udp4");
    const free = await new Promise<boolean>((r) => {
      udp.once("error", () => r(false));
      udp.bind(port, "127.0.0.1", () => r(true));
    });
    await new Promise<void>((r) => (free ? udp.close(() => r()) : r()));
    await new Promise<void>((r) => tcp.close(() => r()));
    if (free) return port;
  }
}

/**
 * Sends one datagram and collects the replies: until QUIET_MS pass without one, or, when
 * `expected` datagrams are known (memcached's count), until they are in and a short while more
 * has shown nothing else is coming.
 */
function ask(port: number, request: Buffer, expected?: number): Promise<Datagram[]> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: "udp4", recvBufferSize: 1 << 20 });
    const got: Datagram[] = [];
    let timer: NodeJS.Timeout;
    const done = () => s.close(() => resolve(got));
    const arm = () => {
      clearTimeout(timer);
      const waiting = expected !== undefined && got.length < expected;
      timer = setTimeout(done, waiting ? EXPECTED_WAIT_MS : expected !== undefined ? EXTRA_WAIT_MS : QUIET_MS);
    };
    s.on("message", (m) => {
      got.push({ id: m.readUInt16BE(0), seq: m.readUInt16BE(2), total: m.readUInt16BE(4), reserved: m.readUInt16BE(6), payload: m.subarray(HEADER_LEN) });
      arm();
    });
    s.bind(0, "127.0.0.1", () => {
      s.send(request, port, "127.0.0.1");
      arm();
    });
  });
}

const header = (id: number, seq = 0, total = 1, reserved = 0) => {
  const h = Buffer.alloc(HEADER_LEN);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(seq, 2);
  h.writeUInt16BE(total, 4);
  h.writeUInt16BE(reserved, 6);
  return h;
};
const datagram = (payload: string | Buffer, id = 0x1234) => Buffer.concat([header(id), Buffer.from(payload as string, "latin1")]);
const value = (n: number) => "v".repeat(n);
const setCmd = (key: string, n: number) => `set ${key} 0 0 ${n}\r\n${value(n)}\r\n`;

// Headers exactly; payloads of each message (its datagrams joined) as text, or as packets.
function render(ds: Datagram[]): string {
  const out: string[] = [];
  let message: Buffer[] = [];
  const flush = () => {
    if (!message.length) return;
    const all = Buffer.concat(message);
    out.push(all[0] === RESPONSE_MAGIC ? normalisePackets(all) : JSON.stringify(all.length > 200 ? `<${all.length} bytes>` : all.toString("latin1")));
    message = [];
  };
  for (const d of ds) {
    if (d.seq === 0) flush();
    out.push(`id=${d.id} seq=${d.seq} total=${d.total} reserved=${d.reserved} len=${HEADER_LEN + d.payload.length}`);
    message.push(d.payload);
  }
  flush();
  return out.join("\n");
}

interface Case {
  name: string;
  /** Datagrams sent one after another; replies are compared per datagram. */
  send: Buffer[];
  /**
   * Gets servers of its own: its last datagram leaves memcached's UDP connection in a state
   * later datagrams would suffer from (reading or swallowing a value, closing after a write).
   */
  isolate?: boolean;
}

const cases: Case[] = [
  { name: "set and get", send: [datagram(setCmd("u-1", 2) + "get u-1\r\n")] },
  { name: "refresh_certs without -Z", send: [datagram("refresh_certs\r\nrefresh_certs noreply\r\nversion\r\n")] },
  { name: "several commands in one datagram answer one message each", send: [datagram(setCmd("u-2", 1) + setCmd("u-3", 1) + "version\r\ndelete u-3\r\n")] },
  { name: "a multi-get: one message per key, misses between hits dropped", send: [datagram(setCmd("u-a1", 2) + setCmd("u-a2", 3)), datagram("get u-a1 u-nx u-a2\r\n")] },
  { name: "a multi-get whose first keys miss sends a lone header", send: [datagram(setCmd("u-b1", 2)), datagram("get u-nx u-ny u-b1\r\n"), datagram("get u-nx\r\n"), datagram("get u-b1 u-nx\r\n")] },
  { name: "a get after a get starts a new transmit", send: [datagram(setCmd("u-c1", 2)), datagram("get u-c1\r\nget u-nx u-c1\r\n")] },
  { name: "after a noreply command the miss is first again", send: [datagram(setCmd("u-d1", 2)), datagram("set u-q 0 0 1 noreply\r\nx\r\nget u-nx u-d1\r\n"), datagram("set u-q 0 0 1\r\nx\r\nget u-nx u-d1\r\n")] },
  { name: "a get's over-long key drops the keys' messages before it", send: [datagram(setCmd("u-k1", 2)), datagram(`get u-k1 u-nx u-k1 ${"k".repeat(251)}\r\n`)] },
  { name: "a 3000-byte value takes three datagrams", send: [datagram(setCmd("u-big", 3000)), datagram("get u-big u-nx\r\n")] },
  { name: "a 100000-byte value and a small one", send: [datagram(setCmd("u-big2", 60000)), datagram("get u-big2 u-big2 u-x\r\n")] },
  { name: "a value of exactly 1392 - header bytes fills one datagram", send: [datagram(setCmd("u-e", 1392 - 17)), datagram("get u-e\r\n")] },
  { name: "meta commands, quiet and not", send: [datagram("ms u-m 2 q\r\nhi\r\nmg u-nx v q\r\nmg u-m v q\r\nmn\r\n"), datagram("mg u-nx v q\r\nmg u-nx2 v\r\nmn\r\n"), datagram("md u-nx q\r\nmg u-m v\r\n")] },
  { name: "request ids are echoed", send: [datagram("version\r\n", 0), datagram("version\r\n", 0xffff), datagram("version\r\n", 42)] },
  { name: "more than -R commands: memcached transmits after every 20", send: [datagram(setCmd("u-r", 2)), datagram("version\r\n".repeat(20) + "get u-nx u-r\r\n")] },
  // After a quit memcached's UDP connection ends the datagram it is serving at every transmit.
  { name: "quit ends the datagram", send: [datagram("version\r\nquit\r\nversion\r\n")], isolate: true },
  { name: "binary quit ends the datagram", send: [datagram(Buffer.concat([packet(Op.VERSION), packet(Op.QUIT), packet(Op.VERSION)]))], isolate: true },
  { name: "an incomplete line at the end is dropped", send: [datagram("version\r\nget u-1"), datagram("get u-1\r\n")] },
  { name: "an incomplete value at the end is dropped", send: [datagram("version\r\nset u-f 0 0 10\r\nabc")], isolate: true },
  {
    name: "requests that are not one whole datagram are dropped",
    send: [Buffer.concat([header(1, 0, 2), Buffer.from("version\r\n")]), Buffer.concat([header(2, 0, 0), Buffer.from("version\r\n")]), header(3), Buffer.concat([header(4, 1, 1), Buffer.from("version\r\n")]), Buffer.concat([header(5, 0, 1, 7), Buffer.from("version\r\n")])],
  },
  { name: "binary: set, get, getk", send: [datagram(Buffer.concat([packet(Op.SET, { key: "u-h", extras: u32s(3, 0), value: "hv" }), packet(Op.GET, { key: "u-h" }), packet(Op.GETK, { key: "u-h", opaque: 9 })]))] },
  { name: "binary: a quiet miss first sends a lone header, then noop", send: [datagram(Buffer.concat([packet(Op.GETQ, { key: "u-nx" }), packet(Op.NOOP)]))] },
  { name: "binary: a quiet miss after a hit is dropped", send: [datagram(Buffer.concat([packet(Op.SET, { key: "u-i", extras: u32s(0, 0), value: "x" }), packet(Op.GET, { key: "u-i" }), packet(Op.GETKQ, { key: "u-nx" }), packet(Op.NOOP)]))] },
  { name: "binary: a large value", send: [datagram(Buffer.concat([packet(Op.SET, { key: "u-j", extras: u32s(0, 0), value: value(5000) }), packet(Op.GET, { key: "u-j" })]))] },
  { name: "binary: an error ends a transmit", send: [datagram(Buffer.concat([packet(Op.GET, { key: "u-nx" }), packet(Op.GETQ, { key: "u-nx" }), packet(Op.VERSION)]))] },
  { name: "text and binary datagrams alternate", send: [datagram("version\r\n"), datagram(packet(Op.VERSION)), datagram("version\r\n")] },
  {
    name: "a too large value: what was queued since the last transmit is never sent",
    send: [datagram(setCmd("u-b1", 2)), datagram("get u-nx u-b1\r\nversion\r\nset u-g 0 0 2000000\r\nabc\r\nversion\r\n")],
    isolate: true,
  },
];

interface Pair {
  ports: [number, number];
  stop(): Promise<void>;
}

async function startPair(more: string[] = []): Promise<Pair> {
  const [a, b] = await freeUdpPorts(2);
  const ports: [number, number] = [a, b];
  // One worker thread: memcached keeps a UDP connection per thread, and which one a datagram
  // lands on would otherwise vary from run to run.
  const servers: RunningServer[] = await Promise.all([
    startMemcached(["-t", "1", "-U", String(a), ...more]), startWasmcached(["-t", "1", "-U", String(b), ...more]),
  ]);
  return { ports, stop: async () => void (await Promise.all(servers.map((s) => s.stop()))) };
}

async function compare(ports: [number, number], c: Case): Promise<void> {
  for (const d of c.send) {
    const ref = await ask(ports[0], d);
    const cand = await ask(ports[1], d, ref.length);
    expect(render(cand)).to.equal(render(ref));
    for (const r of cand) expect(HEADER_LEN + r.payload.length).to.be.at.most(MAX_DATAGRAM);
    expect(cand.length, "never more datagrams than memcached").to.be.at.most(ref.length);
  }
}

describe("UDP (memcached vs wasmcached)", function () {
  this.timeout(30000);
  let shared: Pair | undefined;
  before(async () => {
    shared = await startPair();
  });
  after(async () => {
    await shared?.stop();
  });

  for (const c of cases) {
    it(c.name, async () => {
      if (!c.isolate) return compare(shared!.ports, c);
      const own = await startPair();
      try {
        await compare(own.ports, c);
      } finally {
        await own.stop();
      }
    });
  }
});

// UDP stays plain beside TLS listeners; refresh_certs over it reloads and answers in a datagram.
describe("UDP beside TLS (-Z), memcached vs wasmcached", function () {
  this.timeout(60000);
  let certs: TestCertificates;
  let pair: Pair | undefined;
  before(async () => {
    certs = makeTestCertificates();
    pair = await startPair(tlsArgs(certs));
  });
  after(async () => {
    await pair?.stop();
    certs?.remove();
  });

  it("serves plain datagrams, refresh_certs included, and the commands after it", () => compare(pair!.ports, {
    name: "refresh_certs", send: [datagram(setCmd("t-1", 2) + "refresh_certs\r\nget t-1\r\nrefresh_certs noreply\r\nversion\r\n")],
  }));
});

describe("UDP command line", function () {
  this.timeout(20000);

  it("-U without -p moves TCP to the UDP port, and both are in the port file", async () => {
    const port = await freeTcpAndUdpPort();
    const dir = mkdtempSync(join(tmpdir(), "wasmcached-udp-"));
    const file = join(dir, "ports");
    const root = typeof process.getuid === "function" && process.getuid() === 0;
    const proc = spawn(process.execPath, [WASMCACHED_CLI, ...(root ? ["-u", "root"] : []), "-l", "127.0.0.1", "-U", String(port)], {
      cwd: REPO_ROOT, env: { ...process.env, MEMCACHED_PORT_FILENAME: file }, stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    try {
      const deadline = Date.now() + 10000;
      while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(file), `no port file; stderr: ${stderr}`).to.equal(true);
      expect(readFileSync(file, "utf8")).to.equal(`TCP INET: ${port}\nUDP INET: ${port}\n`);
      const reply = await ask(port, datagram("version\r\n"));
      expect(reply.map((d) => d.payload.toString())).to.deep.equal(["VERSION 1.6.18\r\n"]);
    } finally {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
