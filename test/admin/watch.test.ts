// `watch` log lines and -vv traces. Each watch line is `ts=<sec>.<usec> gid=<n> <event>`: the
// event text is compared with memcached's for the same commands (file descriptors and client
// ports masked), and gid must grow by one per line. -vv traces go to stderr.
import { expect } from "chai";
import { startMemcached, startWasmcached, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { startPair } from "../helpers/differential.js";
import { TestServer, roundTrip } from "../helpers/in-process.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LINES_WAIT_MS = 10_000;
const POLL_MS = 20;

interface Watched {
  events: string[];
  raw: string[];
  gids: number[];
  stamps: number[];
}

/** Watches `types` on one connection while another runs `send`, then parses what arrived. */
async function watch(port: number, types: string, send: string, settleMs = 400): Promise<Watched> {
  const w = await SocketClient.connect(port);
  try {
    w.write(`watch ${types}\r\n`);
    await w.readUntil("OK\r\n");
    const c = await SocketClient.connect(port);
    // The trailing version logs nothing; its reply shows every command before it has run.
    c.write(send + "version\r\n");
    await c.waitQuiet(5000, 30000, (r) => r.toString("latin1").endsWith("VERSION 1.6.18\r\n"));
    c.destroy();
    // Lines from another worker thread come over a channel: wait for the first, then for quiet.
    const deadline = Date.now() + LINES_WAIT_MS;
    while (w.received().length === 0 && Date.now() < deadline) await sleep(POLL_MS);
    await w.waitQuiet(settleMs, LINES_WAIT_MS);
    const out: Watched = { events: [], raw: [], gids: [], stamps: [] };
    for (const line of w.received().toString("latin1").split("\n")) {
      if (!line) continue;
      const m = /^ts=(\d+)\.(\d+) gid=(\d+) (.*)$/.exec(line);
      if (!m) throw new Error(`malformed watch line ${JSON.stringify(line)}`);
      out.stamps.push(Number(m[1]));
      out.gids.push(Number(m[3]));
      out.raw.push(m[4]);
      out.events.push(m[4].replace(/\bcfd=\d+/, "cfd=<fd>").replace(/\brport=\d+/, "rport=<port>"));
    }
    return out;
  } finally {
    w.destroy();
  }
}

function expectConsecutive(gids: number[]): void {
  expect(gids.length).to.be.greaterThan(0);
  gids.forEach((g, i) => {
    if (i > 0) expect(g, `gid of line ${i + 1}`).to.equal(gids[i - 1] + 1);
  });
}

// Every fetch and store path: text and meta, hits and misses, each store status.
const FETCH_AND_MUTATE =
  "set a 0 0 1\r\nx\r\nget a b\r\ngets a\r\nadd a 0 0 1\r\nx\r\nappend a 0 0 1\r\ny\r\ncas a 0 0 1 1\r\nz\r\n" +
  "cas zz 0 0 1 1\r\nz\r\nreplace nope 0 0 1\r\nx\r\nprepend a 5 0 1\r\nw\r\ntouch a 10\r\ngat 20 a\r\nincr a 1\r\n" +
  "delete a\r\nmg a v\r\nms a 1 T30\r\nx\r\nmg a v\r\nmg a s T5\r\nmd a\r\nma c N0\r\nma c\r\nmn\r\n" +
  "set k%20/é 0 0 1\r\nx\r\nget k%20/é\r\n";

describe("watch lines (memcached vs wasmcached)", function () {
  this.timeout(60000);
  let pair: Awaited<ReturnType<typeof startPair>>;
  before(async () => {
    pair = await startPair([]);
  });
  after(() => pair?.stop());

  it("fetchers and mutations: the same events in the same order, gid +1 per line", async () => {
    const [a, b] = await Promise.all([
      watch(pair.reference.port, "fetchers mutations", FETCH_AND_MUTATE),
      watch(pair.candidate.port, "fetchers mutations", FETCH_AND_MUTATE),
    ]);
    expect(a.events.length).to.be.greaterThan(20);
    expect(b.events).to.deep.equal(a.events);
    expectConsecutive(a.gids);
    expectConsecutive(b.gids);
    const now = Date.now() / 1000;
    for (const ts of b.stamps) expect(Math.abs(ts - now)).to.be.below(10);
  });

  it("fetchers only (the default) and mutations only", async () => {
    for (const types of ["", "mutations"]) {
      const [a, b] = await Promise.all([
        watch(pair.reference.port, types, FETCH_AND_MUTATE),
        watch(pair.candidate.port, types, FETCH_AND_MUTATE),
      ]);
      expect(b.events, `watch ${types}`).to.deep.equal(a.events);
      expectConsecutive(b.gids);
    }
  });

  it("connevents: conn_new and conn_close", async () => {
    // Only the test client's events: a connection of an earlier test may still be closing.
    const own = (w: Watched) => {
      const port = / rport=(\d+) /.exec(w.raw.find((e) => e.startsWith("type=conn_new")) ?? "")?.[1];
      return w.events.filter((_, i) => w.raw[i].includes(` rport=${port} `));
    };
    const [wa, wb] = await Promise.all([
      watch(pair.reference.port, "connevents", "version\r\n"),
      watch(pair.candidate.port, "connevents", "version\r\n"),
    ]);
    const a = { events: own(wa) };
    const b = { events: own(wb) };
    expect(a.events).to.deep.equal([
      "type=conn_new rip=127.0.0.1 rport=<port> transport=tcp cfd=<fd>",
      "type=conn_close rip=127.0.0.1 rport=<port> transport=tcp reason=normal cfd=<fd>",
    ]);
    expect(b.events).to.deep.equal(a.events);
    expectConsecutive(wb.gids);
  });

  it("each watcher gets its own types: mutations only vs mutations and fetchers", async () => {
    const port = pair.candidate.port;
    const w1 = await SocketClient.connect(port);
    const w2 = await SocketClient.connect(port);
    w1.write("watch mutations\r\n");
    w2.write("watch mutations fetchers\r\n");
    await Promise.all([w1.readUntil("OK\r\n"), w2.readUntil("OK\r\n")]);
    const c = await SocketClient.connect(port);
    c.write("set w 0 0 1\r\nx\r\nget w\r\n");
    await c.waitQuiet(200);
    c.destroy();
    const lines = (w: SocketClient) => w.received().toString().split("\n").filter(Boolean).length;
    const deadline = Date.now() + LINES_WAIT_MS;
    while ((lines(w1) < 1 || lines(w2) < 3) && Date.now() < deadline) await sleep(POLL_MS);
    await Promise.all([w1.waitQuiet(200), w2.waitQuiet(200)]);
    const events = (w: SocketClient) =>
      w.received().toString().split("\n").filter(Boolean).map((l) => l.replace(/^ts=\S+ gid=\d+ /, "").replace(/cfd=\d+/, "cfd=<fd>"));
    const store = "type=item_store key=w status=stored cmd=set ttl=0 clsid=1 cfd=<fd> size=1";
    expect(events(w1)).to.deep.equal([store]);
    // memcached's store looks the key up first, so the set also logs a miss.
    expect(events(w2)).to.deep.equal([
      "type=item_get key=w status=not_found clsid=0 cfd=<fd> size=0", store,
      "type=item_get key=w status=found clsid=1 cfd=<fd> size=1",
    ]);
    w1.destroy();
    w2.destroy();
  });
});

describe("watch evictions (memcached vs wasmcached)", function () {
  this.timeout(60000);
  // 1770 such items fit in -m 2; a few hundred evictions stay within memcached's 64 KiB worker
  // log buffer, which drops lines in a longer burst.
  const FILL_ITEMS = 2100;
  const EVICTED = 330;
  let fill = "";
  for (let i = 0; i < FILL_ITEMS; i++) fill += `set key${i} 0 0 1000\r\n${"x".repeat(1000)}\r\n`;

  // la is whole seconds since the item was stored: a burst that straddles a tick of either
  // server's clock shows 1 where the other shows 0.
  const steady = (w: Watched) => w.events.map((e) => e.replace(/ la=[01] /, " la=<0|1> "));

  async function evictions(args: string[]): Promise<[Watched, Watched]> {
    const pair = await startPair(["-m", "2", ...args]);
    try {
      return await Promise.all([watch(pair.reference.port, "evictions", fill, 600), watch(pair.candidate.port, "evictions", fill, 600)]);
    } finally {
      await pair.stop();
    }
  }

  // Without the maintainer both LRUs are flat (memcached turns segmentation off with it), so
  // the order is the order of the sets on both, whatever the timing.
  it("evictions from a flat LRU: the same items, in order, with memcached's fields", async () => {
    const [a, b] = await evictions(["-o", "no_lru_maintainer"]);
    expect(a.events.length).to.equal(EVICTED);
    expect(steady(a)[0]).to.equal("type=eviction key=key0 fetch=no ttl=-1 la=<0|1> clsid=12 size=1000");
    expect(steady(b)).to.deep.equal(steady(a));
    expectConsecutive(b.gids);
  });

  // With segmented LRUs a maintainer moves items between segments beside the burst, in both
  // servers, and an item on the move when a store evicts is passed over and evicted a little
  // later: the order depends on timing, the number of evictions and each line's shape do not.
  it("evictions from segmented LRUs: as many, each line in memcached's form", async () => {
    const [a, b] = await evictions([]);
    const shapes = (w: Watched) => new Set(steady(w).map((e) => e.replace(/\bkey=key\d+ /, "key=<key> ")));
    expect(a.events.length).to.equal(EVICTED);
    expect(b.events.length).to.equal(a.events.length);
    expect(shapes(b)).to.deep.equal(shapes(a));
    expectConsecutive(b.gids);
  });
});

// ── -vv ────────────────────────────────────────────────────────────────────────────────

const TRACED = "set foo 0 0 1\r\nx\r\nget foo bar\r\nmg foo v\r\ndelete foo\r\nincr x 1\r\nbogus\r\nversion\r\nmn\r\n";

/** The -vv lines one connection caused, with its descriptor number replaced by N. */
async function trace(s: RunningServer, send: string): Promise<string[]> {
  const from = s.stderr().length;
  const c = await SocketClient.connect(s.port);
  c.write(send);
  await c.waitQuiet(200);
  c.destroy();
  await sleep(300);
  const all = s.stderr().slice(from).split("\n").filter(Boolean);
  // Other connections (the start-up probe's, an earlier test's) may be traced meanwhile: keep
  // the lines of the descriptor that ran our first command, from its opening on.
  const fd = /^<(\d+) set foo /.exec(all.find((l) => /^<\d+ set foo /.test(l)) ?? "")?.[1];
  expect(fd, `no "set foo" line in ${JSON.stringify(all)}`).to.not.equal(undefined);
  const mine = all.filter((l) => new RegExp(`^[<>]?${fd}\\b`).test(l));
  const opened = mine.lastIndexOf(`<${fd} new auto-negotiating client connection`, mine.indexOf(mine.find((l) => l.startsWith(`<${fd} set foo`))!));
  return mine.slice(opened).map((l) => l.replace(new RegExp(`^([<>]?)${fd}\\b`), "$1N"));
}

describe("-vv traces on stderr", function () {
  this.timeout(60000);
  let wasm: RunningServer;
  before(async () => {
    wasm = await startWasmcached(["-vv", "-l", "127.0.0.1"]);
  });
  after(() => wasm?.stop());

  it("wasmcached: `<N command` and `>N reply` lines, connection open and close", async () => {
    const lines = await trace(wasm, TRACED);
    expect(lines).to.include.ordered.members([
      "<N new auto-negotiating client connection",
      "N: Client using the ascii protocol",
      "<N set foo 0 0 1",
      ">N STORED",
      "<N get foo bar",
    ]);
    for (const l of [">N sending key foo", ">N END", "<N delete foo", ">N DELETED", "<N incr x 1", ">N NOT_FOUND", "<N bogus", ">N ERROR", "<N version", ">N VERSION 1.6.18", "<N mn", ">N MN", "<N connection closed."]) {
      expect(lines).to.include(l);
    }
    expect(lines[lines.length - 1]).to.equal("<N connection closed.");
  });

  it("the same lines as memcached -vv", async () => {
    const mc = await startMemcached(["-vv", "-l", "127.0.0.1"]);
    try {
      const [a, b] = await Promise.all([trace(mc, TRACED), trace(wasm, TRACED)]);
      expect(b).to.deep.equal(a);
    } finally {
      await mc.stop();
    }
  });
});

// -o watcher_logbuf_size=8, as memcached's watcher.t: a watcher that stops reading loses lines
// once 8 KiB wait unsent, counted; when it reads again, a "skipped=N" line comes first.
describe("watch: a watcher that stops reading (watcher_logbuf_size)", function () {
  this.timeout(60000);
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ watcherLogbufSize: 8 });
  });
  after(() => srv.close());

  it("skips lines past its buffer, says how many before the next line, and counts them", async () => {
    const watcher = await srv.connect();
    expect(await watcher.request("watch fetchers\r\n")).to.equal("OK\r\n");
    watcher.socket.pause();
    const client = await srv.connect();
    const spacer = "X".repeat(180);
    const GETS = 40000; // ~10 MB of lines: more than the kernel's socket buffers hold
    let burst = "";
    for (let i = 0; i < GETS; i++) burst += `get skip${i}${spacer}\r\n`;
    expect(await roundTrip(client, burst)).to.equal("END\r\n".repeat(GETS));
    const s = await stats(client);
    expect(Number(s.get("log_watcher_skipped")), "lines skipped").to.be.greaterThan(0);
    expect(Number(s.get("log_watcher_sent")) + Number(s.get("log_watcher_skipped"))).to.equal(GETS);
    expect(s.get("log_watchers")).to.equal("1");
    expect((await stats(client, "settings")).get("watcher_logbuf_size")).to.equal("8192");
    watcher.socket.resume();
    await sleep(200);
    expect(await roundTrip(client, "get after-skip\r\n")).to.equal("END\r\n");
    const lines = (await watcher.readUntilText("key=after-skip")).split("\n");
    const notice = lines.findIndex((l) => /^skipped=\d+$/.test(l));
    expect(notice, "no skipped=N line").to.be.greaterThan(-1);
    expect(Number(lines[notice].slice("skipped=".length))).to.equal(Number(s.get("log_watcher_skipped")));
    expect(lines[notice + 1], lines.slice(notice - 1, notice + 3).join("\n")).to.match(/^ts=\d+\.\d+ gid=\d+ type=item_get key=after-skip/);
  });
});
