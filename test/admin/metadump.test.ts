// lru_crawler metadump on wasmcached alone, at a scale the differential corpus does not reach:
// thousands of items in several classes, a dump larger than the core's reply area, expired and
// deleted items left out, every live item listed exactly once, and the END line last.
import { expect } from "chai";
import { TestServer, roundTrip } from "../helpers/in-process.js";
import { SocketClient } from "../helpers/socket-client.js";
import { MemoryServer } from "../helpers/memory-connection.js";
import { stat } from "../helpers/engine.js";

interface DumpLine {
  key: string;
  exp: number;
  la: number;
  cas: string;
  fetch: string;
  cls: number;
  size: number;
}

const LINE = /^key=(\S+) exp=(-?\d+) la=(\d+) cas=(\d+) fetch=(yes|no) cls=(\d+) size=(\d+)$/;

const BUSY = "BUSY currently processing crawler request\r\n";
const DUMP_WAIT_MS = 20000;
const BUSY_RETRY_MS = 50;

// The maintainer starts crawls of its own (its first check crawls every class with items, as
// memcached's does), and a dump asked for meanwhile is answered BUSY, by memcached too: it is
// asked again once that crawl is done.
async function metadump(c: SocketClient, which: string): Promise<{ lines: DumpLine[]; raw: string }> {
  const deadline = Date.now() + DUMP_WAIT_MS;
  let first: string;
  for (;;) {
    await c.send(`lru_crawler metadump ${which}\r\n`);
    first = await c.readUntilText("\n", DUMP_WAIT_MS);
    if (first !== BUSY || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
  }
  const raw = first === "END\r\n" || first === BUSY ? first : first + await c.readUntilText("END\r\n", DUMP_WAIT_MS);
  expect(raw.endsWith("\nEND\r\n") || raw === "END\r\n", "the dump ends with END").to.equal(true);
  const body = raw.slice(0, -"END\r\n".length);
  expect(body.includes("\r"), "metadump lines end in a bare \\n").to.equal(false);
  const lines = body.split("\n").filter((l) => l !== "").map((l) => {
    const m = LINE.exec(l);
    if (!m) throw new Error(`malformed metadump line ${JSON.stringify(l)}`);
    return { key: decodeURIComponent(m[1]), exp: Number(m[2]), la: Number(m[3]), cas: m[4], fetch: m[5], cls: Number(m[6]), size: Number(m[7]) };
  });
  return { lines, raw };
}

describe("lru_crawler metadump lists every live item exactly once (wasmcached)", function () {
  this.timeout(60000);
  let srv: TestServer;
  let c: SocketClient;
  const live = new Map<string, { size: number; ttl: boolean }>();

  before(async () => {
    srv = await TestServer.start();
    c = await srv.connect();
    // Four classes (value sizes), a TTL on some, keys that need URI encoding, and items that
    // must not appear: expired at once, deleted, flushed by a later overwrite (a new CAS).
    const sizes = [1, 100, 1000, 9000];
    const parts: string[] = [];
    for (let i = 0; i < 12000; i++) {
      const key = i % 97 === 0 ? `md key/${i}%` : `md-${i}`;
      const wire = key.replace(/ /g, "_"); // the text protocol cannot carry a space
      const n = sizes[i % sizes.length];
      const ttl = i % 5 === 0;
      parts.push(`set ${wire} 0 ${ttl ? 1000 : 0} ${n} noreply\r\n${"v".repeat(n)}\r\n`);
      live.set(wire, { size: n, ttl });
    }
    for (let i = 0; i < 500; i++) parts.push(`set md-dead-${i} 0 -1 1 noreply\r\nx\r\n`);
    for (let i = 0; i < 12000; i += 7) {
      const wire = i % 97 === 0 ? `md_key/${i}%` : `md-${i}`;
      parts.push(`delete ${wire} noreply\r\n`);
      live.delete(wire);
    }
    expect(await roundTrip(c, parts.join(""), 30000)).to.equal("");
    // Some fetched, for fetch=yes.
    await roundTrip(c, "get md-1 md-2 md-3\r\n");
  });
  after(() => srv.close());

  it("metadump all: each live key once, nothing else, then END", async () => {
    const { lines, raw } = await metadump(c, "all");
    expect(raw.length, "larger than one reply area").to.be.greaterThan(1024 * 1024 / 2);
    const seen = new Map<string, number>();
    for (const l of lines) seen.set(l.key, (seen.get(l.key) ?? 0) + 1);
    const dupes = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
    expect(dupes, "listed more than once").to.deep.equal([]);
    expect([...seen.keys()].filter((k) => !live.has(k)), "listed but not live").to.deep.equal([]);
    expect([...live.keys()].filter((k) => !seen.has(k)), "live but not listed").to.deep.equal([]);
  });

  it("metadump lines: exp, fetch, class and size make sense", async () => {
    const { lines } = await metadump(c, "all");
    const now = Math.floor(Date.now() / 1000);
    const classes = new Set<number>();
    for (const l of lines) {
      const want = live.get(l.key)!;
      if (want.ttl) expect(Math.abs(l.exp - (now + 1000)), `exp of ${l.key}`).to.be.at.most(3);
      else expect(l.exp, `exp of ${l.key}`).to.equal(-1);
      expect(Math.abs(l.la - now), `la of ${l.key}`).to.be.at.most(5);
      // memcached's size: header 48, key + 1, value + 2, CAS 8.
      expect(l.size, `size of ${l.key}`).to.equal(48 + l.key.length + 1 + want.size + 2 + 8);
      classes.add(l.cls);
    }
    expect(classes.size).to.equal(4);
    const fetched = lines.filter((l) => l.fetch === "yes").map((l) => l.key).sort();
    expect(fetched).to.deep.equal(["md-1", "md-2", "md-3"]);
    expect(lines.find((l) => l.key === "md_key/97%"), "URI-decoded key").to.not.equal(undefined);
  });

  it("metadump by class lists exactly that class's items", async () => {
    const { lines: all } = await metadump(c, "all");
    const byClass = new Map<number, string[]>();
    for (const l of all) byClass.set(l.cls, [...(byClass.get(l.cls) ?? []), l.key]);
    const [first, second] = [...byClass.keys()].sort((a, b) => a - b);
    const { lines } = await metadump(c, `${first},${second}`);
    expect(lines.map((l) => l.key).sort()).to.deep.equal([...byClass.get(first)!, ...byClass.get(second)!].sort());
  });

  it("metadump hash lists the same set", async () => {
    const { lines } = await metadump(c, "hash");
    expect(lines.length).to.equal(live.size);
    expect(new Set(lines.map((l) => l.key)).size).to.equal(live.size);
  });

  it("the connection serves commands again after a dump", async () => {
    await metadump(c, "all");
    expect(await roundTrip(c, "get md-1\r\n")).to.equal("VALUE md-1 0 100\r\n" + "v".repeat(100) + "\r\nEND\r\n");
  });
});

// The maintainer schedules crawls of its own; one that starts after a metadump must reclaim
// (memcached's EXPIRED module), not go on as a metadump nobody reads, which left every later
// crawl and dump BUSY for good.
describe("a scheduled crawl after a metadump (checked core, in memory)", () => {
  it("runs as a crawl and finishes, and the crawler takes requests again", async () => {
    const server = await MemoryServer.create();
    const c = server.connect();
    const e = server.engine;
    for (let i = 0; i < ITEMS; i++) e.set(`sc-${i}`, "v");
    c.send(Buffer.from("lru_crawler metadump all\r\n"));
    expect(c.takeOutput().toString().endsWith("END\r\n")).to.equal(true);
    server.clock.advance(WAIT_PAST_SCHEDULE);
    for (let i = 0; i < MAINTAIN_STEPS && e.maintain(); i++);
    expect(stat(e, "lru_crawler_starts"), "the maintainer started a crawl").to.be.at.least(2);
    expect(stat(e, "lru_crawler_running")).to.equal(0);
    expect(stat(e, "crawler_items_checked")).to.be.at.least(ITEMS);
    c.send(Buffer.from("lru_crawler crawl all\r\n"));
    expect(c.takeOutput().toString()).to.equal("OK\r\n");
    server.expectNoTrap("scheduled crawl");
    e.checkInvariants();
  });
});

const ITEMS = 50;
const WAIT_PAST_SCHEDULE = 3601; // past every class's next automatic crawl
const MAINTAIN_STEPS = 100;
