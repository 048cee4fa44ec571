// Worker threads over one shared core (-t 4) hammered over real sockets by many clients at once,
// on the checked core: its lock-held and lock-order assertions trap on misuse, and a trap
// closes a client and writes a report on stderr.
//
// Two servers. The first is small (-m 8, a 2^13-bucket table, automove on every eviction, the
// crawler on), so evictions, slab page moves, hash expansion and crawls run under the load:
// text, meta and binary clients mix every command on shared keys whose values check
// themselves, on shared counters, and on keys each owns, where a read must give the latest
// write or a miss (test/threads/mixed-load.ts). The second has room, since under memory
// pressure a counter or a CAS key may legitimately be evicted (the page mover too evicts what
// it cannot rescue): there, races with one right answer run while other clients keep a mixed
// load going. Each server ends with the invariant checker (it takes every lock) and with
// curr_items equal to the items a metadump reaches.
//
// Seeds: test/helpers/fuzz-config.ts (FUZZ_SEED replays a run; FUZZ_RUNS sets the operations
// per client; FUZZ_SECONDS runs the mixed load that long).
import { expect } from "chai";
import { TestServer } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { StderrCatcher } from "../helpers/traps.js";
import { Rng } from "../helpers/rng.js";
import { TextClient, MetaClient, BinaryClient, type CacheClient } from "../helpers/cache-clients.js";
import { checkedValue } from "../helpers/checked-values.js";
import { fuzzSeed, fuzzOps, fuzzTimeout } from "../helpers/fuzz-config.js";
import { runLoad, sumTally, UNDER_PRESSURE, WITH_ROOM, type LoadTally } from "./mixed-load.js";
import { acceptedPerWorker, census, connectAll, crawlAndDumpUntil } from "./server-state.js";

const THREADS = 4;
// The item lock table has 2^12 stripes at -t 4; the hash table must be larger.
const HASHPOWER = 13;
const PER_PROTOCOL = 5;
const KINDS = [TextClient, MetaClient, BinaryClient] as const;
const MIX_OPS = 700;
// Enough small items to take the table past 1.5 items per bucket.
const FILL_ITEMS = 14_000;
const FILL_SIZE = 40;
const FILL_BATCH = 200;
const TIMEOUT_MS = 180_000;

const SEED = fuzzSeed("threads: stress");

// Opens PER_PROTOCOL connections per protocol (binary ones speak nothing else).
async function clientsOf(srv: TestServer, perProtocol = PER_PROTOCOL): Promise<CacheClient[]> {
  const sockets = await connectAll(srv, perProtocol * KINDS.length);
  return sockets.map((s, i) => new KINDS[i % KINDS.length](s));
}


// Trap reports from any thread. Workers' stderr reaches this thread asynchronously; closing the
// server waits for every thread to exit, which delivers what they wrote.
function trapReports(stderr: StderrCatcher): string[] {
  return stderr.lines().filter((l) => l.includes("trap"));
}

describe("threads: -t 4 under memory pressure, every command from every protocol (checked core)", function () {
  this.timeout(fuzzTimeout(TIMEOUT_MS));
  let srv: TestServer;
  let clients: CacheClient[];
  let admin: SocketClient;
  let stderr: StderrCatcher;
  let closed = false;

  before(async () => {
    stderr = new StderrCatcher();
    srv = await TestServer.start({
      threads: THREADS, memoryLimitMb: 8, hashpower: HASHPOWER, slabReassign: true, slabAutomove: 2, lruCrawler: true,
    }, undefined, "debug");
    clients = await clientsOf(srv);
    admin = await srv.connect();
  });
  after(async () => {
    stderr.restore();
    if (!closed) await srv.close();
  });

  it("spreads the clients' connections over every worker", async () => {
    const perWorker = await acceptedPerWorker(srv, clients.length + 1);
    expect(perWorker).to.have.length(THREADS);
    expect(Math.min(...perWorker), `connections per worker: ${perWorker.join(" ")}`).to.be.at.least(1);
  });

  it("serves them all at once while the table grows, items are evicted and pages move", async () => {
    // Many small items first, from every client: the table expands under the load.
    await Promise.all(clients.map(async (client, id) => {
      for (let i = 0; i < FILL_ITEMS / clients.length; i += FILL_BATCH) {
        const batch: [string, string][] = [];
        for (let j = i; j < i + FILL_BATCH; j++) batch.push([`f${id}-${j}`, checkedValue(`f${id}-${j}`, id, j, FILL_SIZE)]);
        expect(await client.setQuietly(batch)).to.deep.equal([]);
      }
    }));
    let done = false;
    const [tallies] = await Promise.all([
      runLoad(clients, UNDER_PRESSURE, SEED, 0, fuzzOps(MIX_OPS)).finally(() => { done = true; }),
      crawlAndDumpUntil(admin, () => done),
    ]);
    expect(sumTally(tallies, "sharedHits"), "shared values read back").to.be.above(0);
    expect(sumTally(tallies, "counterHits"), "counters read back").to.be.above(0);
    expect(sumTally(tallies, "ownedHits"), "owned keys read back").to.be.above(0);
    const s = await stats(admin);
    expect(Number(s.get("threads"))).to.equal(THREADS);
    expect(Number(s.get("hash_power_level")), "the table grew").to.be.above(HASHPOWER);
    expect(Number(s.get("evictions")), "evictions").to.be.above(0);
    expect(Number(s.get("slabs_moved")), "pages moved").to.be.above(0);
  });

  it("leaves every structure whole, and curr_items counts exactly the items a metadump reaches", async () => {
    srv.server.engine.checkInvariants();
    const { currItems } = await census(admin);
    expect(currItems).to.be.above(0);
  });

  it("wrote no trap report, from any thread", async () => {
    closed = true;
    await srv.close();
    expect(trapReports(stderr)).to.deep.equal([]);
  });
});

const RACERS_PER_PROTOCOL = 4;
const LOADERS_PER_PROTOCOL = 1;
const INCRS_PER_CLIENT = 150;
const MAX_DELTA = 7;
const DECR_START = 10n ** 12n;
const CAS_ROUNDS = 40;
const ADD_ROUNDS = 40;
const APPENDS_PER_CLIENT = 30;
// The loaders' client ids (their owned keys), apart from the racers'.
const LOADER_IDS = 100;

describe("threads: -t 4 with room, races with one right answer under a mixed load (checked core)", function () {
  this.timeout(fuzzTimeout(TIMEOUT_MS));
  let srv: TestServer;
  let racers: CacheClient[];
  let loaders: CacheClient[];
  let admin: SocketClient;
  let stderr: StderrCatcher;
  let loading: Promise<LoadTally[]>;
  let stopLoad = false;
  let closed = false;

  before(async () => {
    stderr = new StderrCatcher();
    srv = await TestServer.start({ threads: THREADS, memoryLimitMb: 64, lruCrawler: true }, undefined, "debug");
    racers = await clientsOf(srv, RACERS_PER_PROTOCOL);
    loaders = await clientsOf(srv, LOADERS_PER_PROTOCOL);
    admin = await srv.connect();
    await acceptedPerWorker(srv, racers.length + loaders.length + 1);
    loading = runLoad(loaders, WITH_ROOM, SEED, LOADER_IDS, Number.MAX_SAFE_INTEGER, () => stopLoad);
    // A failure surfaces in the test that awaits the load, not as an unhandled rejection.
    loading.catch(() => {});
  });
  after(async () => {
    stopLoad = true;
    stderr.restore();
    if (!closed) await srv.close();
  });

  it("incr and decr from every client at once: each counter ends at the sum of its deltas", async () => {
    expect(await racers[0].store("set", "up", "0")).to.equal("STORED");
    expect(await racers[0].store("set", "down", String(DECR_START))).to.equal("STORED");
    const deltas = await Promise.all(racers.map(async (c, id) => {
      const rng = new Rng(SEED + id);
      let up = 0n;
      let down = 0n;
      for (let i = 0; i < INCRS_PER_CLIENT; i++) {
        const incr = rng.chance(0.5);
        const delta = BigInt(rng.range(1, MAX_DELTA));
        const r = await c.arith(incr ? "up" : "down", incr, delta);
        expect(typeof r, `${c.protocol} ${incr ? "incr" : "decr"}: ${String(r)}`).to.equal("bigint");
        if (incr) up += delta;
        else down += delta;
      }
      return { up, down };
    }));
    const up = deltas.reduce((n, d) => n + d.up, 0n);
    const down = deltas.reduce((n, d) => n + d.down, 0n);
    expect((await racers[1].get("up"))?.value.trimEnd()).to.equal(String(up));
    expect((await racers[2].get("down"))?.value.trimEnd()).to.equal(String(DECR_START - down));
  });

  it("cas from every client on one CAS value: exactly one wins each round", async () => {
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const key = `race${round}`;
      expect(await racers[round % racers.length].store("set", key, checkedValue(key, 0, round, 20))).to.equal("STORED");
      const seen = await Promise.all(racers.map((c) => c.get(key, true)));
      const cas = seen.map((h) => h!.cas);
      expect(new Set(cas).size, `round ${round}: every client read the same CAS`).to.equal(1);
      const values = racers.map((_, id) => checkedValue(key, id, round, 20 + id));
      const replies = await Promise.all(racers.map((c, id) => c.cas(key, values[id], cas[id])));
      const winners = replies.flatMap((r, id) => (r === "STORED" ? [id] : []));
      expect(winners, `round ${round}: ${replies.join(" ")}`).to.have.length(1);
      expect(replies.filter((r) => r === "EXISTS")).to.have.length(racers.length - 1);
      expect((await admin.request(`get ${key}\r\n`, "END\r\n")).split("\r\n")[1], "the winner's value").to.equal(values[winners[0]]);
    }
  });

  it("add of a missing key from every client: exactly one stores it", async () => {
    for (let round = 0; round < ADD_ROUNDS; round++) {
      const key = `fresh${round}`;
      const replies = await Promise.all(racers.map((c, id) => c.store("add", key, checkedValue(key, id, round, 20))));
      expect(replies.filter((r) => r === "STORED"), `round ${round}: ${replies.join(" ")}`).to.have.length(1);
      expect(replies.filter((r) => r === "NOT_STORED")).to.have.length(racers.length - 1);
    }
  });

  it("appends from every client all land, none torn", async () => {
    expect(await racers[0].store("set", "log", "<>")).to.equal("STORED");
    await Promise.all(racers.map(async (c, id) => {
      const token = `<${String(id).padStart(2, "0")}>`;
      for (let i = 0; i < APPENDS_PER_CLIENT; i++) expect(await c.store("append", "log", token)).to.equal("STORED");
    }));
    const log = (await racers[0].get("log"))!.value;
    expect(log).to.have.length(2 + racers.length * APPENDS_PER_CLIENT * 4);
    for (let id = 0; id < racers.length; id++) {
      expect(log.split(`<${String(id).padStart(2, "0")}>`).length - 1, `client ${id}'s appends`).to.equal(APPENDS_PER_CLIENT);
    }
  });

  it("kept the mixed load exact meanwhile: nothing evicted, nothing stale", async () => {
    stopLoad = true;
    const tallies = await loading;
    expect(sumTally(tallies, "ops"), "the load ran").to.be.above(0);
    expect(sumTally(tallies, "ownedHits"), "owned keys read back").to.be.above(0);
    const s = await stats(admin);
    expect(s.get("evictions")).to.equal("0");
  });

  it("leaves every structure whole, and curr_items counts exactly the items a metadump reaches", async () => {
    srv.server.engine.checkInvariants();
    await census(admin);
  });

  it("wrote no trap report, from any thread", async () => {
    closed = true;
    await srv.close();
    expect(trapReports(stderr)).to.deep.equal([]);
  });
});
