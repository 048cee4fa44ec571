// This process's memory, as the in-process runs sample it.
import { performance } from "node:perf_hooks";

export interface MemorySample {
  rss: number;
  heapUsed: number;
  /** memory of ArrayBuffers and other objects V8 tracks outside its heap */
  external: number;
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

/** heapUsed after a full collection (needs --expose-gc; null without it). */
export function heapAfterGc(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export function now(): number { return performance.now(); }
