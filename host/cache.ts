// The in-process API: the engine without sockets, for Node, Deno and Bun applications.
//
//   const cache = await Cache.create({ memoryLimitMb: 64 });
//   cache.set("k", "v", { ttl: 60 });
//   cache.getString("k");   // "v"
//
// Values come back as copies: nothing returned refers to linear memory, which the next call
// may overwrite or grow away.
//
// Shared between worker threads (Cache.create({ threads }), share(), attach()): every thread
// runs its own instance of the one compiled core on the one shared memory, on a thread block
// of its own, with memcached's locks (assembly/locks/). The clock and the maintenance run on
// one thread at a time, whichever holds the timer lease (sharing/registry.ts). Lifetime: each
// thread's close() gives its block back; the last one closes the cache for good (attaching
// fails from then on) and its memory goes once no thread refers to it (WebAssembly memory is
// garbage collected, not freed). A thread terminated inside a call leaves its locks held and
// may leave a change half made: whoever next waits on one of its locks for LOCK_STALE_MS, or
// the lease holder's watchdog seeing it inside one call that long, starts a recovery, which
// counts that thread gone, checks the cache (resetting it if it was left broken) and
// releases every lock.
import { isMainThread } from "node:worker_threads";
import { Engine, Bytes, StoreResult } from "./wasm_engine.js";
import { readCoreWasm } from "./wasm.js";
import type { EngineOptions } from "./options.js";
import { compileThreadedCore } from "./node/compile.js";
import { SharedHost, createSharedHost } from "./threads/shared_host.js";
import { gateFor } from "./threads/gate.js";
import { RecoveryPending, type StuckPolicy } from "./threads/recovery.js";
import { Registry, createRegistry } from "./sharing/registry.js";
import { type CacheHandle, makeHandle, checkHandle, requireSharedMemory } from "./sharing/handle.js";
import { Watchdog } from "./sharing/watchdog.js";
import { unref } from "./unref.js";
import { saveCache, restoreOrThrow } from "./restart/restart.js";

export type { CacheHandle } from "./sharing/handle.js";

/** Options mirroring the server's flags. */
export interface CacheOptions {
  /** -m: item memory in megabytes (default 64) */
  memoryLimitMb?: number;
  /** -I: largest item in bytes (default 1 MiB) */
  itemSizeMax?: number;
  /** -f: slab growth factor (default 1.25) */
  growthFactor?: number;
  /** -M when false: refuse stores when full instead of evicting (default true) */
  evictions?: boolean;
  /** -C when false (default true) */
  cas?: boolean;
  /**
   * How many threads may use the cache at once, this one included (default 1: not
   * shareable). More than one makes share() work; each costs a 128 KiB thread block.
   */
  threads?: number;
}

export interface SetOptions {
  /** seconds; memcached's exptime rules: 0 never, > 30 days a unix time, negative expired */
  ttl?: number;
  /** the 32-bit client flags */
  flags?: number;
}

export interface CacheEntry {
  value: Uint8Array;
  flags: number;
  cas: bigint;
}

const decoder = new TextDecoder();
// No lock is held for long (tens of milliseconds at worst under load, bench/results/locks-*):
// a wait this long means the holder is most likely dead.
const LOCK_STALE_MS = 2000;
const LEASE_CHECK_MS = 1000;
const THREADS_MAX = 64;
const CLOSED = "wasmcached: this Cache is closed";

/** What a shared cache's thread keeps besides its engine. */
interface Sharing {
  registry: Registry;
  thread: number;
  host: SharedHost;
  leaseTimer: ReturnType<typeof setInterval>;
  handle: CacheHandle;
  /** Closes this thread's Cache when its worker exits. */
  onExit: () => void;
  watchdog: Watchdog;
}

type ProcessLike = { once?(e: string, f: () => void): void; off?(e: string, f: () => void): void };
// A worker's `process` fires "exit" as the worker ends (not when it is terminated).
const workerProcess = isMainThread ? undefined : (globalThis as { process?: ProcessLike }).process;

function engineOptions(options: CacheOptions): Partial<EngineOptions> {
  const opts: Partial<EngineOptions> = {};
  if (options.memoryLimitMb !== undefined) opts.memoryLimitMb = options.memoryLimitMb;
  if (options.itemSizeMax !== undefined) opts.itemSizeMax = options.itemSizeMax;
  if (options.growthFactor !== undefined) opts.growthFactor = options.growthFactor;
  if (options.evictions !== undefined) opts.evictions = options.evictions;
  if (options.cas !== undefined) opts.cas = options.cas;
  return opts;
}

function threadCount(options: CacheOptions): number {
  const n = options.threads ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > THREADS_MAX) throw new RangeError(`wasmcached: threads must be an integer from 1 to ${THREADS_MAX}`);
  return n;
}

// A thread still inside the core LOCK_STALE_MS into a recovery was terminated there (or is
// hopelessly stuck): it is counted gone, and its locks are released with everyone else's.
function countGone(registry: Registry): StuckPolicy {
  return {
    ms: LOCK_STALE_MS,
    stuck(thread) {
      registry.markGone(thread);
      console.warn(`wasmcached: a thread of a shared Cache (block ${thread}) stopped inside a call and is counted gone`);
    },
  };
}

// Errors the engine raises before it calls the core: the caller's mistake, nothing to recover.
function callersMistake(err: unknown): boolean {
  return err instanceof RangeError || err instanceof TypeError;
}

export class Cache {
  private engine: Engine | undefined;
  private readonly sharing: Sharing | undefined;

  private constructor(engine: Engine, sharing?: Omit<Sharing, "leaseTimer" | "onExit" | "watchdog">) {
    this.engine = engine;
    if (!sharing) {
      engine.start();
      return;
    }
    const leaseTimer = setInterval(() => this.checkLease(), LEASE_CHECK_MS);
    unref(leaseTimer);
    const onExit = () => this.close();
    workerProcess?.once?.("exit", onExit);
    const watchdog = new Watchdog(sharing.host, sharing.thread, LOCK_STALE_MS);
    this.sharing = { ...sharing, leaseTimer, onExit, watchdog };
    this.checkLease();
  }

  static async create(options: CacheOptions = {}): Promise<Cache> {
    const opts = engineOptions(options);
    const threads = threadCount(options);
    if (threads === 1) return new Cache(await Engine.create(readCoreWasm("release"), opts));
    requireSharedMemory();
    const module = await compileThreadedCore(readCoreWasm("release"));
    const registrySab = createRegistry(threads);
    const registry = new Registry(registrySab);
    const thread = registry.claim();
    const recovery = createSharedHost(threads, 0, "");
    const host = new SharedHost(recovery, thread);
    const engine = Engine.createShared(module, { ...opts, threads }, threads, {}, gateFor(host, countGone(registry)), LOCK_STALE_MS);
    const handle = makeHandle(engine.share(), recovery, registrySab);
    return new Cache(engine, { registry, thread, host, handle });
  }

  /** Opens, on this thread, the cache another thread's share() described. */
  static async attach(handle: CacheHandle): Promise<Cache> {
    checkHandle(handle);
    const registry = new Registry(handle.registry);
    const thread = registry.claim();
    try {
      const host = new SharedHost(handle.recovery, thread);
      const engine = Engine.attach(handle.core, thread, gateFor(host, countGone(registry)));
      return new Cache(engine, { registry, thread, host, handle });
    } catch (err) {
      registry.release(thread);
      throw err;
    }
  }

  /** A handle for Cache.attach in another thread (send it with postMessage or workerData). */
  share(): CacheHandle {
    this.live();
    if (!this.sharing) throw new Error("wasmcached: this Cache was created for one thread: Cache.create({ threads: n }) makes one that n threads can share");
    return this.sharing.handle;
  }

  private live(): Engine {
    if (this.engine === undefined) throw new Error(CLOSED);
    return this.engine;
  }

  // The thread holding the lease runs the clock and the maintenance, and watches for a thread
  // that died inside a call; the others stand by.
  private checkLease(): void {
    const s = this.sharing!;
    const engine = this.engine;
    if (!engine) return;
    if (!s.registry.holdLease(s.thread)) {
      engine.stop();
      return;
    }
    engine.start();
    if (s.watchdog.stuck()) engine.recover(true);
  }

  // A call that threw. Another thread's recovery kept it out (nothing ran): go again once it
  // is over. A trap: this thread's part of the recovery, then the caller hears of it.
  private failed<T>(err: unknown, what: string, again: () => T): T {
    const engine = this.engine;
    if (engine === undefined || callersMistake(err)) throw err;
    const pending = err instanceof RecoveryPending;
    const recovery = engine.recover(!pending);
    if (pending) return again();
    const after = recovery.outcome === "reset" ? `was reset (${recovery.reason})` : "was checked and is whole";
    throw new Error(`wasmcached: ${what} failed inside the core (${err instanceof Error ? err.message : String(err)}); the cache ${after}`, { cause: err });
  }

  /**
   * A cache holding what save() wrote to `path`, under the same options. Rejects with
   * RestoreRefused (memcached's reason) if there is none to adopt; `path.meta` is consumed
   * either way, as a server's -e start consumes it.
   */
  static async load(path: string, options: CacheOptions = {}): Promise<Cache> {
    const cache = await Cache.create(options);
    try {
      restoreOrThrow(cache.live().image(), path);
    } catch (err) {
      cache.close();
      throw err;
    }
    return cache;
  }

  /**
   * Writes the cache to `path` and `path.meta`, as a server's SIGUSR1 does with -e. A shared
   * cache is saved by the one thread still holding it (no other may be changing it meanwhile),
   * and nobody can attach until it is written; load it with the same `threads`.
   */
  save(path: string): void {
    const engine = this.live();
    if (!this.sharing) return saveCache(engine.image(), path);
    this.sharing.registry.alone(() => saveCache(engine.image(), path));
  }

  /** The value (a copy), or undefined. */
  get(key: Bytes): Uint8Array | undefined {
    try {
      return this.live().getValue(key);
    } catch (err) {
      return this.failed(err, "get", () => this.get(key));
    }
  }

  getString(key: Bytes): string | undefined {
    const v = this.get(key);
    return v === undefined ? undefined : decoder.decode(v);
  }

  /** Value, client flags and CAS unique, or undefined. */
  gets(key: Bytes): CacheEntry | undefined {
    try {
      return this.live().get(key);
    } catch (err) {
      return this.failed(err, "gets", () => this.gets(key));
    }
  }

  private store(op: "set" | "add" | "replace", key: Bytes, value: Bytes, o: SetOptions): boolean {
    try {
      return this.live()[op](key, value, { flags: o.flags, exptime: o.ttl }) === "STORED";
    } catch (err) {
      return this.failed(err, op, () => this.store(op, key, value, o));
    }
  }

  set(key: Bytes, value: Bytes, o: SetOptions = {}): boolean { return this.store("set", key, value, o); }
  /** Stores only if the key is absent. */
  add(key: Bytes, value: Bytes, o: SetOptions = {}): boolean { return this.store("add", key, value, o); }
  /** Stores only if the key is present. */
  replace(key: Bytes, value: Bytes, o: SetOptions = {}): boolean { return this.store("replace", key, value, o); }

  private concat(op: "append" | "prepend", key: Bytes, value: Bytes): boolean {
    try {
      return this.live()[op](key, value) === "STORED";
    } catch (err) {
      return this.failed(err, op, () => this.concat(op, key, value));
    }
  }

  append(key: Bytes, value: Bytes): boolean { return this.concat("append", key, value); }
  prepend(key: Bytes, value: Bytes): boolean { return this.concat("prepend", key, value); }

  /** Stores only if the item still has this CAS unique (from gets()). */
  cas(key: Bytes, value: Bytes, cas: bigint, o: SetOptions = {}): StoreResult {
    try {
      return this.live().cas(key, value, cas, { flags: o.flags, exptime: o.ttl });
    } catch (err) {
      return this.failed(err, "cas", () => this.cas(key, value, cas, o));
    }
  }

  delete(key: Bytes): boolean {
    try {
      return this.live().delete(key);
    } catch (err) {
      return this.failed(err, "delete", () => this.delete(key));
    }
  }

  /** The new value, or undefined if the key is absent; throws if the value is not a number. */
  incr(key: Bytes, delta: bigint | number = 1): bigint | undefined { return this.arith(true, key, delta); }
  decr(key: Bytes, delta: bigint | number = 1): bigint | undefined { return this.arith(false, key, delta); }

  private arith(incr: boolean, key: Bytes, delta: bigint | number): bigint | undefined {
    let r: bigint | string;
    try {
      r = incr ? this.live().incr(key, delta) : this.live().decr(key, delta);
    } catch (err) {
      return this.failed(err, incr ? "incr" : "decr", () => this.arith(incr, key, delta));
    }
    if (typeof r === "bigint") return r;
    if (r === "NOT_FOUND") return undefined;
    throw new Error(r === "NON_NUMERIC" ? "cannot increment or decrement non-numeric value" : `incr/decr failed: ${r}`);
  }

  /** Sets a new TTL; false if the key is absent. */
  touch(key: Bytes, ttl: number): boolean {
    try {
      return this.live().touch(key, ttl);
    } catch (err) {
      return this.failed(err, "touch", () => this.touch(key, ttl));
    }
  }

  /** flush_all: everything now, or everything not touched after `delay` seconds. */
  flush(delay = 0): void {
    try {
      this.live().flushAll(delay);
    } catch (err) {
      this.failed(err, "flush", () => this.flush(delay));
    }
  }

  /** memcached's general `stats`, as name → value (every thread's counters summed). */
  stats(): Record<string, string> {
    try {
      return Object.fromEntries(this.live().stats());
    } catch (err) {
      return this.failed(err, "stats", () => this.stats());
    }
  }

  /**
   * This thread is done with the cache: its timers stop and, if shared, its thread block goes
   * back. The other threads keep the cache; the last to close it closes it for good. Calls
   * after close() throw.
   */
  close(): void {
    const engine = this.engine;
    if (engine === undefined) return;
    engine.stop();
    this.engine = undefined;
    const s = this.sharing;
    if (!s) return;
    clearInterval(s.leaseTimer);
    workerProcess?.off?.("exit", s.onExit);
    s.host.close();
    s.registry.release(s.thread);
  }
}
