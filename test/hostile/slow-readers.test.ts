// Clients that send and never read, against the real server process: each one's unsent
// replies stay bounded (reading from it stops above the output high water), everyone else is
// still served, and the process stays within its memory bound.
import net from "node:net";
import { expect } from "chai";
import { startWasmcached, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { RssSampler } from "../helpers/rss.js";
import { serverShape, rssBound, growthBound, expectWithin, mb, type ServerShape } from "./memory-bound.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MEMORY_MB = 64;
const VALUE = 512 * 1024;
const MID_VALUE = 128 * 1024;
const PROBE_LIMIT_MS = 1000;

/** A raw socket that never reads: the kernel's buffers fill, then the server's. */
async function nonReader(port: number): Promise<net.Socket> {
  const s = net.connect(port, "127.0.0.1");
  s.on("error", () => undefined);
  await new Promise<void>((r) => s.once("connect", () => r()));
  s.pause();
  return s;
}

/** Writes `data` unless the socket's buffer is full; false when it was (the server stopped reading). */
function offer(s: net.Socket, data: string): boolean {
  if (s.writableNeedDrain) return false;
  s.write(data);
  return true;
}

async function probeLatencies(c: SocketClient, rounds: number, pauseMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = Date.now();
    expect(await c.request("version\r\n", "\r\n", PROBE_LIMIT_MS * 2)).to.equal("VERSION 1.6.18\r\n");
    out.push(Date.now() - t0);
    await sleep(pauseMs);
  }
  return out;
}

describe("hostile: clients that never read", function () {
  this.timeout(30000);
  let server: RunningServer;
  let shape: ServerShape;
  let probe: SocketClient;

  before(async () => {
    shape = await serverShape({ memoryLimitMb: MEMORY_MB });
  });
  // A fresh process each: memory freed by one test would hide growth in the next.
  beforeEach(async () => {
    server = await startWasmcached(["-m", String(MEMORY_MB)]);
    probe = await SocketClient.connect(server.port);
    expect(await probe.request(`set big 0 0 ${VALUE}\r\n${"b".repeat(VALUE)}\r\n`)).to.equal("STORED\r\n");
    expect(await probe.request(`set mid 0 0 ${MID_VALUE}\r\n${"m".repeat(MID_VALUE)}\r\n`)).to.equal("STORED\r\n");
  });
  afterEach(async () => {
    probe?.destroy();
    await server?.stop();
  });

  it("16 of them each asking for 50 MB of replies: bounded per connection, others served within 1 s", async () => {
    const HOGS = 16;
    const GETS = 100;
    const rss = new RssSampler(server.proc.pid!);
    const hogs: net.Socket[] = [];
    for (let i = 0; i < HOGS; i++) {
      const s = await nonReader(server.port);
      s.write("get big\r\n".repeat(GETS));
      hogs.push(s);
    }
    const latencies = await probeLatencies(probe, 20, 100);
    const peak = rss.stop();
    const bound = rssBound(shape, { connections: HOGS + 1, buffering: { output: HOGS } });
    for (const s of hogs) s.destroy();
    expect(Math.max(...latencies), `probe latencies ${latencies.join(",")} ms`).to.be.below(PROBE_LIMIT_MS);
    expectWithin(peak, bound, `peak RSS (from ${mb(rss.start)}) with ${HOGS} clients never reading`);
    // The stalled connections go away cleanly and the cache is intact.
    await waitForConnections(1);
    expect((await probe.request("get big\r\n", "END\r\n")).length).to.equal(VALUE + `VALUE big 0 ${VALUE}\r\n\r\nEND\r\n`.length);
  });

  // Regression: replies held back while a refused value was being discarded were never
  // counted against the high water, so a client could make them grow without bound by
  // refusing value after value it never finishes (here a meta set with a bad flag, whose
  // 100-byte block is swallowed), each time after a get of a 128 KiB value: 300 MB in 3 s.
  it("one that keeps starting refused values and never finishing them: held replies stay bounded", async () => {
    const CYCLE = "get mid\r\nms refused 100 Z\r\n" + "x".repeat(10);
    const REST = "x".repeat(92) + "\r\n"; // the rest of the previous refused block
    const rss = new RssSampler(server.proc.pid!);
    const s = await nonReader(server.port);
    const deadline = Date.now() + 3000;
    let cycles = 0;
    // Each cycle must reach the server as its own read: one write, then a pause.
    while (Date.now() < deadline && offer(s, (cycles ? REST : "") + CYCLE)) {
      cycles++;
      await sleep(1);
    }
    await sleep(200);
    const peak = rss.stop();
    s.destroy();
    const load = { connections: 2, buffering: { output: 1 } };
    const bound = rssBound(shape, load);
    const growth = growthBound(shape, load);
    const what = `after ${cycles} refused values (${mb(cycles * MID_VALUE)} of replies)`;
    expect(cycles, "cycles sent before the server stopped reading").to.be.above(100);
    expectWithin(peak, bound, `peak RSS (from ${mb(rss.start)}) ${what}`);
    // Little data moves here, so the growth must be little more than one connection's buffers.
    expectWithin(peak - rss.start, growth, `RSS growth ${what}`);
    await waitForConnections(1);
  });

  async function waitForConnections(n: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (Number((await stats(probe)).get("curr_connections")) !== n) {
      if (Date.now() > deadline) throw new Error(`curr_connections never returned to ${n}`);
      await sleep(50);
    }
  }
});
