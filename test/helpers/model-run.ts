// The randomized model run shared by the engine's model tests (test/engine/random.test.ts, on
// the engine API) and the protocol-level fuzzer (test/fuzz/protocol-model.test.ts, through text
// and meta commands over the connection driver): one seeded mix of every operation, clock moves,
// flushes and maintenance, checked against the JS model (test/helpers/model.ts), with the
// invariant checker and the counters compared after every batch.
import { expect } from "chai";
import {
  createEngine, stats, PROCESS_STARTED, REALTIME_MAXDELTA, mcItemSize, TestEngine, EngineKind, TestableEngine,
} from "./engine.js";
import { Model, ModelTarget } from "./model.js";
import { EngineOptions } from "../../host/options.js";
import { Rng } from "./rng.js";
import { MemoryServer } from "./memory-connection.js";
import { ProtocolTarget } from "./protocol-target.js";
import { CasBijection } from "./cas-bijection.js";

const BATCH = 1000;
const NUMERIC = ["0", "1", "9", "99", "100", "  42", "007", "18446744073709551615", "18446744073709551616",
  "12 abc", "-5", "-0", "+3", "abc", "", " ", "4294967296", "5\r\n"];
const DELTAS = [0n, 1n, 2n, 9n, 10n, 99n, 1000n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n];
const FLAGS = [0, 0, 0, 1, 42, 0xffffffff];

export interface RunConfig {
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

export interface RunOptions {
  /** Speak text and meta commands through the connection driver instead of calling the API. */
  protocol?: boolean;
  /** Operations to run (default cfg.ops, which also sets the flush rate). */
  ops?: number;
  /** Stop at this time (Date.now()) even if operations are left. */
  deadline?: number;
}

interface Setup extends TestEngine {
  target: ModelTarget;
  casMap?: CasBijection;
}

// The protocol client draws its choices (text or meta, how commands are cut into reads) from
// its own generator, so they do not shift the operations a seed draws.
const PROTOCOL_RNG_SALT = 0x9e3779b9;

async function setUp(options: Partial<EngineOptions>, seed: number, protocol: boolean, kind: EngineKind): Promise<Setup> {
  if (!protocol) {
    const t = await createEngine(kind, options);
    return { ...t, target: t.engine };
  }
  const srv = await MemoryServer.create(options);
  const target = new ProtocolTarget(srv, new Rng(seed ^ PROTOCOL_RNG_SALT));
  return { engine: srv.engine, clock: srv.clock, target, casMap: new CasBijection() };
}

/** Runs `cfg.ops` operations from `seed` and checks them against the model; returns the engine. */
export async function runModel(cfg: RunConfig, seed: number, opts: RunOptions = {}, kind: EngineKind = "wasm"): Promise<TestableEngine> {
  // Without eviction the model is exact only if nothing ever leaves the cache on its own, so
  // memory is ample for the key space and no page mover runs (a page move evicts what it
  // cannot rescue, -M or not, as memcached's does).
  const { engine: e, clock, target, casMap } = await setUp({
    ...(cfg.mayEvict ? { memoryLimitMb: 8 } : { memoryLimitMb: 32, evictions: false, slabAutomove: 0 }),
    ...cfg.options,
  }, seed, opts.protocol ?? false, kind);
  const m = new Model(target, clock, cfg.mayEvict, undefined, casMap);
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
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

  const ops = opts.ops ?? cfg.ops;
  for (; op < ops && Date.now() < deadline; op++) {
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
      } else if (r < 40) {
        // A client learns an item's CAS from gets before it sends cas: with a protocol, the
        // model can only send the server's CAS for an item whose CAS the server has shown.
        const held = m.live(key);
        if (casMap && held && !casMap.knows(held.cas)) m.get(key);
        m.casOp(key, value(key), uniqueFor(key), rng.pick(FLAGS), exptime());
      }
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
    expect(stats(e, "evictions").evictions).to.be.greaterThan(op / 500);
    expect(m.evictionsSeen).to.be.greaterThan(op / 1000);
    expect(m.allocFailures).to.be.lessThan(op / 1000);
  } else {
    // `bytes` counts memcached's item size (ITEM_ntotal), whatever the core's own layout.
    let bytes = 0;
    for (const [k, it] of m.items) bytes += mcItemSize(new TextEncoder().encode(k).length, it.value.length, it.flags);
    expect(stats(e, "curr_items", "bytes", "evictions")).to.deep.equal({ curr_items: m.items.size, bytes, evictions: 0 });
  }
  return e;
}
