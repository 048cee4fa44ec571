// Helpers shared by the benchmarks: key sets, a seeded PRNG, the GC pause monitor, memory
// samples and the machine description. Nothing here runs inside a timed loop except the
// small sampling calls the loops make every few thousand operations.
import { PerformanceObserver, performance, constants, type PerformanceEntry } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export const KEY_LEN = 16;

/** Writes key number i ("k" + 15 decimal digits, 16 printable bytes) at buf[o, o + 16). */
export function writeKey(buf: Uint8Array, o: number, i: number): void {
  buf[o] = 0x6b; // "k"
  let v = i;
  for (let d = KEY_LEN - 1; d >= 1; d--) {
    buf[o + d] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/**
 * A request stream: the keys of `count` operations packed back to back in `buf` (op j's key
 * is bytes [16 j, 16 j + 16)), key numbers 0, 1, 2, ... (`range` = 0) or uniformly random in
 * [0, range). The timed loops walk it sequentially, as a server walks its receive buffer, so
 * the only random memory access in a loop is the engine's own. No strings are created.
 */
export function fillStream(buf: Uint8Array, count: number, range: number, seed: number): void {
  const next = prng(seed);
  for (let j = 0; j < count; j++) {
    writeKey(buf, j * KEY_LEN, range === 0 ? j : Math.floor((next() / 4294967296) * range));
  }
}

/** mulberry32: a small seeded PRNG, u32 outputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export interface GcSummary {
  count: number;
  totalMs: number;
  maxMs: number;
  /** pauses longer than 5 ms (the target's bound) */
  over5ms: number;
  /** pauses by kind: minor (scavenge), major (mark-compact), incremental, weakcb */
  byKind: Record<string, { count: number; totalMs: number; maxMs: number }>;
}

interface GcEvent { start: number; duration: number; kind: number; forced: boolean }

const KIND_NAMES: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

/**
 * Collects every GC pause perf_hooks reports. Entries arrive asynchronously (after the
 * synchronous benchmark loop yields), so a phase records its [start, end] on the
 * performance.now() timeline and asks for the pauses inside that window afterwards.
 */
export class GcMonitor {
  private events: GcEvent[] = [];
  private readonly obs: PerformanceObserver;

  constructor() {
    this.obs = new PerformanceObserver((list) => this.add(list.getEntries()));
    this.obs.observe({ entryTypes: ["gc"] });
  }

  private add(entries: PerformanceEntry[]): void {
    for (const e of entries) {
      const detail = (e as { detail?: { kind?: number; flags?: number } }).detail ?? {};
      const kind = detail.kind ?? (e as unknown as { kind: number }).kind ?? 0;
      const flags = detail.flags ?? 0;
      this.events.push({
        start: e.startTime, duration: e.duration, kind,
        forced: (flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0,
      });
    }
  }

  /** Lets pending observer callbacks run, then summarises the pauses that began in [t0, t1]. */
  async window(t0: number, t1: number): Promise<GcSummary> {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    this.add(this.obs.takeRecords());
    const out: GcSummary = { count: 0, totalMs: 0, maxMs: 0, over5ms: 0, byKind: {} };
    for (const e of this.events) {
      if (e.start < t0 || e.start > t1 || e.forced) continue;
      out.count++;
      out.totalMs += e.duration;
      out.maxMs = Math.max(out.maxMs, e.duration);
      if (e.duration > 5) out.over5ms++;
      const name = KIND_NAMES[e.kind] ?? `kind${e.kind}`;
      const k = (out.byKind[name] ??= { count: 0, totalMs: 0, maxMs: 0 });
      k.count++;
      k.totalMs += e.duration;
      k.maxMs = Math.max(k.maxMs, e.duration);
    }
    out.totalMs = round(out.totalMs, 3);
    out.maxMs = round(out.maxMs, 3);
    for (const k of Object.values(out.byKind)) {
      k.totalMs = round(k.totalMs, 3);
      k.maxMs = round(k.maxMs, 3);
    }
    return out;
  }

  disconnect(): void { this.obs.disconnect(); }
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** peak RSS of the process so far */
  maxRss: number;
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return {
    rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external,
    arrayBuffers: m.arrayBuffers, maxRss: process.resourceUsage().maxRSS * 1024,
  };
}

/** V8 heap in use, cheaply (no /proc read): for sampling inside phases. */
export function heapUsedNow(): number {
  return getHeapStatistics().used_heap_size;
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

export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const MB = 1024 * 1024;
export function mb(bytes: number | null | undefined): string {
  return bytes == null ? "-" : (bytes / MB).toFixed(1);
}

export function fmtRate(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k`;
  return opsPerSec.toFixed(0);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Parses "1000000", "1e6", "100k", "5M". */
export function parseCount(text: string): number {
  const m = /^\s*([0-9.e+]+)\s*([kKmM]?)\s*$/.exec(text);
  if (!m) throw new Error(`not a count: ${text}`);
  const mult = m[2] === "" ? 1 : m[2].toLowerCase() === "k" ? 1e3 : 1e6;
  const v = Math.round(Number(m[1]) * mult);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`not a count: ${text}`);
  return v;
}

function sh(cmd: string, args: string[], cwd: string): string | null {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export interface MachineInfo {
  hostname: string;
  platform: string;
  kernel: string;
  cpuModel: string;
  nproc: number;
  totalMemGiB: number;
  node: string;
  v8: string;
  execArgv: string[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    cpuModel: cpus[0]?.model ?? "unknown",
    nproc: os.availableParallelism?.() ?? cpus.length,
    totalMemGiB: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    v8: process.versions.v8,
    execArgv: process.execArgv,
  };
}

export interface SourceInfo {
  commit: string | null;
  /** `git status --porcelain` of the files that decide the numbers (core, wrapper, bench) */
  dirty: string[];
  coreWasmSha256: string;
  coreWasmBytes: number;
}

export function sourceInfo(root: string, wasmPath: URL): SourceInfo {
  const wasm = readFileSync(wasmPath);
  const status = sh("git", ["status", "--porcelain", "--", "assembly", "host", "bench", "asconfig.json"], root);
  return {
    commit: sh("git", ["rev-parse", "HEAD"], root),
    dirty: status ? status.split("\n").filter(Boolean) : [],
    coreWasmSha256: createHash("sha256").update(wasm).digest("hex"),
    coreWasmBytes: wasm.length,
  };
}
