// The in-process API: the engine without sockets, for Node (and Deno/Bun) applications.
//
//   const cache = await Cache.create({ memoryLimitMb: 64 });
//   cache.set("k", "v", { ttl: 60 });
//   cache.getString("k");   // "v"
//
// Values come back as copies: nothing returned refers to linear memory, which the next call
// may overwrite or grow away.
import { Engine, Bytes, StoreResult } from "./wasm_engine.js";
import { readCoreWasm } from "./wasm.js";
import type { EngineOptions } from "./options.js";
import { saveCache, restoreOrThrow } from "./restart/restart.js";

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

export class Cache {
  private readonly engine: Engine;

  private constructor(engine: Engine) {
    this.engine = engine;
  }

  static async create(options: CacheOptions = {}): Promise<Cache> {
    const opts: Partial<EngineOptions> = {};
    if (options.memoryLimitMb !== undefined) opts.memoryLimitMb = options.memoryLimitMb;
    if (options.itemSizeMax !== undefined) opts.itemSizeMax = options.itemSizeMax;
    if (options.growthFactor !== undefined) opts.growthFactor = options.growthFactor;
    if (options.evictions !== undefined) opts.evictions = options.evictions;
    if (options.cas !== undefined) opts.cas = options.cas;
    const engine = await Engine.create(readCoreWasm("release"), opts);
    engine.start();
    return new Cache(engine);
  }

  /**
   * A cache holding what save() wrote to `path`, under the same options. Rejects with
   * RestoreRefused (memcached's reason) if there is none to adopt; `path.meta` is consumed
   * either way, as a server's -e start consumes it.
   */
  static async load(path: string, options: CacheOptions = {}): Promise<Cache> {
    const cache = await Cache.create(options);
    try {
      restoreOrThrow(cache.engine.image(), path);
    } catch (err) {
      cache.close();
      throw err;
    }
    return cache;
  }

  /** Writes the cache to `path` and `path.meta`, as a server's SIGUSR1 does with -e. */
  save(path: string): void { saveCache(this.engine.image(), path); }

  /** The value (a copy), or undefined. */
  get(key: Bytes): Uint8Array | undefined {
    return this.engine.get(key)?.value;
  }

  getString(key: Bytes): string | undefined {
    const v = this.engine.get(key)?.value;
    return v === undefined ? undefined : decoder.decode(v);
  }

  /** Value, client flags and CAS unique, or undefined. */
  gets(key: Bytes): CacheEntry | undefined {
    return this.engine.get(key);
  }

  set(key: Bytes, value: Bytes, o: SetOptions = {}): boolean {
    return this.engine.set(key, value, { flags: o.flags, exptime: o.ttl }) === "STORED";
  }

  /** Stores only if the key is absent. */
  add(key: Bytes, value: Bytes, o: SetOptions = {}): boolean {
    return this.engine.add(key, value, { flags: o.flags, exptime: o.ttl }) === "STORED";
  }

  /** Stores only if the key is present. */
  replace(key: Bytes, value: Bytes, o: SetOptions = {}): boolean {
    return this.engine.replace(key, value, { flags: o.flags, exptime: o.ttl }) === "STORED";
  }

  append(key: Bytes, value: Bytes): boolean { return this.engine.append(key, value) === "STORED"; }
  prepend(key: Bytes, value: Bytes): boolean { return this.engine.prepend(key, value) === "STORED"; }

  /** Stores only if the item still has this CAS unique (from gets()). */
  cas(key: Bytes, value: Bytes, cas: bigint, o: SetOptions = {}): StoreResult {
    return this.engine.cas(key, value, cas, { flags: o.flags, exptime: o.ttl });
  }

  delete(key: Bytes): boolean { return this.engine.delete(key); }

  /** The new value, or undefined if the key is absent; throws if the value is not a number. */
  incr(key: Bytes, delta: bigint | number = 1): bigint | undefined { return this.arith(this.engine.incr(key, delta)); }
  decr(key: Bytes, delta: bigint | number = 1): bigint | undefined { return this.arith(this.engine.decr(key, delta)); }

  private arith(r: bigint | string): bigint | undefined {
    if (typeof r === "bigint") return r;
    if (r === "NOT_FOUND") return undefined;
    throw new Error(r === "NON_NUMERIC" ? "cannot increment or decrement non-numeric value" : `incr/decr failed: ${r}`);
  }

  /** Sets a new TTL; false if the key is absent. */
  touch(key: Bytes, ttl: number): boolean { return this.engine.touch(key, ttl); }

  /** flush_all: everything now, or everything not touched after `delay` seconds. */
  flush(delay = 0): void { this.engine.flushAll(delay); }

  /** memcached's general `stats`, as name → value. */
  stats(): Record<string, string> { return Object.fromEntries(this.engine.stats()); }

  /** Stops the clock and maintenance timers. */
  close(): void { this.engine.stop(); }
}
