// What cache.share() hands out and Cache.attach() takes: everything another thread needs to
// open the same cache, all of it structured-clonable (postMessage, workerData), none of it
// copied: the compiled module, the shared memory and two SharedArrayBuffers travel as
// references to the same bytes.
import { readCoreWasm } from "../wasm.js";
import { fnv1a } from "../fnv1a.js";
import type { ThreadedShare } from "../wasm_engine.js";
import type { SharedHostInit } from "../threads/shared_host.js";

const KIND = "wasmcached.Cache";
// Bumped whenever what a handle carries, or what the threads keep in it, changes shape.
const FORMAT = 1;

export interface CacheHandle {
  readonly kind: typeof KIND;
  readonly format: number;
  /** Which build of the core made the cache: a thread must run the same one. */
  readonly coreId: number;
  readonly core: ThreadedShare;
  /** The words trap recovery runs on (threads/shared_host.ts). */
  readonly recovery: SharedHostInit;
  /** sharing/registry.ts */
  readonly registry: SharedArrayBuffer;
}

let ownCoreId: number | undefined;

// The release core's fingerprint: two copies of the package that would read the same memory
// differently differ here.
export function coreId(): number {
  ownCoreId ??= fnv1a(readCoreWasm("release"));
  return ownCoreId;
}

export function makeHandle(core: ThreadedShare, recovery: SharedHostInit, registry: SharedArrayBuffer): CacheHandle {
  return { kind: KIND, format: FORMAT, coreId: coreId(), core, recovery, registry };
}

export function requireSharedMemory(): void {
  if (typeof SharedArrayBuffer === "function") return;
  throw new Error("wasmcached: this runtime has no shared memory (SharedArrayBuffer), so a Cache cannot be shared between threads here");
}

/** Throws, saying what is wrong, unless `h` is a handle this copy of wasmcached can open. */
export function checkHandle(h: unknown): asserts h is CacheHandle {
  requireSharedMemory();
  const handle = h as Partial<CacheHandle> | undefined;
  if (handle?.kind !== KIND) throw new TypeError("wasmcached: Cache.attach takes the handle cache.share() returned");
  if (handle.format !== FORMAT || handle.coreId !== coreId()) {
    throw new Error("wasmcached: this handle comes from another version of wasmcached: every thread must load the same one");
  }
  const shared = handle.registry instanceof SharedArrayBuffer && handle.recovery?.sab instanceof SharedArrayBuffer
    && handle.core?.memory?.buffer instanceof SharedArrayBuffer;
  if (!shared) {
    throw new TypeError("wasmcached: the handle lost its shared memory on the way: pass it with postMessage or workerData, not through JSON");
  }
}
