// Seeded randomized runs against the JS model (test/helpers/model.ts): every operation, clock
// moves, flushes and maintenance, with the invariant checker after every batch
// (test/helpers/model-run.ts). The same runs go through the protocol in test/fuzz/. The first
// two runs are engine semantics and run on both engines; the others exercise WASM internals
// (LRU modes, hash expansion, the page mover).
import { expect } from "chai";
import { describeEngines, EngineKind, stats } from "../helpers/engine.js";
import { runModel, RunConfig } from "../helpers/model-run.js";

// ENGINE_TEST_SEED=<n> replays (or explores) other runs; failures name their seed.
const SEED_OVERRIDE = process.env.ENGINE_TEST_SEED ? Number(process.env.ENGINE_TEST_SEED) : undefined;
const RUN_TIMEOUT_MS = 120_000;
const run = (cfg: RunConfig, kind: EngineKind = "wasm") => runModel(cfg, SEED_OVERRIDE ?? cfg.seed, {}, kind);

describeEngines("randomized model tests", (kind) => {

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
