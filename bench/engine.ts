// Part 1, the engines in process: the WASM engine, its pure-JS twin and lru-cache at each item
// count, with 100-byte values and with the mixed sizes. Every (engine, size, values) runs in its
// own child process (engine-child.ts) under the same heap limit, so one run's memory never shows
// in another's figures, and a run that exhausts the V8 heap, hits the Map size limit or runs out
// of time is a recorded outcome rather than the end of the suite.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ENGINES, type EngineName } from "./engine-subjects.js";
import type { MemorySample } from "./process-memory.js";
import type { PauseSummary } from "./latency.js";
import { FIXED, MIXED, type ValueSizes } from "./value-sizes.js";
import { fmtCount, fmtMs, fmtRate, mb } from "./format.js";
import type { Progress } from "./progress.js";

export const PHASES = ["fill", "get", "overwrite"] as const;
export type PhaseName = typeof PHASES[number];

export type RunStatus = "ok" | "out of heap" | "map limit" | "timeout" | "failed";

export interface PhaseResult {
  name: PhaseName;
  ops: number;
  /** the timed part: engine calls plus the event-loop turn after each chunk */
  seconds: number;
  opsPerSec: number;
  /** gets that missed or returned the wrong length; sets the engine refused */
  misses: number;
  /** pauses over the whole phase, input generation included */
  gc: PauseSummary;
  /** at the end of the phase, before any forced GC */
  memory: MemorySample;
}

export interface RunMemory {
  /** after the warm-up and a full GC, before the engine exists */
  before: MemorySample;
  /** after the last phase and a full GC */
  after: MemorySample;
  /** (after − before) / stored items */
  rssPerItem: number;
  heapPerItem: number;
}

export interface EngineRun {
  engine: EngineName;
  values: ValueSizes["name"];
  items: number;
  status: RunStatus;
  /** why it did not finish, and how far it got */
  error?: string;
  config: Record<string, number | string>;
  phases: PhaseResult[];
  memory?: RunMemory;
  /** every pause of the measured phases: [ms since the fill began, duration ms] */
  gcPauses: Array<[number, number]>;
  storedItems?: number;
  evictions?: number;
  /** anything that makes the figures wrong: misses, evictions, a short item count */
  problems: string[];
  wallSeconds: number;
}

export interface EngineConfig {
  engines: EngineName[];
  /** item counts of the 100-byte runs */
  sizes: number[];
  /** item count of the mixed-size runs */
  mixedItems: number;
  /** gets and overwrites per run (the fill is always the item count) */
  ops: number;
  /** --max-old-space-size of every child */
  heapMb: number;
  /** a run still going after this is stopped and recorded as "timeout" */
  timeoutS: number;
  seed: number;
}

export interface EngineSection {
  config: EngineConfig;
  runs: EngineRun[];
}

// Sized for the whole suite to finish in ~10 min on 2 cores: a JS engine near its heap limit
// can collect garbage for minutes, so the timeout bounds every run.
export const ENGINE_FULL: Omit<EngineConfig, "engines" | "seed"> = {
  sizes: [1_000_000, 5_000_000, 10_000_000], mixedItems: 500_000, ops: 500_000, heapMb: 4096, timeoutS: 60,
};
export const ENGINE_QUICK: Omit<EngineConfig, "engines" | "seed"> = {
  sizes: [20_000, 50_000], mixedItems: 20_000, ops: 20_000, heapMb: 4096, timeoutS: 30,
};
export const DEFAULT_ENGINES: EngineName[] = [...ENGINES];

/** What the parent tells a child to run. */
export interface ChildTask {
  engine: EngineName;
  values: ValueSizes["name"];
  items: number;
  ops: number;
  seed: number;
}

/**
 * What a child sends back: progress while it runs, each phase as it ends (so a run that is
 * killed or dies keeps what it finished), then one result.
 */
export type ChildMessage =
  | { progress: { phase: PhaseName; done: number; total: number; opsPerSec: number } }
  | { phase: PhaseResult; pauses: EngineRun["gcPauses"] }
  | { result: EngineRun };

const CHILD = fileURLToPath(new URL("./engine-child.js", import.meta.url));
const STDERR_KEEP = 4000;
const STDERR_LINES_SHOWN = 3;

export async function runEnginePart(cfg: EngineConfig, progress: Progress): Promise<EngineSection> {
  const tasks: ChildTask[] = [];
  const add = (items: number, values: ValueSizes) => {
    for (const engine of cfg.engines) tasks.push({ engine, values: values.name, items, ops: Math.min(cfg.ops, items), seed: cfg.seed });
  };
  for (const n of cfg.sizes) add(n, FIXED);
  add(cfg.mixedItems, MIXED);
  const runs: EngineRun[] = [];
  for (const [i, task] of tasks.entries()) {
    const run = await runChild(task, cfg, progress, `engine ${i + 1}/${tasks.length}`);
    progress.line(`engine ${task.engine.padEnd(9)} ${fmtCount(task.items).padStart(4)} ${task.values.padEnd(5)}  ${describe(run)}`);
    runs.push(run);
  }
  return { config: cfg, runs };
}

function describe(r: EngineRun): string {
  if (r.status !== "ok") return `${r.status.toUpperCase()}: ${r.error ?? ""}`;
  const rates = r.phases.map((p) => `${p.name} ${fmtRate(p.opsPerSec)}/s`).join(", ");
  const gcMax = Math.max(0, ...r.phases.map((p) => p.gc.maxMs));
  const m = r.memory;
  return `${rates}; RSS ${mb(m?.after.rss)} MB (${m ? m.rssPerItem.toFixed(0) : "-"} B/item), ` +
    `heap ${mb(m?.after.heapUsed)} MB; GC max ${fmtMs(gcMax)}` +
    (r.problems.length ? `; PROBLEMS: ${r.problems.join("; ")}` : "");
}

function runChild(task: ChildTask, cfg: EngineConfig, progress: Progress, label: string): Promise<EngineRun> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const execArgv = ["--expose-gc", `--max-old-space-size=${cfg.heapMb}`];
    const child = fork(CHILD, [JSON.stringify(task)], { execArgv, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let tail = "";
    child.stderr!.on("data", (d: Buffer) => { tail = (tail + d.toString()).slice(-STDERR_KEEP); });
    let result: EngineRun | undefined;
    let last: { phase: PhaseName; done: number; total: number } | undefined;
    const finished: Pick<EngineRun, "phases" | "gcPauses"> = { phases: [], gcPauses: [] };
    const name = `${task.engine} ${fmtCount(task.items)} ${task.values}`;
    child.on("message", (m: ChildMessage) => {
      if ("result" in m) { result = m.result; return; }
      if ("phase" in m) {
        finished.phases.push(m.phase);
        finished.gcPauses.push(...m.pauses);
        return;
      }
      last = m.progress;
      const p = m.progress;
      progress.status(`${label} ${name}: ${p.phase} ${fmtCount(p.done)}/${fmtCount(p.total)} at ${fmtRate(p.opsPerSec)} ops/s`);
    });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, cfg.timeoutS * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const wallSeconds = (Date.now() - t0) / 1000;
      if (result) return resolve({ ...result, wallSeconds });
      const where = howFar(finished.phases, last);
      const [status, why] = timedOut
        ? ["timeout", `did not finish within ${cfg.timeoutS} s`] as const
        : crashReason(tail, code, signal);
      resolve({
        engine: task.engine, values: task.values, items: task.items, status, error: why + where,
        config: {}, ...finished, problems: [], wallSeconds,
      });
    });
  });
}

/** " (fill and get done; overwrite past 70k of 500k)": where a run that did not finish got to. */
function howFar(done: PhaseResult[], last: { phase: PhaseName; done: number; total: number } | undefined): string {
  const names = done.map((p) => p.name);
  const current = last && !names.includes(last.phase) ? `${last.phase} past ${fmtCount(last.done)} of ${fmtCount(last.total)}` : "";
  const parts = [names.length ? `${names.join(" and ")} done` : "", current].filter(Boolean);
  return parts.length ? ` (${parts.join("; ")})` : "";
}

// V8 aborts the process on heap exhaustion ("FATAL ERROR: ... JavaScript heap out of memory");
// its stderr carries the reason.
function crashReason(stderr: string, code: number | null, signal: string | null): [RunStatus, string] {
  const fatal = /FATAL ERROR:[^\n]*/.exec(stderr)?.[0];
  if (fatal && /heap out of memory|allocation failed/i.test(fatal)) return ["out of heap", fatal];
  const lines = stderr.trim().split("\n").filter(Boolean).slice(-STDERR_LINES_SHOWN).join(" / ");
  return ["failed", `child exited (${signal ?? `code ${code}`})${lines ? `: ${lines}` : ""}`];
}
