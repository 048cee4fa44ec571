// The two faces of a cache engine, so the same host, driver, tests and benchmarks run on the
// WASM core (wasm_engine.ts) and on the pure-JS twin (js/): CacheEngine is the storage API an
// in-process caller uses; ProtocolEngine is what the connection driver needs to feed a
// connection's bytes through the engine's protocol handler and collect its replies.
import type { Bytes, Item, StoreOptions, StoreResult, ArithError, LogEntry } from "./wasm_engine.js";

export interface CacheEngine {
  get(key: Bytes): Item | undefined;
  /** get and set a new exptime */
  gat(key: Bytes, exptime: number): Item | undefined;
  set(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult;
  add(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult;
  replace(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult;
  append(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult;
  prepend(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult;
  cas(key: Bytes, value: Bytes, cas: bigint, o?: StoreOptions): StoreResult;
  /** The CAS of the last successful store. */
  lastCas(): bigint;
  delete(key: Bytes): boolean;
  touch(key: Bytes, exptime: number): boolean;
  incr(key: Bytes, delta: bigint | number): bigint | ArithError;
  decr(key: Bytes, delta: bigint | number): bigint | ArithError;
  flushAll(delay?: number): void;
  /** Feeds the clock (unix seconds) from the engine's time source. */
  tick(): void;
  /** memcached's rel_time: seconds since the process started. */
  currentTime(): number;
  /** One bounded maintenance step; true when more work is waiting. */
  maintain(): boolean;
  /** The general `stats` group, by memcached's names. */
  stats(): Map<string, string>;
  resetStats(): void;
  /** Starts the clock and maintenance timers; stop() clears them. */
  start(): void;
  stop(): void;
}

export interface ProtocolEngine {
  /** The memory the input and output areas live in (re-taken after every call that may grow it). */
  memory(): Uint8Array;
  readonly inAddr: number;
  readonly inSize: number;
  readonly outAddr: number;
  connOpen(id: number): boolean;
  connClose(id: number): void;
  /** Runs the commands in the first `len` bytes of the input area; returns bytes consumed. */
  process(id: number, len: number): number;
  procFlags(): number;
  procNeed(): number;
  /** With ProcFlag.WATCH: the LogType bits the new watcher asked for. */
  procWatchMask(): number;
  /** read_buf_mem_limit: response objects each of this thread's connections may stack now. */
  setResponseLimit(n: number): void;
  outLength(): number;
  onLog: ((entries: LogEntry[]) => void) | undefined;
  drainLog(): void;
  nextLogGid(): number;
  setSetting(slot: number, v: number): void;
  setHostStat(slot: number, value: number): void;
  addHostStat(slot: number, n: number): void;
  setHostVersion(text: string): void;
  /**
   * After a call into the engine threw (a WebAssembly trap, an abort): makes the engine safe to
   * call again, keeping its state only if that state was proven whole. Throws when it cannot.
   */
  recover(trapped?: boolean): Recovery;
  /** Where a throw from the engine's own timers (clock, maintenance) is reported. */
  onTrap: ((err: unknown, where: string) => void) | undefined;
}

/** What recover() did. */
export interface Recovery {
  /** "intact": the state was checked whole and kept; "reset": it was replaced by an empty one. */
  outcome: "intact" | "reset";
  /** Why the state could not be kept (reset only). */
  reason?: string;
  /** What the empty engine could not take over from the broken one (reset only). */
  lost?: string;
  /** Milliseconds the check and any rebuild took. */
  ms: number;
}
