// The C load generator (bench/loadgen.c): compiled with gcc at the start of a run, driven with
// one argument list per run, its one-line JSON read back.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Buckets } from "./latency.js";
import { HOST, ROOT } from "./servers.js";
import { loadgenSizes, type ValueSizes } from "./value-sizes.js";

const LOADGEN_SRC = path.join(ROOT, "bench/loadgen.c");
const LOADGEN_BIN = path.join(ROOT, "bench/results/tmp/loadgen");
// loadgen bounds itself (connect 5 s, drain 2 s); this is the backstop if it hangs anyway
const LOADGEN_SLACK_MS = 15_000;
const STDERR_KEEP = 4_000;
const STDERR_LINES_SHOWN = 5;

export type LoadMode = "mix" | "multiget" | "preload" | "handshake";

export interface LoadSpec {
  port: number;
  mode: LoadMode;
  connections: number;
  depth: number;
  keys: number;
  values: ValueSizes;
  /** measured seconds; for preload, the time limit */
  durationS: number;
  warmupS?: number;
  setPct?: number;
  multigetKeys?: number;
  /** a latency histogram per interval of this many ms (the timeline) */
  intervalMs?: number;
  /** speak TLS (the server runs with -Z) */
  tls?: boolean;
  /** paced at this many requests per second over all connections (latency counted from each
   * request's scheduled moment); unset: as fast as the server answers */
  rate?: number;
}

export interface LoadgenInterval {
  replies: number;
  max_ns: number;
  buckets: Buckets;
}

export interface LoadgenResult {
  mode: LoadMode;
  seconds: number;
  requests: number;
  rps: number;
  keys_per_s: number;
  hits: number;
  misses: number;
  sets: number;
  stored: number;
  error_replies: number;
  bad_replies: number;
  failed_connections: number;
  unanswered: number;
  /** replies during warmup and measurement: what the server did while its CPU was measured */
  all_replies: number;
  latency_ns: { count: number; max: number; buckets: Buckets };
  timeline?: { interval_ms: number; start_unix_ms: number; intervals: LoadgenInterval[] };
}

export interface LoadgenRun {
  ok: boolean;
  result?: LoadgenResult;
  error?: string;
}

export function compileLoadgen(): void {
  fs.mkdirSync(path.dirname(LOADGEN_BIN), { recursive: true });
  const r = spawnSync("gcc", ["-O2", "-Wall", "-Wextra", "-o", LOADGEN_BIN, LOADGEN_SRC, "-lssl", "-lcrypto"], { encoding: "utf8" });
  if (r.error) throw new Error(`gcc could not be run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`compiling ${LOADGEN_SRC} failed:\n${r.stderr}`);
}

function argsFor(s: LoadSpec): string[] {
  const a = ["-H", HOST, "-p", String(s.port), "-m", s.mode, "-c", String(s.connections), "-d", String(s.depth),
    "-k", String(s.keys), "-v", loadgenSizes(s.values), "-t", String(s.durationS)];
  if (s.warmupS !== undefined) a.push("-w", String(s.warmupS));
  if (s.setPct !== undefined) a.push("-s", String(s.setPct));
  if (s.multigetKeys !== undefined) a.push("-g", String(s.multigetKeys));
  if (s.intervalMs !== undefined) a.push("-i", String(s.intervalMs));
  if (s.tls) a.push("-T");
  if (s.rate !== undefined) a.push("-r", s.rate.toFixed(1));
  return a;
}

export function runLoadgen(spec: LoadSpec): Promise<LoadgenRun> {
  const budgetMs = ((spec.warmupS ?? 0) + spec.durationS) * 1000 + LOADGEN_SLACK_MS;
  return new Promise((resolve) => {
    const child = spawn(LOADGEN_BIN, argsFor(spec), { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => { out.push(d); });
    child.stderr.on("data", (d: Buffer) => { err = (err + d).slice(-STDERR_KEEP); });
    const timer = setTimeout(() => child.kill("SIGKILL"), budgetMs);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      resolve(outcome(Buffer.concat(out).toString(), err, code, sig));
    });
  });
}

function outcome(out: string, err: string, code: number | null, sig: string | null): LoadgenRun {
  const line = out.trim().split("\n").pop() ?? "";
  let result: LoadgenResult | undefined;
  try { result = line ? JSON.parse(line) as LoadgenResult : undefined; } catch { /* reported below */ }
  const errText = err.trim().split("\n").slice(-STDERR_LINES_SHOWN).join("; ");
  if (code === 0 && result) return { ok: true, result };
  const why = sig ? `killed by ${sig}` : code === 2 ? "server misbehaved" : `exit code ${code}`;
  return { ok: false, result, error: `load generator: ${why}${errText ? `: ${errText}` : ""}` };
}
