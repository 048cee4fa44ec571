// The in-process comparison asked for in issue 7: wasmcached's `Cache` against `lru-cache`,
// both byte-bounded, at N items of 16-byte string keys and 100-byte Uint8Array values.
//
//   npm run bench:cache                       1M and 5M items, both libraries
//   npm run bench:cache -- --quick            100k items (seconds; results in bench/results/tmp/)
//   npm run bench:cache -- --items 1M,2M --libs lru-cache
//   npm run bench:cache -- --help
//
// Every (library, size) runs in its own child process, so one run's heap and RSS never show up
// in another's figures, and a run that exhausts the V8 heap is reported instead of ending the
// benchmark.
//
// Both libraries get the same inputs: every op brings a fresh key string and, for sets, a fresh
// 100-byte Uint8Array, as an application's requests would. lru-cache keeps the objects it is
// given (one shared value would hide what holding N of them costs it); wasmcached copies them
// into linear memory. The inputs are made in chunks of 10,000 outside the timed sections, so
// the harness never holds more than one chunk and the memory measured after a phase is what
// the cache keeps. GC pauses are counted over the whole phase, input generation included:
// its garbage is the same for both, and what differs is what the cache retains.
import { fork } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { LRUCache } from "lru-cache";
import { Cache } from "../host/cache.js";
import {
  KEY_LEN, prng, GcMonitor, GcSummary, memorySample, MemorySample, heapAfterGc, now, round, mb,
  fmtRate, parseCount, machineInfo, MachineInfo, MB,
} from "./engine-util.js";

const VALUE_LEN = 100;
const RESULTS_DIR = fileURLToPath(new URL("../../bench/results/", import.meta.url));
const LIBS = ["wasmcached", "lru-cache"] as const;
type Lib = typeof LIBS[number];
// Ops between event-loop turns: wasmcached's clock and maintenance run on timers, which only
// fire when the loop gets a turn, as between an application's requests.
const CHUNK = 10_000;

// ── configuration ─────────────────────────────────────────────────────────────────────

interface Config {
  items: number[];
  libs: Lib[];
  /** --max-old-space-size for the lru-cache children (0: node's default) */
  lruHeapMb: number;
  seed: number;
  quick: boolean;
  out: string | null;
  write: boolean;
}

const HELP = `usage: node --expose-gc dist/bench/cache.js [options]

  --quick               100k items (seconds). Results go to bench/results/tmp/
  --items LIST          item counts, e.g. 1000000,5000000 or 1M,5M   (default 1M,5M)
  --libs LIST           wasmcached,lru-cache (default both)
  --lru-heap-mb N       --max-old-space-size for the lru-cache children (default 8192; 0 = node's default)
  --seed N              PRNG seed for the random key orders (default 1)
  --out FILE            result JSON path (default bench/results/cache-<date>.json)
  --no-write            print only, write no files`;

function parseConfig(argv: string[]): Config {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      items: { type: "string" },
      libs: { type: "string" },
      "lru-heap-mb": { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      "no-write": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const quick = values.quick!;
  const libs = (values.libs ?? LIBS.join(",")).split(",") as Lib[];
  for (const l of libs) if (!LIBS.includes(l)) throw new Error(`unknown library ${l} (${LIBS.join(", ")})`);
  return {
    items: (values.items ?? (quick ? "100000" : "1000000,5000000")).split(",").map(parseCount),
    libs,
    lruHeapMb: values["lru-heap-mb"] !== undefined ? Number(values["lru-heap-mb"]) : 8192,
    seed: values.seed ? Number(values.seed) : 1,
    quick,
    out: values.out ?? null,
    write: !values["no-write"],
  };
}

// ── the two subjects ──────────────────────────────────────────────────────────────────

interface Subject {
  /** false when the cache refused the item */
  set(key: string, value: Uint8Array): boolean;
  get(key: string): Uint8Array | undefined;
  count(): number;
  evictions(): number;
  close(): void;
  /** how the cache was bounded, for the report */
  config: Record<string, number>;
}

// Room for every item with a margin: an eviction would make gets miss and flatter the memory.
function wasmcachedMemoryMb(n: number): number {
  return Math.max(64, Math.ceil((n * 300) / MB));
}

async function wasmcached(n: number): Promise<Subject> {
  const memoryLimitMb = wasmcachedMemoryMb(n);
  const cache = await Cache.create({ memoryLimitMb });
  return {
    set: (k, v) => cache.set(k, v),
    get: (k) => cache.get(k),
    count: () => Number(cache.stats().curr_items),
    evictions: () => Number(cache.stats().evictions),
    close: () => cache.close(),
    config: { memoryLimitMb },
  };
}

// Sized like memcached counts an item: key bytes plus value bytes.
function lruCache(n: number): Subject {
  const maxSize = n * (KEY_LEN + VALUE_LEN) * 2;
  let evicted = 0;
  const cache = new LRUCache<string, Uint8Array>({
    maxSize,
    sizeCalculation: (v, k) => v.byteLength + k.length,
    dispose: (_v, _k, reason) => { if (reason === "evict") evicted++; },
  });
  return {
    set: (k, v) => { cache.set(k, v); return true; },
    get: (k) => cache.get(k),
    count: () => cache.size,
    evictions: () => evicted,
    close: () => cache.clear(),
    config: { maxSize },
  };
}

function create(lib: Lib, n: number): Promise<Subject> {
  return lib === "wasmcached" ? wasmcached(n) : Promise.resolve(lruCache(n));
}

// ── inputs, made outside the timed sections ───────────────────────────────────────────

// The inputs of one chunk of ops, rewritten in place before each chunk: the harness never
// holds more than CHUNK keys and values, so what stays in the heap is what the cache keeps.
interface Chunk { keys: string[]; vals: Uint8Array[] }
const NO_VALUE = new Uint8Array(0);

function newChunk(): Chunk {
  return { keys: new Array<string>(CHUNK).fill(""), vals: new Array<Uint8Array>(CHUNK).fill(NO_VALUE) };
}

// Cleared in place, because a suspended async frame may still hold the chunk object itself.
function clearChunk(c: Chunk): void {
  c.keys.fill("");
  c.vals.fill(NO_VALUE);
}

/** Key number i as a fresh 16-character string ("k" + 15 digits), as a request would bring. */
function keyText(i: number): string {
  return "k" + String(i).padStart(KEY_LEN - 1, "0");
}

/** A fresh 100-byte value: lru-cache keeps the object it is given, so each set needs its own. */
function newValue(tag: number, i: number): Uint8Array {
  const v = new Uint8Array(VALUE_LEN);
  v[0] = tag;
  v[1] = i & 0xff;
  return v;
}

// ── the phases ────────────────────────────────────────────────────────────────────────

interface PhaseSpec {
  /** writes the inputs of ops [from, to) into the chunk; not timed */
  prepare(c: Chunk, from: number, to: number): void;
  /** runs the first `count` ops of the chunk; timed; returns misses or refusals */
  run(c: Chunk, count: number): number;
}

function setRun(s: Subject): PhaseSpec["run"] {
  return (c, count) => {
    let failed = 0;
    for (let i = 0; i < count; i++) if (!s.set(c.keys[i], c.vals[i])) failed++;
    return failed;
  };
}

// Kept in a module variable so the JIT cannot drop the value, as a real caller keeps it.
export let lastValue: Uint8Array | undefined;
function getRun(s: Subject): PhaseSpec["run"] {
  return (c, count) => {
    let misses = 0;
    for (let i = 0; i < count; i++) {
      const v = s.get(c.keys[i]);
      if (v === undefined || v.length !== VALUE_LEN) misses++;
      lastValue = v;
    }
    return misses;
  };
}

/** Keys 0 … n−1 in order, each with a new value. */
function fillSpec(s: Subject): PhaseSpec {
  return {
    prepare: (c, from, to) => {
      for (let j = from; j < to; j++) {
        c.keys[j - from] = keyText(j);
        c.vals[j - from] = newValue(1, j);
      }
    },
    run: setRun(s),
  };
}

/** Uniformly random existing keys; with new values when `tag` is given (overwrites). */
function randomSpec(s: Subject, n: number, seed: number, tag: number | null): PhaseSpec {
  const next = prng(seed);
  return {
    prepare: (c, from, to) => {
      for (let j = from; j < to; j++) {
        const k = Math.floor((next() / 4294967296) * n);
        c.keys[j - from] = keyText(k);
        if (tag !== null) c.vals[j - from] = newValue(tag, j);
      }
    },
    run: tag === null ? getRun(s) : setRun(s),
  };
}

interface Timing { t0: number; t1: number; ms: number; misses: number }

// The timed part of each chunk is the cache calls plus one event-loop turn, in which
// wasmcached's clock and maintenance timers run, as between an application's requests.
async function timed(n: number, spec: PhaseSpec, c: Chunk): Promise<Timing> {
  let misses = 0;
  let ms = 0;
  const t0 = now();
  for (let done = 0; done < n; done += CHUNK) {
    const count = Math.min(CHUNK, n - done);
    spec.prepare(c, done, done + count);
    const t = now();
    misses += spec.run(c, count);
    await new Promise((r) => setImmediate(r));
    ms += now() - t;
  }
  return { t0, t1: now(), ms, misses };
}

// The same phases on a small throwaway instance, so the measured ones run optimised code
// from their first op (the fill in particular cannot be repeated).
async function warmUp(lib: Lib): Promise<void> {
  const n = 30_000;
  const s = await create(lib, n);
  const c = newChunk();
  await timed(n, fillSpec(s), c);
  for (let r = 0; r < 4; r++) {
    await timed(n, randomSpec(s, n, 99 + r, null), c);
    await timed(n, randomSpec(s, n, 199 + r, r), c);
  }
  s.close();
  lastValue = undefined;
}

// ── one (library, size): normally in its own child process ──────────────────────────

interface PhaseResult {
  name: string;
  ops: number;
  /** the timed part: cache calls and the event-loop turns between chunks */
  seconds: number;
  /** the whole phase, input generation included */
  wallSeconds: number;
  opsPerSec: number;
  nsPerOp: number;
  misses: number;
  /** every pause during the whole phase, input generation included */
  gc: GcSummary;
  /** after the phase and a forced full GC */
  memory: MemorySample;
  /** heapUsed after a forced full GC (needs --expose-gc) */
  heapRetained: number | null;
  /** 1-minute load average at the end: above ~1 on 2 cores, other work was running */
  loadAvg: number;
}

interface RunResult {
  lib: Lib;
  items: number;
  nodeFlags: string[];
  config: Record<string, number>;
  /** after the warm-up and a full GC, before the cache exists: subtracted as the baseline */
  before: { memory: MemorySample; heapRetained: number | null };
  phases: PhaseResult[];
  count: number | null;
  evictions: number | null;
  problems: string[];
  /** set when the run could not finish (heap exhausted, Map limit, crash) */
  error: string | null;
}

async function phase(name: string, n: number, spec: PhaseSpec, gcm: GcMonitor): Promise<PhaseResult> {
  const c = newChunk();
  heapAfterGc(); // the previous phase's garbage must not be collected inside this one
  const { t0, t1, ms, misses } = await timed(n, spec, c);
  const gc = await gcm.window(t0, t1);
  clearChunk(c);
  lastValue = undefined;
  const heapRetained = heapAfterGc();
  const r: PhaseResult = {
    name, ops: n, seconds: round(ms / 1000, 4), wallSeconds: round((t1 - t0) / 1000, 4),
    opsPerSec: Math.round(n / (ms / 1000)), nsPerOp: round((ms * 1e6) / n, 1), misses, gc,
    memory: memorySample(), heapRetained, loadAvg: round(loadavg()[0], 2),
  };
  console.error(`  ${name.padEnd(9)} ${fmtRate(r.opsPerSec).padStart(8)} ops/s  GC max ${gc.maxMs.toFixed(2)} ms, ` +
    `total ${gc.totalMs.toFixed(0)} ms, ${gc.over5ms} > 5 ms  RSS ${mb(r.memory.rss)} MB  heap ${mb(heapRetained)} MB`);
  return r;
}

async function runPhases(r: RunResult, s: Subject, seed: number, gcm: GcMonitor): Promise<void> {
  const n = r.items;
  r.phases.push(await phase("fill", n, fillSpec(s), gcm));
  r.phases.push(await phase("get", n, randomSpec(s, n, seed * 1000 + 1, null), gcm));
  r.phases.push(await phase("overwrite", n, randomSpec(s, n, seed * 1000 + 2, 2), gcm));
  for (const p of r.phases) if (p.misses) r.problems.push(`${p.name}: ${p.misses} misses/refusals`);
}

async function runOne(lib: Lib, n: number, seed: number): Promise<RunResult> {
  await warmUp(lib);
  const heapRetained = heapAfterGc();
  const r: RunResult = {
    lib, items: n, nodeFlags: process.execArgv, config: {}, before: { memory: memorySample(), heapRetained },
    phases: [], count: null, evictions: null, problems: [], error: null,
  };
  const gcm = new GcMonitor();
  console.error(`\n== ${lib}, ${n} items (node ${process.execArgv.join(" ")})`);
  try {
    const s = await create(lib, n);
    r.config = s.config;
    await runPhases(r, s, seed, gcm);
    r.count = s.count();
    r.evictions = s.evictions();
    if (r.count !== n) r.problems.push(`${r.count} items in the cache, expected ${n}`);
    if (r.evictions) r.problems.push(`${r.evictions} evictions`);
    s.close();
  } catch (e) {
    // A RangeError from V8 (Map size, array length) or a refused allocation: a result, not a bug.
    r.error = `${(e as Error).name}: ${(e as Error).message}` + (r.phases.length < 3 ? ` (during phase ${r.phases.length + 1})` : "");
  }
  gcm.disconnect();
  return r;
}

// ── the parent: one child per (library, size), then the summary and the files ────────

function childFlags(lib: Lib, cfg: Config): string[] {
  const flags = process.execArgv.filter((f) => !f.startsWith("--max-old-space-size"));
  if (lib === "lru-cache" && cfg.lruHeapMb > 0) flags.push(`--max-old-space-size=${cfg.lruHeapMb}`);
  return flags;
}

// A child that dies (V8's "heap out of memory" aborts the process) yields a failed result
// carrying the end of its stderr, which holds V8's reason.
function runChild(lib: Lib, n: number, cfg: Config): Promise<RunResult> {
  return new Promise((resolve) => {
    const execArgv = childFlags(lib, cfg);
    const child = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify({ lib, n, seed: cfg.seed })], {
      execArgv, stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    let tail = "";
    child.stderr!.on("data", (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-2000);
    });
    let result: RunResult | undefined;
    child.on("message", (m) => { result = m as RunResult; });
    child.on("exit", (code, signal) => {
      if (result) return resolve(result);
      const reason = /FATAL ERROR:[^\n]*|RangeError:[^\n]*/.exec(tail)?.[0] ?? tail.trim().split("\n").slice(-3).join(" / ");
      resolve({
        lib, items: n, nodeFlags: execArgv, config: {}, before: { memory: memorySample(), heapRetained: null },
        phases: [], count: null, evictions: null, problems: [], error: `child exited (${signal ?? `code ${code}`}): ${reason}`,
      });
    });
  });
}

function gcTotals(r: RunResult): { maxMs: number; totalMs: number; over5ms: number; count: number } {
  return {
    maxMs: Math.max(0, ...r.phases.map((p) => p.gc.maxMs)),
    totalMs: round(r.phases.reduce((s, p) => s + p.gc.totalMs, 0), 1),
    over5ms: r.phases.reduce((s, p) => s + p.gc.over5ms, 0),
    count: r.phases.reduce((s, p) => s + p.gc.count, 0),
  };
}

function row(r: RunResult): string {
  const rate = (name: string) => {
    const p = r.phases.find((x) => x.name === name);
    return p ? fmtRate(p.opsPerSec) : "–";
  };
  const last = r.phases[r.phases.length - 1];
  const g = gcTotals(r);
  const grown = (after: number | null, before: number | null) => {
    const d = (after ?? 0) - (before ?? 0);
    return `${mb(after)} (${d >= 0 ? "+" : ""}${mb(d)})`;
  };
  const cells = [
    r.items.toLocaleString("en-US"), r.lib, rate("fill"), rate("get"), rate("overwrite"),
    last ? grown(last.memory.rss, r.before.memory.rss) : "–", last ? mb(last.memory.maxRss) : "–",
    last ? grown(last.heapRetained, r.before.heapRetained) : "–",
    r.phases.length ? g.maxMs.toFixed(2) : "–", r.phases.length ? g.totalMs.toFixed(0) : "–",
    r.phases.length ? `${g.over5ms} of ${g.count}` : "–",
  ];
  const line = `| ${cells.join(" | ")} |`;
  return r.error ? `${line}\n| | ↳ **failed:** ${r.error} | | | | | | | | | |` : line;
}

function summary(runs: RunResult[], machine: MachineInfo, command: string, loads: number[]): string {
  const lines = [
    `# In-process cache benchmark, ${new Date().toISOString()}`,
    "",
    `machine: ${machine.cpuModel}, ${machine.nproc} cores, ${machine.totalMemGiB} GiB; node ${machine.node} (V8 ${machine.v8})`,
    `command: ${command}`,
    `16-byte string keys, 100-byte Uint8Array values, a fresh key string and value per op (made outside the timing); fill = N sets of new keys, get = N random gets, overwrite = N random sets of existing keys. Memory after the last phase and a forced full GC; GC over all three phases, input generation included. 1-min load average ${Math.min(...loads)}–${Math.max(...loads)}`,
    "",
    "| items | library | fill sets/s | gets/s | overwrites/s | RSS MB (+ since before the cache) | peak RSS MB | V8 heap after full GC MB (+ since before the cache) | GC max ms | GC total ms | GC pauses > 5 ms |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...runs.map(row),
    "",
  ];
  for (const r of runs) {
    if (!r.phases.length) {
      lines.push(`- ${r.lib} ${r.items.toLocaleString("en-US")}: node ${r.nodeFlags.join(" ")}; no phase finished`);
      continue;
    }
    lines.push(`- ${r.lib} ${r.items.toLocaleString("en-US")}: node ${r.nodeFlags.join(" ")}; ${Object.entries(r.config).map(([k, v]) => `${k} ${v}`).join(", ")}; ` +
      `before the cache: heap ${mb(r.before.heapRetained)} MB, RSS ${mb(r.before.memory.rss)} MB; ` +
      r.phases.map((p) => `${p.name} GC ${p.gc.maxMs.toFixed(1)}/${p.gc.totalMs.toFixed(0)} ms (${Object.entries(p.gc.byKind).map(([k, v]) => `${k} ${v.count}`).join(", ")})`).join("; "));
  }
  const problems = runs.flatMap((r) => r.problems.map((p) => `${r.lib} ${r.items}: ${p}`));
  if (problems.length) lines.push("", "PROBLEMS:", ...problems.map((p) => `- ${p}`));
  return lines.join("\n") + "\n";
}

function write(cfg: Config, text: string, json: unknown): void {
  const date = new Date().toISOString().slice(0, 10);
  const out = cfg.out ?? `${RESULTS_DIR}${cfg.quick ? "tmp/cache-quick-" : "cache-"}${date}.json`;
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, JSON.stringify(json, null, 2) + "\n");
  writeFileSync(out.replace(/\.json$/, "") + ".md", text);
  console.error(`wrote ${out} and ${out.replace(/\.json$/, "")}.md`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const childIdx = argv.indexOf("--child");
  if (childIdx >= 0) {
    const { lib, n, seed } = JSON.parse(argv[childIdx + 1]) as { lib: Lib; n: number; seed: number };
    const result = await runOne(lib, n, seed);
    process.send!(result, () => process.disconnect());
    return;
  }
  const cfg = parseConfig(argv);
  if (!(globalThis as { gc?: unknown }).gc) {
    console.error("note: run node with --expose-gc (npm run bench:cache does) to measure the retained heap");
  }
  const machine = machineInfo();
  const command = ["node", ...process.execArgv, "dist/bench/cache.js", ...argv].join(" ");
  const runs: RunResult[] = [];
  const loads = [round(loadavg()[0], 2)];
  for (const n of cfg.items) {
    for (const lib of cfg.libs) {
      runs.push(await runChild(lib, n, cfg));
      loads.push(round(loadavg()[0], 2));
    }
  }
  const text = summary(runs, machine, command, loads);
  console.log("\n" + text);
  if (cfg.write) write(cfg, text, { benchmark: "cache", date: new Date().toISOString(), command, config: cfg, machine, loads, runs });
  // A library failing at a size is a finding; a harness problem (misses, evictions) is not.
  if (runs.some((r) => r.problems.length)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
