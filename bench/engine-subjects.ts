// The three in-process engines the engine part compares, behind one small interface: the
// WASM engine and its pure-JS twin through the CacheEngine API (host/engine_api.ts), and
// lru-cache as a JavaScript application would use it for bytes.
//
// Every engine gets keys and values as Uint8Array views into reused buffers, as a server's
// receive buffer hands them over, and must keep its own copy. The WASM and JS engines copy
// internally; for lru-cache the adapter decodes the key to a string and copies the value,
// which is what using lru-cache as a byte cache costs.
import { LRUCache } from "lru-cache";
import { Engine } from "../host/wasm_engine.js";
import { JsEngine } from "../host/js/js_engine.js";
import type { CacheEngine } from "../host/engine_api.js";
import { readCoreWasm } from "../host/wasm.js";

export const ENGINES = ["wasm", "js", "lru-cache"] as const;
export type EngineName = typeof ENGINES[number];

export interface Subject {
  /** false when the engine refused the item */
  set(key: Uint8Array, value: Uint8Array): boolean;
  get(key: Uint8Array): Uint8Array | undefined;
  items(): number;
  evictions(): number;
  close(): void;
  /** how it was configured, for the results */
  config: Record<string, number | string>;
}

/** What the cache must hold without evicting: sizes every engine's memory bound. */
export interface Capacity {
  items: number;
  keyLength: number;
  meanValueLength: number;
}

// Per-item room given to the memcached-style engines: the item header and the slab class
// rounding (-f 1.25 wastes up to a fifth) come on top of key and value; twice that is ample.
const ITEM_OVERHEAD = 64;
const ROOM_FACTOR = 2;
const MIN_MEMORY_MB = 64;
const MB = 1024 * 1024;

function memoryBudgetMb(c: Capacity): number {
  const bytes = c.items * (c.keyLength + c.meanValueLength + ITEM_OVERHEAD) * ROOM_FACTOR;
  return Math.max(MIN_MEMORY_MB, Math.ceil(bytes / MB));
}

export function createSubject(name: EngineName, c: Capacity): Promise<Subject> {
  switch (name) {
    case "wasm": return wasmSubject(c);
    case "js": return Promise.resolve(jsSubject(c));
    case "lru-cache": return Promise.resolve(lruSubject(c));
  }
}

function cacheEngineSubject(engine: CacheEngine, config: Subject["config"]): Subject {
  engine.start();
  const stat = (name: string) => Number(engine.stats().get(name) ?? NaN);
  return {
    set: (k, v) => engine.set(k, v) === "STORED",
    get: (k) => engine.get(k)?.value,
    items: () => stat("curr_items"),
    evictions: () => stat("evictions"),
    close: () => engine.stop(),
    config,
  };
}

async function wasmSubject(c: Capacity): Promise<Subject> {
  const memoryLimitMb = memoryBudgetMb(c);
  const engine = await Engine.create(readCoreWasm("release"), { memoryLimitMb });
  return cacheEngineSubject(engine, { memoryLimitMb });
}

function jsSubject(c: Capacity): Subject {
  const memoryLimitMb = memoryBudgetMb(c);
  return cacheEngineSubject(JsEngine.create({ memoryLimitMb }), { memoryLimitMb });
}

const decoder = new TextDecoder();

function lruSubject(c: Capacity): Subject {
  const maxSize = Math.ceil(c.items * (c.keyLength + c.meanValueLength) * ROOM_FACTOR);
  let evicted = 0;
  const cache = new LRUCache<string, Uint8Array>({
    maxSize,
    sizeCalculation: (v, k) => v.byteLength + k.length,
    dispose: (_v, _k, reason) => { if (reason === "evict") evicted++; },
  });
  return {
    set: (k, v) => { cache.set(decoder.decode(k), v.slice()); return true; },
    get: (k) => cache.get(decoder.decode(k)),
    items: () => cache.size,
    evictions: () => evicted,
    close: () => cache.clear(),
    config: { maxSize },
  };
}
