// The stress test's hammering in process, without sockets, so many interleavings run quickly:
// worker threads each attach their own instance of one shared checked core (its lock-held and
// lock-order assertions on) and call the engine's API in tight seeded loops, while one more
// thread plays memcached's background threads (maintenance back to back: hash expansion, the
// LRU maintainer, automove and the page mover; a crawl now and then; the clock). Every 25 ms
// this thread parks them all between two calls and runs the invariant checker
// (test/threads/hammer-control.ts says why parking, not only the checker's locks).
//
// Two cores, as in stress.test.ts: a small one for the mixed load (evictions, page moves, the
// table growing), and one with room for the races with one right answer, under a mixed load.
//
// Seeds: test/helpers/fuzz-config.ts (FUZZ_SEED replays a run; FUZZ_RUNS sets the operations
// per loader; FUZZ_SECONDS runs the mixed load that long).
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { Engine, type CompiledCore } from "../../host/wasm_engine.js";
import { NODE_RUNTIME } from "../../host/node/server.js";
import { readCoreWasm } from "../../host/wasm.js";
import type { ServerOptions } from "../../host/options.js";
import { fuzzSeed, fuzzOps, fuzzDeadline, fuzzTimeout } from "../helpers/fuzz-config.js";
import { HammerControl, createControl } from "./hammer-control.js";
import type { HammerStart, HammerReport, Role } from "./hammer-worker.js";
import { sumTally, UNDER_PRESSURE, WITH_ROOM, type LoadTally } from "./mixed-load.js";

const WORKER_URL = new URL("./hammer-worker.js", import.meta.url);
const SEED = fuzzSeed("threads: hammer");
// -t 4's item lock table (2^12 stripes) under a 2^13-bucket hash table.
const THREADS = 4;
const HASHPOWER = 13;
const CHECK_EVERY_MS = 25;
// Threads that have not reported by then are stuck (a lock never released): the test fails
// naming them instead of hanging.
const STUCK_MS = 120_000;
const TIMEOUT_MS = 180_000;

interface Hammer {
  ctl: HammerControl;
  /** Settles once every thread of `roles` has reported. */
  reports(roles: Role[]): Promise<HammerReport[]>;
  all(): Promise<HammerReport[]>;
  /** Parks every thread between two calls and runs the invariant checker; false if one failed. */
  checkStill(): Promise<boolean>;
  /** Stops and ends every thread (after a failure, some may never report). */
  end(): Promise<void>;
}

const PARK_POLL_MS = 1;

// Thread blocks: 0 this thread, then one per role.
function startHammer(engine: Engine, roles: Role[], racers: number, settings: Partial<HammerStart>): Hammer {
  const control = createControl(racers);
  const ctl = new HammerControl(control, racers);
  const share = engine.share();
  let racer = 0;
  const threads = roles.map((role, i) => {
    const start: HammerStart = {
      share, thread: i + 1, role, control, racers, seed: SEED, ops: 0, deadline: Number.POSITIVE_INFINITY,
      shape: WITH_ROOM, fill: 0, racer: role === "race" ? racer++ : -1, rounds: 0, ...settings,
    };
    const worker = new Worker(WORKER_URL, { workerData: start });
    const report = new Promise<HammerReport>((resolve) => {
      worker.once("message", resolve);
      worker.once("error", (err) => resolve({ kind: "failed", thread: start.thread, role, message: err.stack ?? String(err) }));
    });
    return { role, worker, report };
  });
  const settled = async (which: typeof threads) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`threads still running after ${STUCK_MS} ms: ${which.map((t) => t.role).join(" ")}`)), STUCK_MS);
    });
    try {
      return await Promise.race([Promise.all(which.map((t) => t.report)), stuck]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    ctl,
    reports: (only) => settled(threads.filter((t) => only.includes(t.role))),
    all: () => settled(threads),
    async checkStill() {
      ctl.askToPark();
      try {
        const deadline = Date.now() + STUCK_MS;
        while (ctl.parked() < threads.length && !ctl.failed()) {
          if (Date.now() > deadline) throw new Error(`threads did not park within ${STUCK_MS} ms`);
          await new Promise((r) => setTimeout(r, PARK_POLL_MS));
        }
        if (ctl.failed()) return false;
        engine.checkInvariants();
        return true;
      } finally {
        ctl.release();
      }
    },
    async end() {
      ctl.stop();
      ctl.fail();
      ctl.release();
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}

function failures(reports: HammerReport[]): string[] {
  return reports.flatMap((r) => (r.kind === "failed" ? [`thread ${r.thread} (${r.role}): ${r.message}`] : []));
}

// Checks the invariants with every thread parked, again and again until `done` settles;
// returns how many checks ran.
async function checkWhile(hammer: Hammer, done: Promise<unknown>): Promise<number> {
  let over = false;
  done.then(() => { over = true; }, () => { over = true; });
  let checks = 0;
  while (!over && await hammer.checkStill()) {
    checks++;
    await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
  }
  return checks;
}

// Runs `roles` until the `done` ones have reported, checking the invariants with every thread
// parked meanwhile, then stops the rest; fails on any thread's failure, returns the loads' tallies.
async function hammerUntilDone(engine: Engine, roles: Role[], racers: number, done: Role[], settings: Partial<HammerStart>): Promise<LoadTally[]> {
  const hammer = startHammer(engine, roles, racers, settings);
  let reports: HammerReport[];
  let checks: number;
  try {
    checks = await checkWhile(hammer, hammer.reports(done));
    hammer.ctl.stop();
    reports = await hammer.all();
  } finally {
    await hammer.end();
  }
  expect(failures(reports)).to.deep.equal([]);
  engine.checkInvariants();
  expect(checks, "invariant checks while the threads ran").to.be.above(1);
  return reports.flatMap((r) => (r.kind === "done" && r.tally ? [r.tally] : []));
}


let compiled: CompiledCore | undefined;

async function sharedCore(options: Partial<ServerOptions>, threads: number): Promise<Engine> {
  // Node 20 needs TurboFan for a threaded core (NODE_RUNTIME.compile says why).
  compiled ??= await NODE_RUNTIME.compile(readCoreWasm("debug"));
  return Engine.createShared(compiled, { threads: THREADS, ...options }, 1 + threads);
}

const LOADERS = 4;
const LOAD_OPS = 12_000;
// Enough small items to take the table past 1.5 items per bucket.
const FILL_PER_LOADER = 4000;

describe("threads: hammered in process, small memory (checked core, worker threads)", function () {
  this.timeout(fuzzTimeout(TIMEOUT_MS));

  it("every value whole, owned keys never stale, while the table grows, items are evicted and pages move", async () => {
    const engine = await sharedCore({ memoryLimitMb: 8, hashpower: HASHPOWER, slabReassign: true, slabAutomove: 2, lruCrawler: true }, LOADERS + 1);
    const roles: Role[] = [...Array<Role>(LOADERS).fill("load"), "background"];
    const tallies = await hammerUntilDone(engine, roles, 0, ["load"], { shape: UNDER_PRESSURE, ops: fuzzOps(LOAD_OPS), deadline: fuzzDeadline(), fill: FILL_PER_LOADER });
    expect(sumTally(tallies, "sharedHits"), "shared values read back").to.be.above(0);
    expect(sumTally(tallies, "ownedHits"), "owned keys read back").to.be.above(0);
    const s = engine.stats();
    expect(Number(s.get("hash_power_level")), "the table grew").to.be.above(HASHPOWER);
    expect(Number(s.get("evictions")), "evictions").to.be.above(0);
    expect(Number(s.get("slabs_moved")), "pages moved").to.be.above(0);
    expect(Number(s.get("crawler_items_checked")), "the crawler ran").to.be.above(0);
  });
});

const RACERS = 3;
const ROUNDS = 1000;

describe("threads: hammered in process, races with one right answer under a mixed load (checked core)", function () {
  this.timeout(fuzzTimeout(TIMEOUT_MS));

  it("incr/decr sums are exact, one cas wins and one add stores each round, every append lands; the load stays exact", async () => {
    const engine = await sharedCore({ memoryLimitMb: 64, lruCrawler: true }, RACERS + 2);
    const roles: Role[] = [...Array<Role>(RACERS).fill("race"), "load", "background"];
    const tallies = await hammerUntilDone(engine, roles, RACERS, ["race"], { shape: WITH_ROOM, ops: Number.MAX_SAFE_INTEGER, rounds: ROUNDS });
    expect(sumTally(tallies, "ops"), "the load ran").to.be.above(0);
    expect(sumTally(tallies, "ownedHits"), "owned keys read back").to.be.above(0);
    expect(engine.stats().get("evictions")).to.equal("0");
  });
});
