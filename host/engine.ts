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
import { HostStat } from "../assembly/host_stats.js";
import {
  ServerOptions, defaultServerOptions, coreSettings, validateEngineOptions, statsSettingsDescriptor,
} from "./options.js";
import type { CacheEngine, ProtocolEngine, Recovery } from "./engine_api.js";

export type Bytes = string | Uint8Array;

export enum StoreOp { SET = 1, ADD = 2, REPLACE = 3, APPEND = 4, PREPEND = 5, CAS = 6 }
export const STORE_RESULTS = ["STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "TOO_LARGE", "NO_MEMORY"] as const;
export type StoreResult = typeof STORE_RESULTS[number];
export const ARITH_RESULTS = ["OK", "NOT_FOUND", "NON_NUMERIC", "NO_MEMORY", "EXISTS"] as const;
export type ArithError = Exclude<typeof ARITH_RESULTS[number], "OK">;

const INIT_ERRORS = [
  "",
  "the core's static data overlaps its state block (a build problem)",
  "this memory limit cannot fit one WebAssembly memory (4 GiB including the hash table); choose a smaller -m",
  "the WebAssembly memory could not grow to its initial size",
];

export const KEY_MAX_LENGTH = 250;
const U32_MAX = 0xffffffff;

// RESULT block offsets (assembly/result.ts).
const R_CAS = 0;
const R_FLAGS = 8;
const R_VALUE = 16;
const R_NUMBER = 24;

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

interface CoreExports {
  memory: { buffer: ArrayBuffer };
  init(now: number): number;
  settingsAddr(): number;
  settingsDescAddr(): number;
  keyAddr(): number;
  resultAddr(): number;
  valueAddr(): number;
  valueCapacity(): number;
  outAddr(): number;
  memoryCap(): number;
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
}

/** PROC_FLAGS bits (assembly/conn.ts). */
export const PF_CLOSE = 1;
export const PF_NEED_MORE = 2;
export const PF_AGAIN = 4;
export const PF_YIELD = 8;
export const PF_SHUTDOWN = 16;
export const PF_CLOSE_NOW = 32;
export const PF_STATS_CONNS = 64;
export const PF_WATCH = 256;
export const PF_REFRESH_CERTS = 512;

/** logger.ts entry types. */
export const LOG_VERBOSE = 128;
const LOG_ENTRY_HEADER = 11;

export interface LogEntry { type: number; gid: number; text: string }
export const PF_SWALLOW = 128;

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

type CompiledCore = ResultObject["module"];
// ES2022's lib declares no WebAssembly; this is the one call made here directly.
declare const WebAssembly: { compile(bytes: Uint8Array | ArrayBuffer): Promise<CompiledCore> };

/** What the engine needs to build a fresh instance after a trap. */
interface Blueprint {
  module: CompiledCore;
  opts: ServerOptions;
  /** The unix time the first instance started at: a fresh one keeps its clock and uptime. */
  startedAt: number;
}

// Builds and initialises one instance. Synchronous: compiling was done once, at create().
function boot(b: Blueprint): CoreExports {
  const x = instantiateSync<Record<string, unknown>>(b.module, {}).instance.exports as unknown as CoreExports;
  const slots = coreSettings(b.opts);
  new Float64Array(x.memory.buffer, x.settingsAddr(), slots.length).set(slots);
  new Uint8Array(x.memory.buffer).set(statsSettingsDescriptor(b.opts), x.settingsDescAddr());
  const err = x.init(b.startedAt);
  if (err !== 0) throw new Error(INIT_ERRORS[err] ?? `core init failed (${err})`);
  return x;
}

// FNV-1a: tells whether the credentials in a broken instance are still the bytes loaded at
// start-up. A checksum against accidental damage, not a secret: it is no use to anyone who
// could read the process's memory, which holds the file itself.
function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

export class Engine implements CacheEngine, ProtocolEngine {
  private x: CoreExports;
  private readonly blueprint: Blueprint;
  // What the host wrote into the core after init(), replayed into a fresh instance.
  private readonly hostSettings = new Map<number, number>();
  private hostVersion = "";
  private credentials: { length: number; checksum: number } | undefined;
  private buf: ArrayBuffer;
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

  private constructor(x: CoreExports, blueprint: Blueprint, now: () => number) {
    this.x = x;
    this.blueprint = blueprint;
    this.now = now;
    this.buf = x.memory.buffer;
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

  static async create(wasm: Uint8Array | ArrayBuffer, options: Partial<ServerOptions> = {}, timers: EngineTimers = {}): Promise<Engine> {
    const opts: ServerOptions = { ...defaultServerOptions(), ...options };
    const problem = validateEngineOptions(opts);
    if (problem) throw new Error(problem);
    const now = timers.now ?? (() => Math.floor(Date.now() / 1000));
    const blueprint = { module: await WebAssembly.compile(wasm), opts, startedAt: now() };
    return new Engine(boot(blueprint), blueprint, now);
  }

  // memory.grow detaches the old buffer: every call that may allocate re-takes the views.
  private views(): Uint8Array {
    if (this.x.memory.buffer !== this.buf) {
      this.buf = this.x.memory.buffer;
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
      const r = encoder.encodeInto(key, this.keyWindow);
      if (r.read !== key.length) throw new RangeError("key longer than 250 bytes");
      n = r.written;
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
    return STORE_RESULTS[this.x.store(op, nkey, nbytes, flags, exptime)];
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
    if (r !== 0) return ARITH_RESULTS[r] as ArithError;
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
      const n = this.dv.getUint16(at + 1, true);
      entries.push({
        type: u8[at],
        gid: Number(this.dv.getBigUint64(at + 3, true)),
        text: decoder.decode(u8.subarray(at + LOG_ENTRY_HEADER, at + LOG_ENTRY_HEADER + n)),
      });
      at += LOG_ENTRY_HEADER + n;
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
  outLength(): number { return this.x.outLength(); }

  /**
   * Serves one UDP datagram (header included) copied to the input area; `fresh` is false when
   * continuing one whose previous call ended with PF_AGAIN. Returns payload bytes consumed.
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
    if (r === 0) this.credentials = { length: file.length, checksum: checksum(file) };
    return r === 0 ? null : r === 1 ? "malformed" : "too large";
  }

  /** Sets a host_stats.ts slot. */
  setHostStat(slot: number, value: number): void {
    this.views();
    this.hostStats[slot] = value;
  }

  /** Adds to a host_stats.ts slot: the per-packet byte counters. */
  addHostStat(slot: number, n: number): void {
    this.views();
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

  /** Linear memory in bytes, and the most it may grow to. */
  memoryBytes(): number { return this.x.memory.buffer.byteLength; }
  memoryCap(): number { return this.x.memoryCap(); }

  // ── after a trap ──────────────────────────────────────────────────────────────────────

  /** Where a throw from the timers' calls goes (the driver's recovery); unset: recover here. */
  onTrap: ((err: unknown, where: string) => void) | undefined;

  /**
   * After a call into the core threw. The state is kept only if the invariant checker walks
   * every free list, LRU and hash chain and finds links, counts and ownership whole; otherwise
   * a fresh instance of the same compiled module and options replaces it, empty. Throws only if
   * no fresh instance can be built (its memory cannot be reserved).
   */
  recover(): Recovery {
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
    const lost = this.rebuild();
    return { outcome: "reset", reason, lost, ms: performance.now() - started };
  }

  // A fresh instance with the same options, clock, host settings, host stats and credentials.
  // Returns what could not be carried over.
  private rebuild(): string | undefined {
    const oldMemory = this.views();
    const oldHostStats = this.hostStats.slice();
    const x = boot(this.blueprint);
    if (x.inAddr() !== this.inAddr || x.outAddr() !== this.outAddr || x.valueAddr() !== this.valueAt) {
      throw new Error("a fresh core instance placed its areas differently");
    }
    this.x = x;
    x.clockSet(this.now());
    for (const [slot, v] of this.hostSettings) x.setSettingSlot(slot, v);
    if (this.hostVersion) this.setHostVersion(this.hostVersion);
    this.views();
    this.hostStats.set(oldHostStats);
    return this.carryCredentials(oldMemory);
  }

  // The credentials exist only in the core, so they come from the broken instance: only if
  // their bytes are still the ones loaded. Otherwise every login fails until a restart.
  private carryCredentials(oldMemory: Uint8Array): string | undefined {
    if (!this.credentials) return undefined;
    const at = this.x.credentialsAddr();
    const file = oldMemory.subarray(at, at + this.credentials.length);
    if (checksum(file) !== this.credentials.checksum) {
      return "the credentials were damaged: every login fails until a restart";
    }
    this.views().set(file, at);
    if (this.x.credentialsLoad(file.length) !== 0) return "the credentials could not be reloaded: every login fails until a restart";
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

// Timers must not keep a process alive on their own (Node and Bun have unref; Deno returns a
// number and has Deno.unrefTimer, which its adapter applies).
function unref(t: unknown): void {
  (t as { unref?: () => void }).unref?.();
}
