// Seeded randomized runs against the JS model (test/helpers/model.ts): every operation, clock
// moves, flushes and maintenance, with the invariant checker after every batch. The first two
// runs are engine semantics and run on both engines; the others exercise WASM internals (LRU
// modes, hash expansion, the page mover).
import { expect } from "chai";
import {
  createEngine, describeEngines, EngineKind, TestableEngine, stats, PROCESS_STARTED, REALTIME_MAXDELTA, mcItemSize,
} from "../helpers/engine.js";
import { Model } from "../helpers/model.js";
import { EngineOptions } from "../../host/options.js";
import { Rng } from "../helpers/rng.js";

const BATCH = 1000;
const RUN_TIMEOUT_MS = 120_000;
// ENGINE_TEST_SEED=<n> replays (or explores) other runs; failures name their seed.
const SEED_OVERRIDE = process.env.ENGINE_TEST_SEED ? Number(process.env.ENGINE_TEST_SEED) : undefined;
const NUMERIC = ["0", "1", "9", "99", "100", "  42", "007", "18446744073709551615", "18446744073709551616",
  "12 abc", "-5", "-0", "+3", "abc", "", " ", "4294967296", "5\r\n"];
const DELTAS = [0n, 1n, 2n, 9n, 10n, 99n, 1000n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n];
const FLAGS = [0, 0, 0, 1, 42, 0xffffffff];

interface RunConfig {
  seed: number;
  ops: number;
  keys: number;
  bigKeys: number;     // keys that may hold chunked values
  maxValue: number;    // ordinary values are 0 .. maxValue bytes
  flushes: number;     // expected immediate flush_all count over the run
  expiring: number;    // share of stores and touches with a non-zero exptime
  mayEvict: boolean;
  options?: Partial<EngineOptions>;
  prefill?: number;    // keys set before the random operations
  // Ordinary value sizes drawn from one [min, max] band at a time, switching every `period`
  // operations, so that the class under pressure changes (and pages have reason to move).
  bands?: { sizes: Array<[number, number]>; period: number };
}

function keyName(i: number, cfg: RunConfig): string {
  if (i >= cfg.keys) return `big:${i - cfg.keys}`;
  // A few keys at the 250-byte limit, the rest short.
  return i % 97 === 0 ? `${i}:`.padEnd(250, "L") : `k:${i}`;
}

async function run(cfg: RunConfig, kind: EngineKind = "wasm"): Promise<TestableEngine> {
  // Without eviction the model is exact only if nothing ever leaves the cache on its own, so
  // memory is ample for the key space and no page mover runs (a page move evicts what it
  // cannot rescue, -M or not, as memcached's does).
  const { engine: e, clock } = await createEngine(kind, {
    ...(cfg.mayEvict ? { memoryLimitMb: 8 } : { memoryLimitMb: 32, evictions: false, slabAutomove: 0 }),
    ...cfg.options,
  });
  const m = new Model(e, clock, cfg.mayEvict);
  const seed = SEED_OVERRIDE ?? cfg.seed;
  const rng = new Rng(seed);

  const pickKey = () => keyName(cfg.bigKeys > 0 && rng.chance(0.02) ? cfg.keys + rng.int(cfg.bigKeys) : rng.int(cfg.keys), cfg);
  const exptime = (): number => {
    if (!rng.chance(cfg.expiring)) return 0;
    const r = rng.float();
    if (r < 0.65) return rng.range(1, 60);
    if (r < 0.77) return -rng.range(1, 1000);
    if (r < 0.87) return clock.now + rng.range(1, 120);          // absolute, future
    if (r < 0.94) return rng.range(REALTIME_MAXDELTA + 1, PROCESS_STARTED); // absolute, past
    return REALTIME_MAXDELTA;
  };
  let op = 0;
  const value = (key: string): Uint8Array => {
    if (key.startsWith("big:") && rng.chance(0.5)) return rng.bytes(rng.range(520_000, 800_000));
    if (rng.chance(0.3)) return new TextEncoder().encode(rng.pick(NUMERIC));
    if (cfg.bands) {
      const [lo, hi] = cfg.bands.sizes[Math.floor(op / cfg.bands.period) % cfg.bands.sizes.length];
      return rng.bytes(rng.range(lo, hi));
    }
    return rng.bytes(rng.range(0, cfg.maxValue));
  };
  // Appends stay small so ordinary values keep to their classes.
  const piece = () => rng.bytes(rng.chance(0.1) ? 0 : rng.range(1, 40));
  const uniqueFor = (key: string): bigint => {
    const it = m.items.get(key);
    const r = rng.float();
    if (it && r < 0.6) return it.cas;
    if (it && r < 0.75) return it.cas + (rng.chance(0.5) ? 1n : -1n);
    if (r < 0.85) return 0n;
    return BigInt(rng.int(Number(m.cas) + 2));
  };

  for (let i = 0; i < (cfg.prefill ?? 0); i++) m.set(keyName(i, cfg), rng.bytes(rng.range(0, cfg.maxValue)), 0, 0);

  for (; op < cfg.ops; op++) {
    const key = pickKey();
    const r = rng.float() * 100;
    try {
      if (r < 18) m.set(key, value(key), rng.pick(FLAGS), exptime());
      else if (r < 22) m.add(key, value(key), rng.pick(FLAGS), exptime());
      else if (r < 26) m.replace(key, value(key), rng.pick(FLAGS), exptime());
      else if (r < 34) {
        const held = m.items.get(key);
        if (held && held.value.length > cfg.maxValue * 2 && !key.startsWith("big:")) m.set(key, value(key), 0, 0);
        else m.join(key, piece(), rng.chance(0.5), rng.pick(FLAGS));
      } else if (r < 40) m.casOp(key, value(key), uniqueFor(key), rng.pick(FLAGS), exptime());
      else if (r < 65) m.get(key);
      else if (r < 70) m.delete(key);
      else if (r < 79) m.arith(key, rng.pick(DELTAS), rng.chance(0.6));
      else if (r < 83) m.touch(key, exptime());
      else if (r < 86) m.gat(key, exptime());
      else if (r < 86 + (cfg.flushes * 100) / cfg.ops) m.flushAll();
      else if (r < 87) {
        clock.advance(rng.chance(0.95) ? rng.range(1, 20) : rng.range(60, 600));
        m.tick();
      } else if (r < 88) {
        e.maintain();
      } else {
        m.get(key);
      }
    } catch (err) {
      (err as Error).message = `seed ${seed}, op ${op}: ${(err as Error).message}`;
      throw err;
    }
    if (op % BATCH === BATCH - 1) {
      e.checkInvariants();
      m.checkCounters();
      expect(e.currentTime()).to.equal(m.currentTime());
    }
  }

  // Every key once more: the lazy checks drop whatever expired or was flushed, after which the
  // engine holds exactly the model's items.
  for (let i = 0; i < cfg.keys + cfg.bigKeys; i++) m.get(keyName(i, cfg));
  e.checkInvariants();
  m.checkCounters();
  if (cfg.mayEvict) {
    // The run must really have evicted, and allocation failures must stay rare.
    expect(stats(e, "evictions").evictions).to.be.greaterThan(cfg.ops / 500);
    expect(m.evictionsSeen).to.be.greaterThan(cfg.ops / 1000);
    expect(m.allocFailures).to.be.lessThan(cfg.ops / 1000);
  } else {
    // `bytes` counts memcached's item size (ITEM_ntotal), whatever the core's own layout.
    let bytes = 0;
    for (const [k, it] of m.items) bytes += mcItemSize(new TextEncoder().encode(k).length, it.value.length, it.flags);
    expect(stats(e, "curr_items", "bytes", "evictions")).to.deep.equal({ curr_items: m.items.size, bytes, evictions: 0 });
  }
  return e;
}

describeEngines("randomized model tests", function (kind) {
  it("100k mixed operations match a plain Map model exactly (-M, small key space)", async () => {
    await run({ seed: 0x5eed1, ops: 100_000, keys: 200, bigKeys: 3, maxValue: 1500, flushes: 50, expiring: 0.45, mayEvict: false }, kind);
  }).timeout(RUN_TIMEOUT_MS);

  it("with evictions, any value returned is the last one stored for its key", async () => {
    await run({ seed: 0x5eed2, ops: 100_000, keys: 4000, bigKeys: 4, maxValue: 12_000, flushes: 1, expiring: 0.1, mayEvict: true }, kind);
  }).timeout(RUN_TIMEOUT_MS);
});

describe("engine [wasm only]: randomized model tests of LRU modes, hash expansion and the page mover", function () {
  this.timeout(RUN_TIMEOUT_MS);

  it("the same with a flat LRU, a TEMP LRU and a small hash table", async () => {
    const base = { ops: 30_000, keys: 300, bigKeys: 2, maxValue: 1500, flushes: 10, expiring: 0.45, mayEvict: false };
    await run({ ...base, seed: 0x5eed3, options: { lruSegmented: false } });
    await run({ ...base, seed: 0x5eed4, options: { tempLru: true, temporaryTtl: 30 } });
    // Starts below 1.5 × 2^12 items: the expansion happens among the random operations.
    const e = await run({ ...base, seed: 0x5eed5, keys: 10_000, prefill: 6100, maxValue: 200, expiring: 0.05, flushes: 0, options: { hashpower: 12 } });
    expect(stats(e, "hash_power_level").hash_power_level).to.equal(13);
  });

  it("with evictions and a page moved on every eviction (slab_automove=2)", async () => {
    const e = await run({ seed: 0x5eed6, ops: 50_000, keys: 6000, bigKeys: 4, maxValue: 12_000, flushes: 1, expiring: 0.1,
      mayEvict: true, options: { slabAutomove: 2, memoryLimitMb: 16 },
      bands: { sizes: [[3000, 3500], [8000, 9000], [200, 400]], period: 5000 } });
    // The mover really ran: pages moved, live items and value chunks copied to new homes.
    const s = stats(e, "slabs_moved", "slab_reassign_rescues", "slab_reassign_chunk_rescues");
    expect(s.slabs_moved).to.be.greaterThan(10);
    expect(s.slab_reassign_rescues).to.be.greaterThan(100);
    expect(s.slab_reassign_chunk_rescues).to.be.greaterThan(0);
  });
});
