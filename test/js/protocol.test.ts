// The JS twin over real sockets (`startServer({ engine: "js" })`): large values split across
// packets, pipelined and output-filling gets, what it reports in `stats`, and the
// commands it leaves to the WASM engine. Its -R yields are tested with the core's, in
// test/protocol/host.test.ts.
import { expect } from "chai";
import { TestServer, roundTrip, VERSION_REPLY } from "../helpers/in-process.js";
import { SocketClient, patternBytes, stats } from "../helpers/socket-client.js";
import type { CacheEngine } from "../../host/engine_api.js";
import type { ServerOptions } from "../../host/options.js";

const KB = 1024;

function setCommand(key: string, value: Buffer, extra = ""): Buffer {
  return Buffer.concat([Buffer.from(`set ${key} 0 0 ${value.length}${extra}\r\n`), value, Buffer.from("\r\n")]);
}

function hit(key: string, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`VALUE ${key} 0 ${value.length}\r\n`), value, Buffer.from("\r\n")]);
}

/** A twin server for the describe block and a fresh client per test. */
function twinPerSuite(options: Partial<ServerOptions>, use: (srv: TestServer<CacheEngine>, c: SocketClient) => void): void {
  let srv: TestServer<CacheEngine>;
  before(async () => {
    srv = await TestServer.startJs(options);
  });
  after(() => srv.close());
  beforeEach(async () => use(srv, await srv.connect()));
  afterEach(() => srv.dropClients());
}

describe("js twin: values split across packets", function () {
  this.timeout(20000);
  let srv: TestServer<CacheEngine>;
  let c: SocketClient;
  twinPerSuite({}, (s, x) => {
    srv = s;
    c = x;
  });

  it("a 1 MB value in 64 KiB segments is parsed once, when whole (ProcFlag.NEED_MORE), not once per segment", async () => {
    const value = patternBytes(1000 * KB, 7);
    const protocol = srv.server.protocol;
    const original = protocol.process.bind(protocol);
    let calls = 0;
    protocol.process = (id: number, len: number) => {
      calls++;
      return original(id, len);
    };
    try {
      await c.sendPieces(setCommand("split-1m", value), 64 * KB, 2);
      expect(await c.readLine()).to.equal("STORED\r\n");
    } finally {
      protocol.process = original;
    }
    // The line with the first segment, then the whole value.
    expect(calls).to.equal(2);
    expect((await roundTrip(c, "get split-1m\r\n")) === hit("split-1m", value).toString("latin1") + "END\r\n").to.equal(true);
  });

  it("a value cut inside its CRLF, and a command cut after it, both arrive whole", async () => {
    const value = patternBytes(50 * KB, 3);
    const all = Buffer.concat([setCommand("split-crlf", value), Buffer.from("get split-crlf\r\n")]);
    const cut = 40 + value.length + 1;
    await c.sendPieces(all, [cut, 3, all.length - cut - 3], 20);
    expect(await c.readLine()).to.equal("STORED\r\n");
    expect((await c.readBytes(hit("split-crlf", value).length)).equals(hit("split-crlf", value))).to.equal(true);
    expect(await c.readLine()).to.equal("END\r\n");
  });

  it("a refused value (over -I) is swallowed across packets, and its replies wait for the swallow to end", async () => {
    const big = Buffer.alloc(KB * KB + 1, 0x61);
    await c.sendPieces(Buffer.concat([Buffer.from("version\r\n"), setCommand("split-big", big), Buffer.from("get split-big\r\n")]), 100 * KB, 2);
    expect(await c.readUntilText("END\r\n")).to.equal(`${VERSION_REPLY}SERVER_ERROR object too large for cache\r\nEND\r\n`);
  });
});

describe("js twin: pipelined gets", function () {
  this.timeout(20000);
  let c: SocketClient;
  twinPerSuite({}, (_s, x) => (c = x));

  it("thousands of pipelined sets and gets in one write are answered in order", async () => {
    let input = "";
    let expected = "";
    for (let i = 0; i < 2000; i++) {
      input += `set pg-${i} ${i} 0 ${String(i).length}\r\n${i}\r\nget pg-${i} pg-none pg-${i}\r\n`;
      const v = `VALUE pg-${i} ${i} ${String(i).length}\r\n${i}\r\n`;
      expected += `STORED\r\n${v}${v}END\r\n`;
    }
    expect((await roundTrip(c, input)) === expected, "pipeline replies differ").to.equal(true);
  });

  it("a multi-get larger than the output area comes back whole (ProcFlag.AGAIN), then the next command", async () => {
    const value = patternBytes(700 * KB, 11);
    expect(await roundTrip(c, setCommand("pg-big", value))).to.equal("STORED\r\n");
    await c.send(`get ${"pg-big pg-nope ".repeat(8)}\r\nget pg-big\r\n`);
    for (let i = 0; i < 9; i++) {
      expect((await c.readBytes(hit("pg-big", value).length)).equals(hit("pg-big", value)), `hit ${i}`).to.equal(true);
      if (i >= 7) expect(await c.readLine()).to.equal("END\r\n");
    }
    expect(await roundTrip(c, "")).to.equal("");
  });
});

describe("js twin: stats", function () {
  this.timeout(20000);
  let srv: TestServer<CacheEngine>;
  let c: SocketClient;
  twinPerSuite({}, (s, x) => {
    srv = s;
    c = x;
  });

  it("shows the driver's connection and byte counts, and stats reset zeroes the counters", async () => {
    const other = await srv.connect();
    await roundTrip(other, "version\r\n");
    const s = await stats(c);
    expect(Number(s.get("curr_connections"))).to.equal(2);
    expect(Number(s.get("total_connections"))).to.be.at.least(2);
    expect(Number(s.get("bytes_read"))).to.be.greaterThan(0);
    expect(Number(s.get("bytes_written"))).to.be.greaterThan(0);
    expect(s.get("threads")).to.equal("1");
    expect(s.get("accepting_conns")).to.equal("1");
    expect(s.get("libevent")).to.equal(`node-${process.versions.node}`);
    expect(s.get("pid")).to.equal(String(process.pid));
    expect(await roundTrip(c, "stats reset\r\n")).to.equal("RESET\r\n");
    const r = await stats(c);
    expect(r.get("total_connections")).to.equal("0");
    expect(r.get("curr_connections")).to.equal("2");
  });

  it("stats conns lists the connections, the asking one in conn_parse_cmd", async () => {
    const reply = await c.request("stats conns\r\n", "END\r\n");
    expect(reply).to.match(/STAT \d+:state conn_parse_cmd\r\n/);
    expect(reply).to.match(/STAT 0:state conn_listening\r\n/);
  });
});

// The counters memcached moves in its protocol code (refusals before the cache is touched)
// must come out as the core counts them: the same commands on both engines, the same values,
// and the lines both have in the same order (JsEngine reports no slab, hash table or LRU
// segment lines, and one of its own).
describe("js twin: the same counters and settings as the WASM core", function () {
  this.timeout(20000);
  const COUNTERS = [
    "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "get_hits", "get_misses", "get_flushed", "delete_misses",
    "delete_hits", "incr_misses", "incr_hits", "decr_misses", "decr_hits", "cas_misses", "cas_hits", "cas_badval",
    "touch_hits", "touch_misses", "store_too_large", "store_no_memory", "curr_items", "total_items", "bytes",
  ];
  const SESSION = [
    "set a 1 0 1\r\nx\r\nget a b\r\ngets a\r\ngat 10 a b\r\ntouch a 0\r\ntouch b 0\r\n",
    "set n 0 0 2\r\n10\r\nincr n 1\r\ndecr n 1\r\nincr b 1\r\ndecr b 1\r\ncas n 0 0 1 999\r\n1\r\ncas q 0 0 1 1\r\n1\r\n",
    "set a 0 0 1\r\nxyz\r\n",
    `set a 0 0 ${KB * KB}\r\n${"z".repeat(KB * KB)}\r\nset gone 0 0 ${KB * KB}\r\n${"z".repeat(KB * KB)}\r\n`,
    "delete n\r\ndelete n\r\nflush_all x\r\nflush_all 100\r\nflush_all noreply\r\nget n a\r\nappend b 0 0 1\r\nx\r\n",
  ].join("");

  for (const [label, options] of [["default", {}], ["-F -C", { flushEnabled: false, cas: false }]] as const) {
    it(`${label}: stats counters and stats settings`, async () => {
      const wasm = await TestServer.start(options);
      const twin = await TestServer.startJs(options);
      try {
        const [cw, cj] = await Promise.all([wasm.connect(), twin.connect()]);
        const [rw, rj] = await Promise.all([roundTrip(cw, SESSION), roundTrip(cj, SESSION)]);
        expect(rj).to.equal(rw);
        const [sw, sj] = await Promise.all([stats(cw), stats(cj)]);
        expect([...sj.keys()].filter((k) => sw.has(k))).to.deep.equal([...sw.keys()].filter((k) => sj.has(k)));
        for (const name of COUNTERS) expect(sj.get(name), name).to.equal(sw.get(name));
        const [gw, gj] = await Promise.all([stats(cw, "settings"), stats(cj, "settings")]);
        // `tcpport` is the port asked for (-p -1 in both); everything else is the same option table.
        expect([...gj]).to.deep.equal([...gw]);
      } finally {
        await Promise.all([wasm.close(), twin.close()]);
      }
    });
  }
});

describe("js twin: commands it leaves to the WASM engine", function () {
  let c: SocketClient;
  twinPerSuite({}, (_s, x) => (c = x));

  it("answer ERROR, as an unknown command does (a meta set's data line is then a command too)", async () => {
    const lines = [
      "mg foo v", "mn", "me foo", "md foo", "ma foo", "lru_crawler crawl all", "lru tune 10 10 0.1 2", "slabs automove 0",
      "watch", "cache_memlimit 100", "stats items", "stats slabs", "stats sizes", "stats detail dump", "stats cachedump 1 1",
    ];
    expect(await roundTrip(c, lines.map((l) => `${l}\r\n`).join(""))).to.equal("ERROR\r\n".repeat(lines.length));
    expect(await roundTrip(c, "ms foo 1\r\nx\r\n")).to.equal("ERROR\r\nERROR\r\n");
  });

  it("binary-protocol bytes are text to it: a garbage line, not a binary reply", async () => {
    const get = Buffer.from([0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x61]);
    expect(await roundTrip(c, Buffer.concat([get, Buffer.from("\r\n")]))).to.equal("ERROR\r\n");
  });
});
