// One cache for an application's worker threads (issue 18): four workers doing 90/10 get/set on
// 1M keys of 100-byte values, three ways, each in a fresh process, taking turns over rounds:
//
//   wasmcached-shared   one wasmcached Cache (threads: 5) that every worker attaches to
//   lru-per-worker      one lru-cache per worker: no sharing, four copies of the data
//   lru-main-message    one lru-cache in the main thread, reached by postMessage (each worker
//                       keeps WINDOW requests in flight, so the channel, not the round trip
//                       of one request, is what is measured)
//
// Reported per variant: ops/s over every worker, the process's RSS at the end (every thread,
// every copy), each thread's V8 heap, and each thread's GC pauses while the load ran.
// Values: 100-byte Uint8Arrays; lru-cache keeps the array it was given and returns it, as a
// JavaScript application would; wasmcached copies in and out.
//
//   node dist/bench/shared-cache.js [--rounds 3] [--seconds 5] [--keys 1000000] [--out FILE.md]
import { Worker, MessageChannel, isMainThread, parentPort, workerData, type MessagePort } from "node:worker_threads";
import { getHeapStatistics } from "node:v8";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LRUCache } from "lru-cache";
import { Cache, type CacheHandle } from "../host/index.js";
import { GcMonitor, type GcPause } from "./gc-monitor.js";

const VARIANTS = ["wasmcached-shared", "lru-per-worker", "lru-main-message"] as const;
type Variant = (typeof VARIANTS)[number];
const WORKERS = 4;
const VALUE_BYTES = 100;
const GET_PCT = 90;
const WINDOW = 32;
// -m for 1M items of ~130 bytes (a 100-byte value, a 10-byte key, the header) with room.
const MEMORY_MB = 512;
const MB = 1024 * 1024;

interface ThreadStats { thread: string; heapMb: number; gcCount: number; gcTotalMs: number; gcMaxMs: number }
interface WorkerReport extends ThreadStats { ops: number; ms: number }
interface RunResult { variant: Variant; opsPerSec: number; rssMb: number; threads: ThreadStats[] }
interface Start { variant: Variant; index: number; keys: number; seconds: number; handle?: CacheHandle; port?: MessagePort; gate: Int32Array }

// ── GC pauses of this thread over a window (gc-monitor.ts) ──────────────────────────────
function gcWatch(): () => Promise<GcPause[]> {
  const monitor = new GcMonitor();
  const t0 = performance.now();
  return async () => {
    const pauses = await monitor.pauses(t0, performance.now());
    monitor.disconnect();
    return pauses;
  };
}

function threadStats(thread: string, pauses: GcPause[]): ThreadStats {
  const ms = pauses.map((p) => p.ms);
  return {
    thread, heapMb: getHeapStatistics().used_heap_size / MB,
    gcCount: ms.length, gcTotalMs: ms.reduce((a, b) => a + b, 0), gcMaxMs: Math.max(0, ...ms),
  };
}

const keyOf = (i: number) => `key:${i}`;

function value(i: number): Uint8Array {
  const v = new Uint8Array(VALUE_BYTES);
  v.fill(97 + (i % 26));
  return v;
}

// xorshift: cheap, and the same key stream in every variant.
function rng(seed: number): () => number {
  let s = seed | 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

// ── the workers ────────────────────────────────────────────────────────────────────────
interface Store { get(k: string): unknown; set(k: string, v: Uint8Array): void }

async function workerStore(start: Start): Promise<Store> {
  if (start.variant === "wasmcached-shared") {
    const cache = await Cache.attach(start.handle!);
    return { get: (k) => cache.get(k), set: (k, v) => { cache.set(k, v); } };
  }
  const lru = new LRUCache<string, Uint8Array>({ max: start.keys });
  for (let i = 0; i < start.keys; i++) lru.set(keyOf(i), value(i));
  return { get: (k) => lru.get(k), set: (k, v) => { lru.set(k, v); } };
}

// Waits at the gate until every worker is ready, so they all load at once.
function passGate(gate: Int32Array): void {
  Atomics.add(gate, 0, 1);
  Atomics.notify(gate, 0);
  while (Atomics.load(gate, 1) === 0) Atomics.wait(gate, 1, 0, 10);
}

function runSync(start: Start, store: Store): { ops: number; ms: number } {
  const next = rng(start.index + 1);
  const fresh = value(start.index);
  const t0 = performance.now();
  const until = t0 + start.seconds * 1000;
  let ops = 0;
  while (true) {
    for (let i = 0; i < 1000; i++) {
      const k = keyOf(Math.floor(next() * start.keys));
      if (next() * 100 < GET_PCT) store.get(k);
      else store.set(k, fresh);
    }
    ops += 1000;
    if (performance.now() >= until) break;
  }
  return { ops, ms: performance.now() - t0 };
}

// Through the main thread: WINDOW requests in flight, each answered by one message.
function runByMessage(start: Start): Promise<{ ops: number; ms: number }> {
  const port = start.port!;
  const next = rng(start.index + 1);
  const fresh = value(start.index);
  const t0 = performance.now();
  const until = t0 + start.seconds * 1000;
  let ops = 0;
  let inFlight = 0;
  return new Promise((resolve) => {
    const send = () => {
      const k = keyOf(Math.floor(next() * start.keys));
      port.postMessage(next() * 100 < GET_PCT ? { k } : { k, v: fresh });
      inFlight++;
    };
    port.on("message", () => {
      inFlight--;
      ops++;
      if (performance.now() < until) send();
      else if (inFlight === 0) resolve({ ops, ms: performance.now() - t0 });
    });
    for (let i = 0; i < WINDOW; i++) send();
  });
}

async function worker(start: Start): Promise<void> {
  const store = start.variant === "lru-main-message" ? undefined : await workerStore(start);
  passGate(start.gate);
  const gc = gcWatch();
  const { ops, ms } = store ? runSync(start, store) : await runByMessage(start);
  parentPort!.postMessage({ ops, ms, ...threadStats(`worker ${start.index}`, await gc()) } satisfies WorkerReport);
}

// ── one variant, in this process ─────────────────────────────────────────────────────────
async function runVariant(variant: Variant, keys: number, seconds: number): Promise<RunResult> {
  const gate = new Int32Array(new SharedArrayBuffer(8));
  let cache: Cache | undefined;
  let mainLru: LRUCache<string, Uint8Array> | undefined;
  if (variant === "wasmcached-shared") {
    cache = await Cache.create({ memoryLimitMb: MEMORY_MB, threads: WORKERS + 1 });
    for (let i = 0; i < keys; i++) cache.set(keyOf(i), value(i));
  }
  if (variant === "lru-main-message") {
    mainLru = new LRUCache<string, Uint8Array>({ max: keys });
    for (let i = 0; i < keys; i++) mainLru.set(keyOf(i), value(i));
  }
  const gc = gcWatch();
  const reports = Array.from({ length: WORKERS }, (_, index) => {
    const start: Start = { variant, index, keys, seconds, gate, handle: cache?.share() };
    const transferList: MessagePort[] = [];
    if (mainLru) {
      const { port1, port2 } = new MessageChannel();
      start.port = port2;
      transferList.push(port2);
      const lru = mainLru;
      port1.on("message", ({ k, v }: { k: string; v?: Uint8Array }) => {
        if (v) lru.set(k, v);
        port1.postMessage(v ? true : lru.get(k) ?? null);
      });
    }
    const w = new Worker(fileURLToPath(import.meta.url), { workerData: start, transferList });
    return new Promise<WorkerReport>((resolve, reject) => {
      w.once("message", (r: WorkerReport) => { resolve(r); void w.terminate(); });
      w.once("error", reject);
    });
  });
  // Everyone ready: go. The main thread keeps its event loop free for the message variant.
  while (Atomics.load(gate, 0) < WORKERS) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(gate, 1, 1);
  Atomics.notify(gate, 1);
  const done = await Promise.all(reports);
  const main = threadStats("main", await gc());
  const rssMb = process.memoryUsage().rss / MB;
  cache?.close();
  const opsPerSec = done.reduce((n, r) => n + r.ops / (r.ms / 1000), 0);
  return { variant, opsPerSec, rssMb, threads: [main, ...done.map(({ ops: _o, ms: _m, ...t }) => t)] };
}

// ── the rounds, each variant in a fresh process ─────────────────────────────────────────
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, d = 0) => x.toFixed(d);

function report(results: RunResult[], rounds: number, seconds: number, keys: number, command: string): string {
  const lines = [
    `# One cache for ${WORKERS} worker threads: wasmcached shared vs lru-cache`, "",
    `\`${command}\` — ${new Date().toISOString().slice(0, 10)}, ${rounds} rounds, ${seconds} s of load each, ${keys} keys of ${VALUE_BYTES} B, ${GET_PCT}/${100 - GET_PCT} get/set, each variant in a fresh process, variants taking turns.`,
    "", "| variant | ops/s (median) | ops/s per round | RSS MiB (median) | V8 heap MiB, main + workers | GC pauses in the load, per thread: count / total ms / longest ms |",
    "|---|---:|---|---:|---|---|",
  ];
  for (const v of VARIANTS) {
    const runs = results.filter((r) => r.variant === v);
    const mid = runs.find((r) => r.opsPerSec === median(runs.map((x) => x.opsPerSec)))!;
    lines.push(`| ${v} | ${fmt(median(runs.map((r) => r.opsPerSec)))} | ${runs.map((r) => fmt(r.opsPerSec)).join(" ")} | ${fmt(median(runs.map((r) => r.rssMb)))} | ${mid.threads.map((t) => fmt(t.heapMb)).join(" + ")} | ${mid.threads.map((t) => `${t.gcCount}/${fmt(t.gcTotalMs)}/${fmt(t.gcMaxMs, 1)}`).join(", ")} |`);
  }
  lines.push("", "The heap and GC columns are from the round with the median ops/s; threads in the order main, worker 0–3.", "");
  return lines.join("\n");
}

async function orchestrate(): Promise<void> {
  const rounds = Number(arg("rounds", "3"));
  const seconds = Number(arg("seconds", "5"));
  const keys = Number(arg("keys", "1000000"));
  const out = arg("out", "");
  const self = fileURLToPath(import.meta.url);
  const results: RunResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const v of VARIANTS) {
      const json = execFileSync(process.execPath, [self, "--variant", v, "--keys", String(keys), "--seconds", String(seconds)], { encoding: "utf8", maxBuffer: 1 << 24 });
      const r = JSON.parse(json) as RunResult;
      results.push(r);
      process.stderr.write(`round ${round + 1} ${v}: ${fmt(r.opsPerSec)} ops/s, RSS ${fmt(r.rssMb)} MiB\n`);
    }
  }
  const text = report(results, rounds, seconds, keys, `node dist/bench/shared-cache.js ${process.argv.slice(2).join(" ")}`.trim());
  if (out) {
    writeFileSync(out, text);
    writeFileSync(out.replace(/\.md$/, ".json"), JSON.stringify(results, null, 1));
  }
  process.stdout.write(text);
}

if (!isMainThread) {
  await worker(workerData as Start);
} else if (process.argv.includes("--variant")) {
  const r = await runVariant(arg("variant", "") as Variant, Number(arg("keys", "1000000")), Number(arg("seconds", "5")));
  process.stdout.write(JSON.stringify(r));
} else {
  await orchestrate();
}
