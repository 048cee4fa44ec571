// The three in-process engines the engine part compares, behind one small interface: the
// WASM engine and its pure-JS twin through the CacheEngine API (host/engine_api.ts), and
// lru-cache as a JavaScript application would use it for bytes.
//
// Every engine gets keys and values as Uint8Array views into reused buffers, as a server's
// receive buffer hands them over, and must keep its own copy. The WASM and JS engines copy
// internally; for lru-cache the adapter decodes the key to a string and copies the value,
// which is what using lru-cache as a byte cache costs.
import { LRUCache } from "lru-cache";
import { Engine, type EngineTimers } from "../host/engine.js";
import type { CacheEngine } from "../host/engine_api.js";
import type { ServerOptions } from "../host/options.js";
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

/** The engine is not in this build (the JS twin before it lands). */
export class NotAvailable extends Error {}

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
// Where the JS twin lives once it lands (relative to dist/bench/); loaded by a computed path so
// this file compiles before it exists.
const JS_ENGINE_MODULE = "../host/js/engine.js";

function memoryBudgetMb(c: Capacity): number {
  const bytes = c.items * (c.keyLength + c.meanValueLength + ITEM_OVERHEAD) * ROOM_FACTOR;
  return Math.max(MIN_MEMORY_MB, Math.ceil(bytes / MB));
}

export function createSubject(name: EngineName, c: Capacity): Promise<Subject> {
  switch (name) {
    case "wasm": return wasmSubject(c);
    case "js": return jsSubject(c);
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

interface JsEngineModule {
  JsEngine: { create(options: Partial<ServerOptions>, timers?: EngineTimers): CacheEngine | Promise<CacheEngine> };
}

async function jsSubject(c: Capacity): Promise<Subject> {
  const mod = await loadJsEngine();
  const memoryLimitMb = memoryBudgetMb(c);
  const engine = await mod.JsEngine.create({ memoryLimitMb });
  return cacheEngineSubject(engine, { memoryLimitMb });
}

async function loadJsEngine(): Promise<JsEngineModule> {
  const url = new URL(JS_ENGINE_MODULE, import.meta.url).href;
  try {
    return await import(url) as JsEngineModule;
  } catch (e) {
    const missing = (e as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String(e).includes(JS_ENGINE_MODULE.slice(2));
    if (missing) throw new NotAvailable("the JS twin (JsEngine, host/js/engine.ts) is not in this build");
    throw e;
  }
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
