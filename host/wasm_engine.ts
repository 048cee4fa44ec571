// The runtime-agnostic wrapper around the core: instantiates the module from bytes (so Node,
// Deno and Bun hosts share it), feeds the clock, runs maintenance on timers and exposes the
// cache operations with string / Uint8Array keys and values.
//
// Hot-path calls go to the raw instance exports; @assemblyscript/loader only supplies the
// imports (so an abort in the checked build becomes a JS Error with its message).
//
// A trap (or an abort) can stop the core half-way through a mutation: recover() either proves
// every structure whole with the core's invariant checker or swaps in a fresh instance of the
// same compiled module, built synchronously (host/README.md, "Traps").
import { instantiateSync, type ResultObject } from "@assemblyscript/loader";
import { HostStat } from "../assembly/abi/host_stats.js";
import {
  StoreOp, StoreResult as StoreCode, ArithResult as ArithCode, ResultOffset, InitError,
} from "../assembly/abi/results.js";
import { KEY_MAX_LENGTH } from "../assembly/abi/limits.js";
import { LogEntry as LogLayout } from "../assembly/abi/log.js";
import { LockKind, LockCounter } from "../assembly/abi/lock_counters.js";
import {
  ServerOptions, defaultServerOptions, coreSettings, validateEngineOptions, statsSettingsDescriptor,
} from "./options.js";
import type { CacheEngine, ProtocolEngine, Recovery } from "./engine_api.js";
import type { CoreGate } from "./threads/recovery.js";
import { Setting } from "../assembly/abi/settings.js";
import { unref } from "./unref.js";
import { fnv1a } from "./fnv1a.js";

export type Bytes = string | Uint8Array;

/** A storage command's outcome, by the core's name for it (abi/results.ts StoreResult). */
export type StoreResult = Exclude<keyof typeof StoreCode, "BAD_DATA">;
/** incr/decr's refusals (abi/results.ts ArithResult). */
export type ArithError = Exclude<keyof typeof ArithCode, "OK">;

const INIT_ERRORS: Record<InitError, string> = {
  [InitError.OK]: "",
  [InitError.STATIC_OVERLAP]: "the core's static data overlaps its state block (a build problem)",
  [InitError.OUT_OF_MEMORY]: "the WebAssembly memory could not grow to its initial size",
};

export { KEY_MAX_LENGTH };
const U32_MAX = 0xffffffff;
const R_CAS = ResultOffset.CAS;
const R_FLAGS = ResultOffset.FLAGS;
const R_VALUE = ResultOffset.VALUE;
const R_NUMBER = ResultOffset.NUMBER;

export interface Item {
  value: Uint8Array;
  flags: number;
  cas: bigint;
}

// A get's result. Most callers never look at the CAS; building its BigInt only when asked
// saves an allocation per get (~50 ns at 5M items in a one-off measurement).
class CoreItem implements Item {
  constructor(readonly value: Uint8Array, readonly flags: number, private readonly casLow: number,
    private readonly casHigh: number) {}

  get cas(): bigint { return (BigInt(this.casHigh) << 32n) | BigInt(this.casLow); }
}

export interface StoreOptions {
  flags?: number;
  exptime?: number;
}

export interface CoreExports {
  init(now: number): number;
  reset(startedAt: number): number;
  threadAttach(t: number): void;
  lockStat(kind: number, counter: number): number;
  recoveryBegin(): number;
  recoveryEnd(): void;
  recoveryAddr(): number;
  settingsAddr(): number;
  settingsDescAddr(): number;
  keyAddr(): number;
  resultAddr(): number;
  valueAddr(): number;
  valueCapacity(): number;
  outAddr(): number;
  memoryCap(): number;
  memoryCeiling(): number;
  clockSet(now: number): void;
  currentTime(): number;
  get(nkey: number, touch: number, exptime: number): number;
  store(op: number, nkey: number, nbytes: number, flags: number, exptime: number): number;
  del(nkey: number): number;
  touch(nkey: number, exptime: number): number;
  arith(nkey: number, incr: number): number;
  flush(delay: number): void;
  maintain(): number;
  crawl(classId: number): number;
  renderStats(kind: number): number;
  resetStats(): void;
  checkInvariants(): number;
  checkDetail(): number;
  inAddr(): number;
  inSize(): number;
  outSize(): number;
  outLength(): number;
  hostStatsAddr(): number;
  hostVersionAddr(): number;
  procFlags(): number;
  procNeed(): number;
  procWatchMask(): number;
  setResponseLimit(n: number): void;
  connOpen(id: number): number;
  logAddr(): number;
  logLength(): number;
  logTaken(): void;
  logNextGid(): number;
  setSettingSlot(slot: number, v: number): void;
  connClose(id: number): void;
  process(id: number, len: number): number;
  udpProcess(len: number, fresh: number): number;
  udpNext(): number;
  udpHeaderAddr(): number;
  udpPayload(): number;
  credentialsAddr(): number;
  credentialsCapacity(): number;
  credentialsLoad(len: number): number;
  imageFormat(): number;
  imageQuiesce(): void;
  imageAddr(section: number, loading: number): number;
  imageLength(section: number): number;
  imageChecksum(loading: number, arenaLength: number): bigint;
  imageAdopt(arenaLength: number, expected: bigint, unixNow: number): number;
  imageDiscard(arenaLength: number, unixNow: number): number;
}

/** What host/restart/ saves and restores the cache through: the core's image calls and its
 * memory (a view current after any growth). */
export interface CoreImage {
  x: CoreExports;
  memory(): Uint8Array;
  threadBlocks: number;
  /** What the core was set up with: an image is adopted only under the same settings. */
  opts: ServerOptions;
}



export interface LogEntry { type: number; gid: number; text: string }

export interface EngineTimers {
  /** unix seconds; tests pass a fake clock */
  now?: () => number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CLOCK_INTERVAL_MS = 1000;
const MAINTAIN_INTERVAL_MS = 100;
const MAINTAIN_BUSY_MS = 1;
// Pooled value copies (Engine.copyOut).
const POOL_SIZE = 16 * 1024;
const POOL_MIN = 65; // V8 keeps typed arrays of up to 64 bytes on its own heap: slice is cheap
const POOL_MAX = 1024;

/** The compiled core, one per process: every thread instantiates it over the shared memory. */
export type CompiledCore = ResultObject["module"];
// ES2022's lib declares no WebAssembly; these are the calls made here directly.
declare const WebAssembly: {
  compile(bytes: Uint8Array | ArrayBuffer): Promise<CompiledCore>;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => CoreMemory;
};

/** The core's linear memory: one WebAssembly.Memory every thread's instance shares. */
export interface CoreMemory { buffer: ArrayBufferLike; grow(pages: number): number }

// The memory the core imports: shared, so worker threads can attach (its maximum is the
// module's, 4 GiB: only what init() grows to is committed, and only touched pages count).
const INITIAL_PAGES = 4;
const MAXIMUM_PAGES = 65536;
export function compileCore(bytes: Uint8Array | ArrayBuffer): Promise<CompiledCore> {
  return WebAssembly.compile(bytes);
}

export function createCoreMemory(): CoreMemory {
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
}

/** What it takes to attach another instance, on another thread, to the same core. */
export interface CoreShare {
  module: CompiledCore;
  memory: CoreMemory;
  opts: ServerOptions;
  startedAt: number;
  /** The credentials file's length and checksum, when one was loaded: any thread's reset
   * must be able to tell whether its bytes in the core are still intact. */
  credentials?: Credentials;
}

interface Credentials { length: number; checksum: number }

/** What the engine needs to instantiate the core and, after a trap, to reset it in place. */
interface Blueprint extends CoreShare {
  /** Instances that will attach (1 on one thread; workers + control + background). */
  threadBlocks: number;
  /** A lock waited on this long traps (Setting.LOCK_STALE_MS; 0: never). */
  lockStaleMs?: number;
}

/** What another thread needs to attach to a core (structured-clonable). */
export type ThreadedShare = CoreShare & { threadBlocks: number; lockStaleMs?: number };

// The exports that take locks or change the cache: with other threads, each goes through the
// gate (host/threads/recovery.ts), which keeps it out while a recovery runs.
const GATED = [
  "get", "store", "del", "touch", "arith", "flush", "clockSet", "maintain", "crawl", "connOpen",
  "connClose", "process", "udpProcess", "renderStats", "resetStats",
] as const;

function gated(x: CoreExports, gate: CoreGate): CoreExports {
  const out: Record<string, unknown> = { ...x };
  for (const name of GATED) {
    const call = x[name] as (...args: number[]) => number;
    out[name] = (...args: number[]) => {
      gate.enter();
      try {
        return call(...args);
      } finally {
        gate.leave();
      }
    };
  }
  return out as unknown as CoreExports;
}

export type LockKindName = Exclude<keyof typeof LockKind, "COUNT">;
export type LockCounterName = Exclude<keyof typeof LockCounter, "COUNT">;
const LOCK_KINDS: LockKindName[] = ["ITEM", "LRU", "GLOBAL"];
const LOCK_COUNTERS: LockCounterName[] = ["CONTENDED", "SPINS", "SLEEPS", "WAIT_NS", "MAX_WAIT_NS"];

// The core's clock for timing lock waits (assembly/locks/wait_clock.ts).
const NS_PER_MS = 1e6;
const monotonicNs = () => performance.now() * NS_PER_MS;

function instantiate(module: CompiledCore, memory: CoreMemory): CoreExports {
  return instantiateSync<Record<string, unknown>>(module, { env: { memory, monotonicNs } as Record<string, unknown> }).instance.exports as unknown as CoreExports;
}

// The host's settings and `stats settings` descriptor, written before init() and reset().
function writeSettings(x: CoreExports, b: Blueprint): void {
  const slots = coreSettings(b.opts, b.threadBlocks);
  slots[Setting.LOCK_STALE_MS] = b.lockStaleMs ?? 0;
  new Float64Array(b.memory.buffer, x.settingsAddr(), slots.length).set(slots);
  new Uint8Array(b.memory.buffer).set(statsSettingsDescriptor(b.opts), x.settingsDescAddr());
}

function initError(err: number): Error {
  return new Error(INIT_ERRORS[err as InitError] ?? `core init failed (${err})`);
}

// The first instance: lays the memory out and attaches to thread block 0. Synchronous:
// compiling was done once, at create().
function boot(b: Blueprint): CoreExports {
  const x = instantiate(b.module, b.memory);
  writeSettings(x, b);
  const err = x.init(b.startedAt);
  if (err !== InitError.OK) throw initError(err);
  return x;
}


const ASCII_END = 0x80;

// A key of ASCII characters, as keys nearly always are, written byte for byte: encodeInto
// would allocate its { read, written } result on every call. -1: not ASCII, or too long for
// `out`, and encodeInto decides.
function asciiInto(key: string, out: Uint8Array): number {
  const n = key.length;
  if (n > out.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= ASCII_END) return -1;
    out[i] = c;
  }
  return n;
}

export class Engine implements CacheEngine, ProtocolEngine {
  private readonly x: CoreExports;
  private readonly blueprint: Blueprint;
  // What the host wrote into the core after init(), replayed into a fresh instance.
  private readonly hostSettings = new Map<number, number>();
  private hostVersion = "";
  private credentials: Credentials | undefined;
  private buf: ArrayBufferLike;
  private u8: Uint8Array;
  private dv: DataView;
  private keyWindow: Uint8Array;
  private valueWindow: Uint8Array;
  private pool = new ArrayBuffer(POOL_SIZE);
  private poolOffset = 0;
  private readonly keyAt: number;
  private readonly resultAt: number;
  private readonly valueAt: number;
  readonly valueCapacity: number;
  readonly inAddr: number;
  readonly inSize: number;
  readonly outAddr: number;
  readonly outSize: number;
  private readonly hostStatsAt: number;
  private hostStats: Float64Array;
  private readonly now: () => number;
  private timers: ReturnType<typeof setInterval>[] = [];
  private maintainTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly gate: CoreGate | undefined;

  private constructor(x: CoreExports, blueprint: Blueprint, now: () => number, gate?: CoreGate) {
    this.x = gate ? gated(x, gate) : x;
    this.gate = gate;
    this.blueprint = blueprint;
    this.now = now;
    this.buf = blueprint.memory.buffer;
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
    this.keyAt = x.keyAddr();
    this.resultAt = x.resultAddr();
    this.valueAt = x.valueAddr();
    this.valueCapacity = x.valueCapacity();
    this.keyWindow = this.u8.subarray(this.keyAt, this.keyAt + KEY_MAX_LENGTH + 1);
    this.valueWindow = this.u8.subarray(this.valueAt, this.valueAt + this.valueCapacity);
    this.inAddr = x.inAddr();
    this.inSize = x.inSize();
    this.outAddr = x.outAddr();
    this.outSize = x.outSize();
    this.hostStatsAt = x.hostStatsAddr();
    this.hostStats = new Float64Array(this.buf, this.hostStatsAt, HostStat.COUNT);
  }

  /** A core on this thread alone (an in-process cache, a server on one thread). */
  static async create(wasm: Uint8Array | ArrayBuffer, options: Partial<ServerOptions> = {}, timers: EngineTimers = {}): Promise<Engine> {
    return Engine.createShared(await compileCore(wasm), options, 1, timers);
  }

  /**
   * A core that `threadBlocks` instances will share; this one is thread 0. The others attach
   * with share() and attach(). `lockStaleMs`: for threads the application may terminate
   * in the middle of a call (an in-process shared cache), a lock waited on this long traps so
   * that the recovery can find the dead holder.
   */
  static createShared(
    module: CompiledCore, options: Partial<ServerOptions>, threadBlocks: number, timers: EngineTimers = {},
    gate?: (x: CoreExports) => CoreGate, lockStaleMs = 0,
  ): Engine {
    const opts: ServerOptions = { ...defaultServerOptions(), ...options };
    const problem = validateEngineOptions(opts);
    if (problem) throw new Error(problem);
    const now = timers.now ?? (() => Math.floor(Date.now() / 1000));
    const blueprint = { module, memory: createCoreMemory(), opts, startedAt: now(), threadBlocks, lockStaleMs };
    const x = boot(blueprint);
    return new Engine(x, blueprint, now, gate?.(x));
  }

  /** What another thread needs to attach (structured-clonable: module and shared memory). */
  share(): ThreadedShare {
    const { module, memory, opts, startedAt, threadBlocks, lockStaleMs } = this.blueprint;
    return { module, memory, opts, startedAt, threadBlocks, lockStaleMs, credentials: this.credentials };
  }

  /**
   * This thread's instance of a shared core, on thread block `thread`, its calls gated. No gate:
   * a caller that never recovers from a trap (the in-process thread tests) calls straight in.
   */
  static attach(share: ThreadedShare, thread: number, gate?: (x: CoreExports) => CoreGate): Engine {
    const x = instantiate(share.module, share.memory);
    x.threadAttach(thread);
    const engine = new Engine(x, { ...share }, () => Math.floor(Date.now() / 1000), gate?.(x));
    engine.credentials = share.credentials;
    return engine;
  }

  // memory.grow changes the buffer: every call that may allocate re-takes the views.
  private views(): Uint8Array {
    if (this.blueprint.memory.buffer !== this.buf) {
      this.buf = this.blueprint.memory.buffer;
      this.u8 = new Uint8Array(this.buf);
      this.dv = new DataView(this.buf);
      this.keyWindow = this.u8.subarray(this.keyAt, this.keyAt + KEY_MAX_LENGTH + 1);
      this.valueWindow = this.u8.subarray(this.valueAt, this.valueAt + this.valueCapacity);
      this.hostStats = new Float64Array(this.buf, this.hostStatsAt, HostStat.COUNT);
    }
    return this.u8;
  }

  // The hot paths below avoid allocating: cached key/value windows, no per-call option
  // objects, values copied out into a pooled buffer (copyOut).
  private putKey(key: Bytes): number {
    const u8 = this.views();
    let n: number;
    if (typeof key === "string") {
      n = asciiInto(key, this.keyWindow);
      if (n < 0) {
        const r = encoder.encodeInto(key, this.keyWindow);
        if (r.read !== key.length) throw new RangeError("key longer than 250 bytes");
        n = r.written;
      }
    } else {
      n = key.length;
      if (n > KEY_MAX_LENGTH) throw new RangeError("key longer than 250 bytes");
      u8.set(key, this.keyAt);
    }
    if (n === 0 || n > KEY_MAX_LENGTH) throw new RangeError("key must be 1 to 250 bytes");
    return n;
  }

  // The value's length. A value larger than the value area is over item_size_max anyway: the
  // core still gets its length (not its bytes) and refuses it as memcached does, counting
  // store_too_large and, for a set, dropping the key's old value.
  private putValue(value: Bytes): number {
    const u8 = this.views();
    if (typeof value === "string") {
      const r = encoder.encodeInto(value, this.valueWindow);
      return r.read === value.length ? r.written : Math.min(encoder.encode(value).length, U32_MAX);
    }
    if (value.length <= this.valueCapacity) u8.set(value, this.valueAt);
    return Math.min(value.length, U32_MAX);
  }

  // A copy of len bytes at `at` (values are only readable until the next call). A fresh
  // ArrayBuffer of more than 64 bytes costs V8 a malloc'ed backing store plus GC bookkeeping,
  // ~0.7 µs measured, several times the lookup itself; so values of 65 B to 1 KiB are carved
  // out of a shared 16 KiB pool, as Node's Buffer.allocUnsafe does: each value is its own
  // exact-length view, but its `.buffer` is the pool (use byteOffset/byteLength with it).
  private copyOut(u8: Uint8Array, at: number, len: number): Uint8Array {
    if (len < POOL_MIN || len > POOL_MAX) return u8.slice(at, at + len);
    if (this.poolOffset + len > POOL_SIZE) {
      this.pool = new ArrayBuffer(POOL_SIZE);
      this.poolOffset = 0;
    }
    const out = new Uint8Array(this.pool, this.poolOffset, len);
    out.set(u8.subarray(at, at + len));
    this.poolOffset = (this.poolOffset + len + 7) & ~7;
    return out;
  }

  private readItem(len: number): Item {
    const u8 = this.views();
    const dv = this.dv;
    const r = this.resultAt;
    const value = this.copyOut(u8, dv.getUint32(r + R_VALUE, true), len);
    return new CoreItem(value, dv.getUint32(r + R_FLAGS, true), dv.getUint32(r + R_CAS, true), dv.getUint32(r + R_CAS + 4, true));
  }

  get(key: Bytes): Item | undefined {
    const len = this.x.get(this.putKey(key), 0, 0);
    return len < 0 ? undefined : this.readItem(len);
  }

  /** The value alone (a copy), without the item's flags and CAS: one object less per hit. */
  getValue(key: Bytes): Uint8Array | undefined {
    const len = this.x.get(this.putKey(key), 0, 0);
    if (len < 0) return undefined;
    const u8 = this.views();
    return this.copyOut(u8, this.dv.getUint32(this.resultAt + R_VALUE, true), len);
  }

  /** gat: get and set a new exptime */
  gat(key: Bytes, exptime: number): Item | undefined {
    const len = this.x.get(this.putKey(key), 1, exptime);
    return len < 0 ? undefined : this.readItem(len);
  }

  private storeOp(op: StoreOp, key: Bytes, value: Bytes, o: StoreOptions | undefined, cas: bigint): StoreResult {
    const nkey = this.putKey(key);
    const nbytes = this.putValue(value);
    // putKey/putValue re-took the views and nothing has run in the core since.
    this.dv.setBigUint64(this.resultAt + R_CAS, cas, true);
    const flags = o === undefined ? 0 : (o.flags ?? 0) >>> 0;
    const exptime = o === undefined ? 0 : o.exptime ?? 0;
    return StoreCode[this.x.store(op, nkey, nbytes, flags, exptime)] as StoreResult;
  }

  set(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.storeOp(StoreOp.SET, key, value, o, 0n); }
  add(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.storeOp(StoreOp.ADD, key, value, o, 0n); }
  replace(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.storeOp(StoreOp.REPLACE, key, value, o, 0n); }
  /** append / prepend: flags and exptime are checked like set's (flags count in the size
   * limit) but the item keeps its own. */
  append(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.storeOp(StoreOp.APPEND, key, value, o, 0n); }
  prepend(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.storeOp(StoreOp.PREPEND, key, value, o, 0n); }
  cas(key: Bytes, value: Bytes, cas: bigint, o?: StoreOptions): StoreResult {
    return this.storeOp(StoreOp.CAS, key, value, o, cas);
  }

  /** The CAS of the last successful store. */
  lastCas(): bigint {
    this.views();
    return this.dv.getBigUint64(this.resultAt + R_CAS, true);
  }

  delete(key: Bytes): boolean { return this.x.del(this.putKey(key)) === 1; }
  touch(key: Bytes, exptime: number): boolean { return this.x.touch(this.putKey(key), exptime) === 1; }

  private arith(key: Bytes, delta: bigint | number, incr: boolean): bigint | ArithError {
    const nkey = this.putKey(key);
    this.views();
    this.dv.setBigUint64(this.resultAt + R_NUMBER, BigInt.asUintN(64, BigInt(delta)), true);
    const r = this.x.arith(nkey, incr ? 1 : 0);
    if (r !== ArithCode.OK) return ArithCode[r] as ArithError;
    this.views();
    return this.dv.getBigUint64(this.resultAt + R_NUMBER, true);
  }

  incr(key: Bytes, delta: bigint | number): bigint | ArithError { return this.arith(key, delta, true); }
  decr(key: Bytes, delta: bigint | number): bigint | ArithError { return this.arith(key, delta, false); }

  flushAll(delay = 0): void { this.x.flush(delay); }

  /** Feeds the clock (unix seconds). */
  tick(): void { this.x.clockSet(this.now()); }
  currentTime(): number { return this.x.currentTime(); }

  /** One bounded maintenance step; true when more work is waiting. */
  maintain(): boolean { return this.x.maintain() !== 0; }

  /** lru_crawler crawl: 0 = all classes. */
  crawl(classId = 0): "OK" | "BUSY" | "BADCLASS" | "NOTSTARTED" {
    return (["OK", "BUSY", "BADCLASS", "NOTSTARTED"] as const)[this.x.crawl(classId)];
  }

  private render(kind: number): Map<string, string> {
    const len = this.x.renderStats(kind);
    const at = this.x.outAddr();
    const text = decoder.decode(this.views().subarray(at, at + len));
    const out = new Map<string, string>();
    for (const line of text.split("\r\n")) {
      if (!line || line === "END") continue;
      const [, name, value] = line.split(" ");
      out.set(name, value);
    }
    return out;
  }

  stats(): Map<string, string> { return this.render(0); }
  statsItems(): Map<string, string> { return this.render(1); }
  statsSlabs(): Map<string, string> { return this.render(2); }
  resetStats(): void { this.x.resetStats(); }

  /** Lock contention over every thread since start (bench/locks.ts), per lock kind. */
  lockContention(): Record<LockKindName, Record<LockCounterName, number>> {
    const out = {} as Record<LockKindName, Record<LockCounterName, number>>;
    for (const kind of LOCK_KINDS) {
      const counters = {} as Record<LockCounterName, number>;
      for (const c of LOCK_COUNTERS) counters[c] = this.x.lockStat(LockKind[kind], LockCounter[c]);
      out[kind] = counters;
    }
    return out;
  }

  /** Throws if any internal invariant is broken (or if the walk itself traps on a wild pointer). */
  checkInvariants(): void {
    const msg = this.x.checkInvariants();
    if (msg === 0) return;
    const u8 = this.views();
    const bytes = this.dv.getUint32(msg - 4, true);
    const text = String.fromCharCode(...new Uint16Array(u8.slice(msg, msg + bytes).buffer));
    throw new Error(`invariant broken: ${text} (at ${this.x.checkDetail()})`);
  }

  // ── the protocol path, for the connection driver ──────────────────────────────────────

  /** The current view of linear memory (re-taken whenever memory has grown). */
  memory(): Uint8Array { return this.views(); }

  connOpen(id: number): boolean { return this.x.connOpen(id) === 1; }
  connClose(id: number): void { this.x.connClose(id); }

  /** Called with the log entries the core wrote, after every call that may have written some. */
  onLog: ((entries: LogEntry[]) => void) | undefined;

  /** Takes the core's pending log entries (watch lines, -vv traces). */
  drainLog(): void {
    const len = this.x.logLength();
    if (len === 0) return;
    const u8 = this.views();
    let at = this.x.logAddr();
    const end = at + len;
    const entries: LogEntry[] = [];
    while (at < end) {
      const n = this.dv.getUint16(at + LogLayout.LENGTH, true);
      entries.push({
        type: u8[at + LogLayout.TYPE],
        gid: Number(this.dv.getBigUint64(at + LogLayout.GID, true)),
        text: decoder.decode(u8.subarray(at + LogLayout.HEADER, at + LogLayout.HEADER + n)),
      });
      at += LogLayout.HEADER + n;
    }
    this.x.logTaken();
    this.onLog?.(entries);
  }

  nextLogGid(): number { return this.x.logNextGid(); }
  setSetting(slot: number, v: number): void {
    this.hostSettings.set(slot, v);
    this.x.setSettingSlot(slot, v);
  }

  /** Runs the commands in the first `len` bytes of the input area; returns bytes consumed. */
  process(id: number, len: number): number { return this.x.process(id, len); }
  procFlags(): number { return this.x.procFlags(); }
  procNeed(): number { return this.x.procNeed(); }
  procWatchMask(): number { return this.x.procWatchMask(); }
  setResponseLimit(n: number): void { this.x.setResponseLimit(n); }
  outLength(): number { return this.x.outLength(); }

  /**
   * Serves one UDP datagram (header included) copied to the input area; `fresh` is false when
   * continuing one whose previous call ended with ProcFlag.AGAIN. Returns payload bytes consumed.
   */
  udpProcess(len: number, fresh: boolean): number { return this.x.udpProcess(len, fresh ? 1 : 0); }
  /** The next reply datagram's payload length (-1: none left); see udpHeaderAddr/udpPayload. */
  udpNext(): number { return this.x.udpNext(); }
  /** Where udpNext() left the datagram's 8-byte header. */
  udpHeaderAddr(): number { return this.x.udpHeaderAddr(); }
  /** Offset in the output area of the datagram's payload. */
  udpPayload(): number { return this.x.udpPayload(); }

  /**
   * Hands the core the credentials file (-Y, -S) once, at start-up. Returns null, or why the
   * file was refused.
   */
  loadCredentials(file: Uint8Array): "malformed" | "too large" | null {
    if (file.length > this.x.credentialsCapacity()) return "too large";
    this.views().set(file, this.x.credentialsAddr());
    const r = this.x.credentialsLoad(file.length);
    if (r === 0) this.credentials = { length: file.length, checksum: fnv1a(file) };
    return r === 0 ? null : r === 1 ? "malformed" : "too large";
  }

  // The host stats sit at a fixed address below anything that grows, and a shared memory grows
  // in place: the view taken at construction stays valid, with no check per packet.

  /** Sets a host_stats.ts slot. */
  setHostStat(slot: number, value: number): void {
    this.hostStats[slot] = value;
  }

  /** Adds to a host_stats.ts slot: the per-packet byte counters. */
  addHostStat(slot: number, n: number): void {
    this.hostStats[slot] += n;
  }

  /** The runtime name `stats` shows as `libevent`. */
  setHostVersion(text: string): void {
    this.hostVersion = text;
    const at = this.x.hostVersionAddr();
    const bytes = encoder.encode(text).subarray(0, 63);
    const u8 = this.views();
    u8[at] = bytes.length;
    u8.set(bytes, at + 1);
  }

  /** For host/restart/: only while no other thread is inside the core. */
  image(): CoreImage {
    const { threadBlocks, opts } = this.blueprint;
    return { x: this.x, memory: () => this.views(), threadBlocks, opts };
  }

  /** Linear memory in bytes, and the most it may grow to. */
  memoryBytes(): number { return this.blueprint.memory.buffer.byteLength; }
  memoryCap(): number { return this.x.memoryCap(); }
  /** The largest -m whose items, hash table and buffers fit one WebAssembly memory. */
  itemCeiling(): number { return this.x.memoryCeiling(); }

  // ── after a trap ──────────────────────────────────────────────────────────────────────

  /** Where a throw from the timers' calls goes (the driver's recovery); unset: recover here. */
  onTrap: ((err: unknown, where: string) => void) | undefined;

  /**
   * After a call into the core threw. The state is kept only if the invariant checker walks
   * every free list, LRU and hash chain and finds links, counts and ownership whole; otherwise
   * the cache is reset in place, empty (the memory is shared with other threads' instances, so
   * it is not replaced). With other threads, the caller has stopped them first
   * (host/threads/recovery.ts).
   */
  recover(trapped = true): Recovery {
    if (this.gate) return this.gate.recover(() => this.checkOrReset(), trapped);
    // Alone on the memory: raising the flag lets the check look past the locks the trapped
    // call left held, and lowering it releases them.
    this.x.recoveryBegin();
    try {
      return this.checkOrReset();
    } finally {
      this.x.recoveryEnd();
    }
  }

  private checkOrReset(): Recovery {
    const started = performance.now();
    let reason: string | undefined;
    try {
      this.checkInvariants();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A wild pointer can make the walk trap before it finds anything to report.
      reason = err instanceof Error && err.name === "RuntimeError" ? `the check trapped: ${message}` : message;
    }
    if (reason === undefined) return { outcome: "intact", ms: performance.now() - started };
    const lost = this.reset();
    return { outcome: "reset", reason, lost, ms: performance.now() - started };
  }

  // Everything but the options, the clock, the host's settings and counters and the
  // credentials starts over. Returns what could not be carried over.
  private reset(): string | undefined {
    const credentialsIntact = this.credentialsIntact();
    writeSettings(this.x, this.blueprint);
    for (const [slot, v] of this.hostSettings) this.x.setSettingSlot(slot, v);
    if (this.hostVersion) this.setHostVersion(this.hostVersion);
    const err = this.x.reset(this.blueprint.startedAt);
    if (err !== InitError.OK) throw initError(err);
    this.x.clockSet(this.now());
    return this.reloadCredentials(credentialsIntact);
  }

  // The credentials exist only in the core, so they are taken from where they lay: only if
  // their bytes are still the ones loaded. Otherwise every login fails until a restart.
  private credentialsIntact(): boolean {
    if (!this.credentials) return true;
    const at = this.x.credentialsAddr();
    return fnv1a(this.views().subarray(at, at + this.credentials.length)) === this.credentials.checksum;
  }

  private reloadCredentials(intact: boolean): string | undefined {
    if (!this.credentials) return undefined;
    const at = this.x.credentialsAddr();
    if (!intact) {
      this.views().fill(0, at, at + this.credentials.length);
      this.x.credentialsLoad(0);
      return "the credentials were damaged: every login fails until a restart";
    }
    if (this.x.credentialsLoad(this.credentials.length) !== 0) return "the credentials could not be reloaded: every login fails until a restart";
    return undefined;
  }

  // A timer's call: a throw goes to onTrap, and the timer keeps running either way.
  private guarded(where: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      if (this.onTrap) this.onTrap(err, where);
      else this.recover();
    }
  }

  /** Clock every second, maintenance every 100 ms (back to back while work is waiting). */
  start(): void {
    if (this.timers.length) return;
    const clock = setInterval(() => this.guarded("clock", () => this.tick()), CLOCK_INTERVAL_MS);
    this.timers.push(clock);
    const run = () => {
      let more = false;
      this.guarded("maintain", () => {
        more = this.maintain();
        this.drainLog();
      });
      this.maintainTimer = setTimeout(run, more ? MAINTAIN_BUSY_MS : MAINTAIN_INTERVAL_MS);
      unref(this.maintainTimer);
    };
    this.maintainTimer = setTimeout(run, MAINTAIN_INTERVAL_MS);
    unref(clock);
    unref(this.maintainTimer);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.maintainTimer) clearTimeout(this.maintainTimer);
    this.maintainTimer = undefined;
  }
}
