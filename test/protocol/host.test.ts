// What the host adds around the core (reference §8): the connection limit, idle kicks, -R
// fairness, a slow reader's replies, and clean closes on EOF. Clients that never read, and the
// memory they may cost, are test/hostile's (against the real server process).
import { expect } from "chai";
import { TestServer, roundTrip, VERSION_REPLY } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("host: connection limit (-c)", function () {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ maxConns: 3 });
  });
  after(() => srv.close());

  it("refuses the connection over the limit with ERROR Too many open connections and closes it", async () => {
    const open: SocketClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await srv.connect();
      expect(await c.request("version\r\n")).to.equal(VERSION_REPLY);
      open.push(c);
    }
    const extra = await srv.connect();
    expect(await extra.waitClosed()).to.equal("ERROR Too many open connections\r\n");
    const s = await stats(open[0]);
    expect(s.get("rejected_connections")).to.equal("1");
    expect(s.get("max_connections")).to.equal("3");
    expect((await stats(open[0], "settings")).get("maxconns")).to.equal("3");

    // A freed slot is usable again.
    open[1].destroy();
    await until("the slot to be released", async () => (await stats(open[0])).get("curr_connections") !== s.get("curr_connections"));
    const again = await srv.connect();
    expect(await again.request("version\r\n")).to.equal(VERSION_REPLY);
    expect((await stats(open[0])).get("rejected_connections")).to.equal("1");
  });
});

describe("host: idle timeout (-o idle_timeout)", function () {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ idleTimeout: 1 });
  });
  after(() => srv.close());

  it("closes a connection idle for longer than N seconds and counts idle_kicks; a busy one stays", async function () {
    this.timeout(10000);
    const idle = await srv.connect();
    const busy = await srv.connect();
    expect(await idle.request("version\r\n")).to.equal(VERSION_REPLY);
    const started = Date.now();
    let closedAfter = -1;
    void idle.closed.then(() => (closedAfter = Date.now() - started));
    while (closedAfter < 0 && Date.now() - started < 4000) {
      expect(await busy.request("version\r\n")).to.equal(VERSION_REPLY);
      await sleep(200);
    }
    expect(closedAfter, "idle connection still open after 4 s").to.be.greaterThan(-1);
    expect(closedAfter, "kicked before the timeout").to.be.at.least(900);
    expect(busy.isDestroyed).to.equal(false);
    const s = await stats(busy);
    expect(Number(s.get("idle_kicks"))).to.be.at.least(1);
    expect((await stats(busy, "settings")).get("idle_timeout")).to.equal("1");
  });
});

// The driver's fairness holds whichever engine counts the commands (the core or the JS twin).
const ENGINE_SERVERS = [
  ["wasm", (o: { reqsPerEvent: number }) => TestServer.start(o)],
  ["js", (o: { reqsPerEvent: number }) => TestServer.startJs(o)],
] as const;

for (const [engine, start] of ENGINE_SERVERS) describe(`host: -R fairness (reqs_per_event), ${engine} engine`, function () {
  let srv: Awaited<ReturnType<typeof start>>;
  before(async () => {
    srv = await start({ reqsPerEvent: 5 });
  });
  after(() => srv.close());

  it("a long pipeline yields (conn_yields) while another client is served, and its replies stay in order", async () => {
    const a = await srv.connect();
    const b = await srv.connect();
    const before = Number((await stats(b)).get("conn_yields"));
    const N = 5000;
    let input = "";
    let expected = "";
    for (let i = 0; i < N; i++) {
      input += `set fr-${i} 0 0 ${String(i).length} noreply\r\n${i}\r\nget fr-${i}\r\n`;
      expected += `VALUE fr-${i} 0 ${String(i).length}\r\n${i}\r\nEND\r\n`;
    }
    const aDone = roundTrip(a, input).then((r) => ({ r, at: process.hrtime.bigint() }));
    await sleep(1);
    const bAt = await b.request("version\r\n").then(() => process.hrtime.bigint());
    const { r, at } = await aDone;
    expect(r === expected, "pipeline replies differ from the expected sequence").to.equal(true);
    expect(bAt < at, "the other client waited for the whole pipeline").to.equal(true);
    const yields = Number((await stats(b)).get("conn_yields")) - before;
    // 2N + 1 commands, 5 per turn.
    expect(yields).to.be.at.least(Math.floor((2 * N) / 5) - 1);
    expect((await stats(b, "settings")).get("reqs_per_event")).to.equal("5");
  });
});

// Yields counted by Debian's memcached 1.6.18 for one write of `sets` set commands (then
// `get` when asked) at -R `r`: memcached counts -R down once per command and once more to flush
// the replies, and yields whenever the count goes below zero, input left or not.
const MEMCACHED_YIELDS: [r: number, sets: number, get: boolean, yields: number][] = [
  [1, 6, false, 5], [5, 4, false, 0], [5, 5, false, 1], [5, 6, false, 1], [5, 7, false, 1],
  [5, 4, true, 0], [5, 5, true, 1], [2, 3, true, 1],
];

for (const [engine, start] of ENGINE_SERVERS) describe(`host: -R yields counted as memcached counts them, ${engine} engine`, function () {
  for (const [r, sets, get, yields] of MEMCACHED_YIELDS) {
    it(`-R ${r}: ${sets} sets${get ? " and a get" : ""} in one write yield ${yields} times`, async () => {
      const srv = await start({ reqsPerEvent: r });
      try {
        const c = await srv.connect();
        let input = "";
        for (let i = 0; i < sets; i++) input += `set y${i} 0 0 1\r\nx\r\n`;
        if (get) input += "get y0\r\n";
        const expected = "STORED\r\n".repeat(sets) + (get ? "VALUE y0 0 1\r\nx\r\nEND\r\n" : "");
        await c.send(input);
        expect((await c.readBytes(expected.length)).toString()).to.equal(expected);
        const other = await srv.connect();
        expect((await stats(other)).get("conn_yields")).to.equal(String(yields));
      } finally {
        await srv.close();
      }
    });
  }
});

// memcached's conn-limits.t runs -o read_buf_mem_limit=1 -t 32: each worker's share is two
// 16 KiB units, a read buffer and one bundle of 13 response objects, and the boundaries below are
// Debian's memcached's (13 keys answered, 14 not). Here one worker thread gets that share
// (1/32 MB), so that every connection draws on the same two units.
const SHARE_MB = 1 / 32;
describe("host: read_buf_mem_limit", function () {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ readBufMemLimit: SHARE_MB, threads: 1 });
  });
  after(() => srv.close());
  afterEach(() => srv.dropClients());

  const keys = (n: number) => Array.from({ length: n }, (_, i) => `rb${i}`).join(" ");

  it("answers a get of 13 keys, and SERVER_ERROR out of memory writing get response for 14 (response_obj_oom)", async () => {
    const c = await srv.connect();
    const before = Number((await stats(c)).get("response_obj_oom"));
    expect(await c.request(`get ${keys(13)}\r\n`)).to.equal("END\r\n");
    expect(await c.request(`get ${keys(14)}\r\n`)).to.equal("SERVER_ERROR out of memory writing get response\r\n");
    expect(Number((await stats(c)).get("response_obj_oom"))).to.equal(before + 1);
    expect((await stats(c, "settings")).get("read_buf_mem_limit")).to.equal(String(SHARE_MB * 1024 * 1024));
  });

  it("closes, sending nothing, a connection whose stacked replies need a 14th response object", async () => {
    const ok = await srv.connect();
    expect(await roundTrip(ok, "mg rb v\r\n".repeat(12))).to.equal("EN\r\n".repeat(12));
    const c = await srv.connect();
    await c.send("mg rb v\r\n".repeat(14));
    expect(await c.waitClosed()).to.equal("");
  });

  it("closes a connection that needs a read buffer when the others hold them all (read_buf_oom)", async () => {
    const holders = [await srv.connect(), await srv.connect()];
    for (const h of holders) await h.send("get rb-partial");
    await sleep(50);
    const c = await srv.connect();
    await c.send("version\r\n");
    expect(await c.waitClosed()).to.equal("");
    for (const h of holders) h.destroy();
    await sleep(50);
    expect((await stats(await srv.connect())).get("read_buf_oom")).to.equal("1");
  });
});

describe("host: a slow reader", function () {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start();
  });
  after(() => srv.close());

  it("gets every reply intact once it starts reading, even when the server paused mid multi-get", async function () {
    this.timeout(15000);
    const VALUE = 700 * 1024;
    const c = await srv.connect();
    const value = Buffer.alloc(VALUE);
    for (let i = 0; i < VALUE; i++) value[i] = 97 + (i % 26);
    expect(await roundTrip(c, Buffer.concat([Buffer.from(`set sr-big 3 0 ${VALUE}\r\n`), value, Buffer.from("\r\n")]))).to.equal("STORED\r\n");
    c.socket.pause();
    // 40 hits on one line and 20 more lines: ~40 MB of replies, ten times the output high water.
    const line = `get ${"sr-big sr-nope ".repeat(40)}\r\n`;
    await c.send(line + "get sr-big\r\n".repeat(20) + "version\r\n");
    await sleep(300);
    c.socket.resume();
    const header = `VALUE sr-big 3 ${VALUE}\r\n`;
    const hit = Buffer.concat([Buffer.from(header), value, Buffer.from("\r\n")]);
    for (let i = 0; i < 60; i++) {
      const got = await c.readBytes(hit.length);
      expect(got.equals(hit), `hit ${i}`).to.equal(true);
      if (i === 39 || i >= 40) expect(await c.readLine()).to.equal("END\r\n");
    }
    expect(await c.readLine()).to.equal(VERSION_REPLY);
  });
});

describe("host: client EOF and resets", function () {
  let srv: TestServer;
  let watcher: SocketClient;
  before(async () => {
    srv = await TestServer.start();
    watcher = await srv.connect();
  });
  after(() => srv.close());

  async function currConnections(): Promise<number> {
    return Number((await stats(watcher)).get("curr_connections"));
  }

  it("EOF in the middle of a value closes cleanly and stores nothing", async () => {
    const base = await currConnections();
    const c = await srv.connect();
    await c.send("set eof-a 0 0 100\r\n" + "a".repeat(50));
    await until("the connection to be counted", async () => (await currConnections()) === base + 1);
    await c.end();
    expect(await c.waitClosed()).to.equal("");
    await until("the connection to be released", async () => (await currConnections()) === base);
    expect(await roundTrip(watcher, "get eof-a\r\n")).to.equal("END\r\n");
  });

  it("EOF in the middle of a command line closes without a reply", async () => {
    const c = await srv.connect();
    await c.end("get eof-b");
    expect(await c.waitClosed()).to.equal("");
  });

  it("EOF while a refused value is being swallowed closes cleanly", async () => {
    const c = await srv.connect();
    await c.end(`set eof-c 0 0 ${2 * 1024 * 1024}\r\n${"c".repeat(1000)}`);
    expect(await c.waitClosed()).to.equal("");
  });

  it("replies to complete commands before the EOF are all sent", async () => {
    const c = await srv.connect();
    await c.end("set eof-d 0 0 1\r\nd\r\nget eof-d\r\nset eof-e 0 0 5\r\nabc");
    expect(await c.waitClosed()).to.equal("STORED\r\nVALUE eof-d 0 1\r\nd\r\nEND\r\n");
    expect(await roundTrip(watcher, "get eof-e\r\n")).to.equal("END\r\n");
  });

  it("a reset mid-value leaves the server working", async () => {
    const base = await currConnections();
    for (let i = 0; i < 5; i++) {
      const c = await srv.connect();
      await c.send(`set eof-r 0 0 500000\r\n${"r".repeat(100000)}`);
      c.socket.resetAndDestroy();
    }
    await until("the reset connections to be released", async () => (await currConnections()) === base);
    expect(await roundTrip(watcher, "set eof-r 0 0 1\r\nr\r\nget eof-r\r\n")).to.equal("STORED\r\nVALUE eof-r 0 1\r\nr\r\nEND\r\n");
    srv.server.engine.checkInvariants();
  });
});
