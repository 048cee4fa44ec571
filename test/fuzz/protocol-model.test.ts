// The engine's randomized model runs (test/helpers/model-run.ts), spoken through the protocol:
// every operation becomes a text or a meta command sent through the connection driver (in
// memory, checked build), its reply is read back strictly (test/helpers/protocol-target.ts)
// and judged by the JS model, CAS values compared through a bijection with the model's own.
//
// Sizes and seeds: test/helpers/fuzz-config.ts (FUZZ_SEED, FUZZ_RUNS = operations per run,
// FUZZ_SECONDS = time per run).
import { runModel, RunConfig } from "../helpers/model-run.js";
import { fuzzSeed, fuzzOps, fuzzDeadline, fuzzTimeout } from "../helpers/fuzz-config.js";

const through = (name: string, cfg: Omit<RunConfig, "seed">) =>
  it(name, async () => {
    const seed = fuzzSeed(name);
    await runModel({ ...cfg, seed }, seed, { protocol: true, ops: fuzzOps(cfg.ops), deadline: fuzzDeadline() });
  });

describe("fuzz: the model through text and meta commands (in memory, checked build)", function () {
  this.timeout(fuzzTimeout(90_000));

  const exact = { ops: 100_000, keys: 200, bigKeys: 3, maxValue: 1500, flushes: 20, expiring: 0.45, mayEvict: false };
  through("exact: no evictions, small key space, expiry and flushes", exact);
  through("exact with a flat LRU", { ...exact, ops: 40_000, options: { lruSegmented: false } });
  through("exact with a TEMP LRU", { ...exact, ops: 40_000, options: { tempLru: true, temporaryTtl: 30 } });
  through("with evictions: any value returned is the last one stored for its key", {
    ops: 80_000, keys: 4000, bigKeys: 4, maxValue: 12_000, flushes: 1, expiring: 0.1, mayEvict: true,
  });
  through("with evictions and a page moved on every eviction", {
    ops: 60_000, keys: 6000, bigKeys: 4, maxValue: 12_000, flushes: 1, expiring: 0.1, mayEvict: true,
    options: { slabAutomove: 2, memoryLimitMb: 16 }, bands: { sizes: [[3000, 3500], [8000, 9000], [200, 400]], period: 5000 },
  });
});
