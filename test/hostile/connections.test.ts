// Connection counts against the real server process: thousands of idle connections up to -c
// and beyond it (memcached's answer: `ERROR Too many open connections`, then close), and
// thousands of connections opened and dropped as fast as the loopback allows.
import net from "node:net";
import { readdirSync, readlinkSync } from "node:fs";
import { expect } from "chai";
import { startWasmcached, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { RssSampler, openFileLimit } from "../helpers/rss.js";
import { serverShape, rssBound, expectWithin, mb } from "./memory-bound.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MEMORY_MB = 64;
const WANTED_CONNECTIONS = 2000;
const OVER_LIMIT = 100;
// Files besides the connections: the test runner's and the server's own (listeners, pipes, epoll).
const FILES_SPARE = 200;
const BATCH = 50;
const TOO_MANY = "ERROR Too many open connections\r\n";

/**
 * -c for the idle test: 2000, or what this machine's open-file limit allows (the test process
 * holds every client end, the server every accepted one; a hard limit of 1024 gives 724).
 */
function connectionLimit(): number {
  return Math.min(WANTED_CONNECTIONS, openFileLimit() - OVER_LIMIT - FILES_SPARE);
}

function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.removeListener("error", reject);
      s.on("error", () => undefined);
      resolve(s);
    });
    s.once("error", reject);
  });
}

/** Everything received until the server closes the connection. */
function untilClosed(s: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.once("close", () => resolve(got));
  });
}

async function inBatches<T>(n: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += BATCH) {
    out.push(...await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, (_, k) => make(i + k))));
  }
  return out;
}

/** What the process has open: "fd -> target" for each descriptor. */
function openFiles(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(`${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

describe("hostile: connections", function () {
  this.timeout(60000);
  let server: RunningServer;
  let probe: SocketClient;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.length = 0;
    probe?.destroy();
    await server?.stop();
  });

  async function currentConnections(): Promise<number> {
    return Number((await stats(probe)).get("curr_connections"));
  }

  async function waitForConnections(n: number): Promise<void> {
    const deadline = Date.now() + 10000;
    while ((await currentConnections()) !== n) {
      if (Date.now() > deadline) throw new Error(`curr_connections never reached ${n} (is ${await currentConnections()})`);
      await sleep(50);
    }
  }

  it("idle connections up to -c are all served; those over it are refused with memcached's error", async () => {
    const limit = connectionLimit();
    expect(limit, "open-file limit too low for the test").to.be.at.least(BATCH * 4);
    const shape = await serverShape({ memoryLimitMb: MEMORY_MB, maxConns: limit });
    server = await startWasmcached(["-m", String(MEMORY_MB), "-c", String(limit)]);
    probe = await SocketClient.connect(server.port);
    const rss = new RssSampler(server.proc.pid!);
    sockets.push(...await inBatches(limit - 1, () => open(server.port)));
    await waitForConnections(limit);

    const refused = await inBatches(OVER_LIMIT, async () => untilClosed(await open(server.port)));
    expect(new Set(refused)).to.deep.equal(new Set([TOO_MANY]));
    const s = await stats(probe);
    expect(s.get("rejected_connections")).to.equal(String(OVER_LIMIT));
    expect(s.get("curr_connections")).to.equal(String(limit));

    // Every hundredth idle connection still answers.
    for (let i = 0; i < sockets.length; i += 100) {
      const reply = new Promise<string>((r) => sockets[i].once("data", (d) => r(d.toString())));
      sockets[i].write("version\r\n");
      expect(await reply).to.equal("VERSION 1.6.18\r\n");
    }
    const peak = rss.stop();
    const bound = rssBound(shape, { connections: limit + OVER_LIMIT });
    expectWithin(peak, bound, `peak RSS (from ${mb(rss.start)}) with ${limit} idle connections`);

    for (const c of sockets) c.destroy();
    await waitForConnections(1);
  });

  it("3000 connections opened and dropped at once, some mid-command, some reset: all released, no file left open", async () => {
    const CYCLES = 3000;
    const shape = await serverShape({ memoryLimitMb: MEMORY_MB });
    server = await startWasmcached(["-m", String(MEMORY_MB)]);
    probe = await SocketClient.connect(server.port);
    // After a round trip, so that the server has accepted the probe.
    const totalBefore = Number((await stats(probe)).get("total_connections"));
    const filesBefore = openFiles(server.proc.pid!);
    const rss = new RssSampler(server.proc.pid!);
    const leaving = ["", "get churn", "set churn 0 0 100\r\npartial", "version\r\n"];
    await inBatches(CYCLES, async (i) => {
      const s = await open(server.port);
      const said = leaving[i % leaving.length];
      if (said) s.write(said);
      if (i % 2) s.resetAndDestroy();
      else s.destroy();
    });
    await waitForConnections(1);
    const peak = rss.stop();
    expect(Number((await stats(probe)).get("total_connections")) - totalBefore).to.equal(CYCLES);
    expect(await probe.request("get churn\r\n")).to.equal("END\r\n");
    // A socket's descriptor is closed a moment after the driver lets the connection go.
    const deadline = Date.now() + 2000;
    while (openFiles(server.proc.pid!).length !== filesBefore.length && Date.now() < deadline) await sleep(50);
    const filesAfter = openFiles(server.proc.pid!);
    expect(filesAfter.length, `new: ${filesAfter.filter((f) => !filesBefore.includes(f)).join(", ")}`).to.equal(filesBefore.length);
    const bound = rssBound(shape, { connections: BATCH + 1 });
    expectWithin(peak, bound, `peak RSS (from ${mb(rss.start)}) over ${CYCLES} connections`);
  });
});
