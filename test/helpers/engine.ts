// Shared set-up for the engine tests: either engine — the WASM Engine on the checked (debug)
// core, or the pure-JS twin — with a clock the test moves by hand, plus small readers for
// values and stats. Semantics tests run on both (describeEngines); tests of WASM internals
// (slab classes, segmented LRU, hash expansion, chunks, page mover) use createWasmEngine.
import { expect } from "chai";
import { Engine, Item, Bytes } from "../../host/wasm_engine.js";
import type { CacheEngine } from "../../host/engine_api.js";
import { JsEngine } from "../../host/js/js_engine.js";
import { readCoreWasm, CoreBuild } from "../../host/wasm.js";
import { EngineOptions } from "../../host/options.js";

// A fixed, realistic unix time: tests never depend on the machine's clock.
export const START_TIME = 1_700_000_000;
// memcached's process_started is 62 s before the first clock reading (clock.ts).
export const PROCESS_STARTED = START_TIME - 62;
export const REALTIME_MAXDELTA = 60 * 60 * 24 * 30;
export const MB = 1024 * 1024;

export type EngineKind = "wasm" | "js";
export const ENGINE_KINDS: readonly EngineKind[] = ["wasm", "js"];

/** What the semantics tests drive: the storage API plus the invariant checker both engines have. */
export type TestableEngine = CacheEngine & { checkInvariants(): void };

const wasmCache = new Map<CoreBuild, Uint8Array>();
function wasm(build: CoreBuild): Uint8Array {
  let bytes = wasmCache.get(build);
  if (!bytes) {
    bytes = readCoreWasm(build);
    wasmCache.set(build, bytes);
  }
  return bytes;
}

export class FakeClock {
  now = START_TIME;
  engine!: CacheEngine;

  /** Moves unix time forward (or back) and feeds it to the engine, as the host's 1 s timer does. */
  advance(seconds: number): void {
    this.now += seconds;
    this.engine.tick();
  }
}

export interface TestEngine<E extends TestableEngine = TestableEngine> {
  engine: E;
  clock: FakeClock;
}

/** An engine of either kind on a fake clock. */
export async function createEngine(kind: EngineKind, options: Partial<EngineOptions> = {}): Promise<TestEngine> {
  if (kind === "wasm") return createWasmEngine(options);
  const clock = new FakeClock();
  const engine = JsEngine.create(options, { now: () => clock.now });
  clock.engine = engine;
  return { engine, clock };
}

/** The WASM engine, for tests of its internals: a core on one thread (-t 1's item locks). */
export async function createWasmEngine(options: Partial<EngineOptions> = {}, build: CoreBuild = "debug"): Promise<TestEngine<Engine>> {
  const clock = new FakeClock();
  const engine = await Engine.create(wasm(build), { threads: 1, ...options }, { now: () => clock.now });
  clock.engine = engine;
  return { engine, clock };
}

/** A describe per engine, titled "engine [wasm]: <title>" and "engine [js]: <title>". */
/** A fresh engine of `kind` for every test of the block, its invariants checked after each. */
export function engineEach(kind: EngineKind, use: (t: TestEngine) => void, options: Partial<EngineOptions> = {}): void {
  let t: TestEngine;
  beforeEach(async () => {
    t = await createEngine(kind, options);
    use(t);
  });
  afterEach(() => t.engine.checkInvariants());
}

export function describeEngines(title: string, body: (kind: EngineKind) => void): void {
  for (const kind of ENGINE_KINDS) describe(`engine [${kind}]: ${title}`, () => body(kind));
}

/** The engine as the WASM Engine when it is one: for assertions only the WASM engine makes. */
export function asWasm(e: CacheEngine): Engine | undefined {
  return e instanceof Engine ? e : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export function bytes(s: string): Uint8Array { return encoder.encode(s); }
export function text(b: Uint8Array): string { return decoder.decode(b); }

/** The value of `key` as text, or undefined on a miss. */
export function getText(engine: CacheEngine, key: Bytes): string | undefined {
  const it = engine.get(key);
  return it ? text(it.value) : undefined;
}

export function stat(engine: CacheEngine, name: string): number {
  const v = engine.stats().get(name);
  if (v === undefined) throw new Error(`no stat ${name}`);
  return Number(v);
}

/** Several general stats at once (one render). */
export function stats(engine: CacheEngine, ...names: string[]): Record<string, number> {
  const all = engine.stats();
  const out: Record<string, number> = {};
  for (const n of names) {
    const v = all.get(n);
    if (v === undefined) throw new Error(`no stat ${n}`);
    out[n] = Number(v);
  }
  return out;
}

/** A `stats items` field of one class; 0 when the class has no items (memcached omits it). */
export function itemStat(engine: Engine, cls: number, name: string): number {
  return Number(engine.statsItems().get(`items:${cls}:${name}`) ?? 0);
}

/** Sum of a `stats items` field over every class. */
export function itemStatTotal(engine: Engine, name: string): number {
  let total = 0;
  for (const [k, v] of engine.statsItems()) if (k.endsWith(`:${name}`)) total += Number(v);
  return total;
}

/** Classes that currently hold items, from `stats items`. */
export function classesWithItems(engine: Engine): number[] {
  const out: number[] = [];
  for (const k of engine.statsItems().keys()) {
    const m = /^items:(\d+):number$/.exec(k);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

export function slabStat(engine: Engine, cls: number, name: string): number {
  return Number(engine.statsSlabs().get(`${cls}:${name}`) ?? 0);
}

export function expectBytesEqual(actual: Uint8Array | undefined, expected: Uint8Array, what = "value"): void {
  expect(actual, `${what} missing`).to.not.equal(undefined);
  const a = actual!;
  expect(a.length, `${what} length`).to.equal(expected.length);
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(expected)) return;
  // Report the first difference rather than dumping megabytes.
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== expected[i]) expect.fail(`${what} differs at byte ${i}: ${a[i]} != ${expected[i]}`);
  }
}

export function expectItem(it: Item | undefined, value: string, flags = 0): Item {
  expect(it, "item missing").to.not.equal(undefined);
  expect(text(it!.value)).to.equal(value);
  expect(it!.flags).to.equal(flags);
  return it!;
}

// The item size formula of memcached's item_size_ok (reference §7.2): what -I limits.
export function mcItemSize(nkey: number, nbytes: number, flags: number, cas = true): number {
  return 48 + nkey + 1 + (flags ? 4 : 0) + (cas ? 8 : 0) + nbytes + 2;
}

// The core's own item header (assembly/cache/item.ts): 36 bytes, client flags, key, value.
export const CORE_ITEM_HEADER = 36;
export function coreItemTotal(nkey: number, nbytes: number, flags = 0): number {
  return CORE_ITEM_HEADER + (flags ? 4 : 0) + nkey + nbytes;
}

// memcached 1.6.18's default slab class sizes (-n 48, -f 1.25, slab_chunk_max 512 KiB).
export const DEFAULT_CLASS_SIZES = [
  96, 120, 152, 192, 240, 304, 384, 480, 600, 752, 944, 1184, 1480, 1856, 2320, 2904, 3632, 4544,
  5680, 7104, 8880, 11104, 13880, 17352, 21696, 27120, 33904, 42384, 52984, 66232, 82792, 103496,
  129376, 161720, 202152, 252696, 315872, 394840, 524288,
];

/** The default class an item of this core size lands in (1-based). */
export function defaultClassFor(total: number): number {
  const i = DEFAULT_CLASS_SIZES.findIndex((s) => s >= total);
  return i < 0 ? DEFAULT_CLASS_SIZES.length : i + 1;
}
