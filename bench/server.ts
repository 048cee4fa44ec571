// Part 2, the servers over TCP: the same load generator against every target (wasmcached on
// the WASM engine, on the JS engine, Debian's memcached -t 1; Deno and Bun on request) in one
// run, for each workload: 90/10 get/set at depth 1 and 16-deep, and 10-key multi-gets. With
// --tls every server runs with -Z and the load generator speaks TLS, and one more workload
// counts connection set-ups (full handshakes) per second. A paced workload measures latency at
// half of the baseline's depth-1 throughput in the same run, and a do-nothing Node server
// (`node-floor`) shows what node:net alone costs per request.
//
// The machine is shared and noisy, so the targets take turns within each round (which goes
// first rotates by round and workload), and each comparison is the median over rounds of the
// back-to-back ratio: a burst of load from another process then hits one round, not the
// result. Latency percentiles come from the load generator's histograms of all rounds merged.
import { runLoadgen, type LoadgenResult } from "./loadgen.js";
import { fromBuckets, newHistogram, percentiles, type Percentiles } from "./latency.js";
import {
  groupCpuSeconds, isFloor, isMemcached, knownTarget, startTarget, stopTarget, type Target, type TargetOptions,
  type TargetStatus, failTarget,
} from "./servers.js";
import { FIXED } from "./value-sizes.js";
import { makeBenchCert } from "./tls-cert.js";
import { fmtRate, fmtUs, median } from "./format.js";
import type { Progress } from "./progress.js";

export const CONNECTIONS = 32;
export const DEFAULT_KEYS = 10_000;
export const MEMORY_MB = 1024;
export const SET_PCT = 10;
const MULTIGET_KEYS = 10;
const PIPELINE_DEPTH = 16;
const PRELOAD_DEPTH = 16;
// 100k sets take a few seconds even on a starved machine
const PRELOAD_LIMIT_S = 60;
// The paced workload's rate: this share of the baseline's depth-1 throughput in the same run.
const PACED_SHARE = 0.5;
const NS_PER_US = 1000;

export interface Workload {
  name: string;
  label: string;
  mode: "mix" | "multiget" | "handshake";
  depth: number;
  /** issue 3's target for wasmcached / memcached (over plain TCP) */
  minRatio: number;
  /** only with --tls */
  tlsOnly?: boolean;
  /** paced at PACED_SHARE of the baseline's req/s in this workload (run earlier in the same run) */
  pacedAfter?: string;
}

export const WORKLOADS: Workload[] = [
  { name: "depth1", label: "90% get / 10% set, depth 1", mode: "mix", depth: 1, minRatio: 0.8 },
  { name: "pipeline16", label: `90% get / 10% set, ${PIPELINE_DEPTH}-deep pipeline`, mode: "mix", depth: PIPELINE_DEPTH, minRatio: 4.0 },
  { name: "multiget10", label: `${MULTIGET_KEYS}-key multi-get, depth 1`, mode: "multiget", depth: 1, minRatio: 1.0 },
  { name: "paced", label: `90% get / 10% set, depth 1, paced at ${PACED_SHARE} of the baseline's depth-1 req/s`, mode: "mix",
    depth: 1, minRatio: 0, pacedAfter: "depth1" },
  { name: "handshake", label: "TLS connection set-up: connect, full handshake, version, close", mode: "handshake", depth: 1,
    minRatio: 0, tlsOnly: true },
];

export interface ServerConfig {
  /** the last one is the baseline every other target is compared with */
  targets: string[];
  workloads: string[];
  rounds: number;
  warmupS: number;
  durationS: number;
  wasmcachedCmd: string;
  /** the checkout the wasmcached-base target runs */
  baseDir?: string;
  /** every target serves TLS (-Z) and the load generator speaks it */
  tls?: boolean;
  /** keys preloaded and drawn from (default DEFAULT_KEYS) */
  keys?: number;
}

// With its key count settled.
type KeyedConfig = ServerConfig & { keys: number };

export const SERVER_FULL = { rounds: 3, warmupS: 0.5, durationS: 2 };
export const SERVER_QUICK = { rounds: 1, warmupS: 0.2, durationS: 0.5 };

export interface TargetInfo {
  name: string;
  command: string;
  status: TargetStatus;
  error?: string;
}

export interface RoundResult {
  round: number;
  ok: boolean;
  error?: string;
  rps?: number;
  keysPerS?: number;
  hits?: number;
  misses?: number;
  latencyUs?: Percentiles;
  /** server CPU / wall time: well below the other rounds' means the server was starved */
  serverCores?: number;
  /** replies (warmup included) per server CPU-second: moves less with machine load */
  reqPerCpuS?: number;
  /** the load generator's latency histogram, for merging rounds */
  latencyNs?: LoadgenResult["latency_ns"];
}

export interface TargetSummary {
  rps: number;
  keysPerS: number;
  /** over every round's requests (histograms merged); max is the largest seen */
  latencyUs: Percentiles;
  hitRatio: number;
  serverCores: number;
  reqPerCpuS: number;
  roundsOk: number;
}

export interface Comparison {
  /** median over rounds of a's throughput / b's in the same round */
  ratio: number;
  roundRatios: number[];
  cpuEfficiencyRatio?: number;
}

export interface WorkloadResult {
  name: string;
  label: string;
  minRatio: number;
  /** the paced workload's rate, requests per second over all connections */
  rate?: number;
  rounds: Record<string, RoundResult[]>;
  summary: Record<string, TargetSummary | undefined>;
  /** keyed "a/baseline" */
  vsBaseline: Record<string, Comparison>;
}

export interface ServerSection {
  config: ServerConfig & { connections: number; keys: number; valueLength: number; memoryMb: number; setPct: number };
  baseline: string;
  targets: TargetInfo[];
  workloads: WorkloadResult[];
}

/** The paced workload needs the one its rate comes from, earlier in the same run. */
export function validateWorkloads(names: string[]): void {
  for (const [i, name] of names.entries()) {
    const after = WORKLOADS.find((x) => x.name === name)?.pacedAfter;
    if (after && !names.slice(0, i).includes(after)) throw new Error(`workload ${name} needs ${after} before it`);
  }
}

export function validateTargets(targets: string[]): void {
  if (targets.length < 1) throw new Error("--targets takes at least one name");
  if (new Set(targets).size !== targets.length) throw new Error("--targets names must differ");
  for (const t of targets) if (!knownTarget(t)) throw new Error(`unknown target ${t}`);
}

export function targetInfo(t: Target): TargetInfo {
  return { name: t.name, command: t.command.join(" "), status: t.status, error: t.error };
}

/** Stores every key the load will ask for; the load generator's error, if it failed. */
export async function preload(t: Target, keys: number, tls?: boolean): Promise<string | undefined> {
  const p = await runLoadgen({ port: t.port, mode: "preload", connections: CONNECTIONS, depth: PRELOAD_DEPTH,
    keys, values: FIXED, durationS: PRELOAD_LIMIT_S, tls });
  return p.ok ? undefined : p.error ?? "failed";
}

async function startAll(cfg: KeyedConfig, progress: Progress, extraArgs: string[]): Promise<Target[]> {
  const opts: TargetOptions = { memoryMb: MEMORY_MB, wasmcachedCmd: cfg.wasmcachedCmd, baseDir: cfg.baseDir, extraArgs };
  const targets: Target[] = [];
  const keys = cfg.keys;
  for (const name of cfg.targets) {
    const t = await startTarget(name, opts);
    if (t.status === "ok") {
      const error = await preload(t, keys, cfg.tls);
      if (error) failTarget(t, `preload of ${keys} keys failed: ${error}`);
    }
    progress.line(t.status === "ok" ? `server ${name}: ${t.command.join(" ")} (port ${t.port}, ${keys} keys preloaded)`
      : `server ${name}: ${t.status.toUpperCase()}: ${t.error}`);
    if (t.status !== "ok") await stopTarget(t);
    targets.push(t);
  }
  return targets;
}

async function measure(t: Target, w: Workload, cfg: KeyedConfig, round: number, rate?: number): Promise<RoundResult> {
  const cpu0 = groupCpuSeconds(t.child?.pid);
  const wall0 = Date.now();
  const r = await runLoadgen({
    port: t.port, mode: w.mode, connections: CONNECTIONS, depth: w.depth, keys: cfg.keys, values: FIXED,
    durationS: cfg.durationS, warmupS: cfg.warmupS, setPct: w.mode === "mix" ? SET_PCT : undefined,
    multigetKeys: w.mode === "multiget" ? MULTIGET_KEYS : undefined, tls: cfg.tls, rate,
  });
  const cpu = groupCpuSeconds(t.child?.pid) - cpu0;
  const wall = (Date.now() - wall0) / 1000;
  if (t.exited) {
    failTarget(t, `server ${t.exited}`);
    return { round, ok: false, error: t.error };
  }
  const x = r.result;
  if (!r.ok || !x) return { round, ok: false, error: r.error };
  return {
    round, ok: true, rps: x.rps, keysPerS: x.keys_per_s, hits: x.hits, misses: x.misses,
    latencyUs: percentiles(fromBuckets(x.latency_ns.buckets), NS_PER_US, x.latency_ns.max),
    serverCores: cpu / wall, reqPerCpuS: cpu > 0 ? x.all_replies / cpu : undefined, latencyNs: x.latency_ns,
  };
}

/** Each target goes first as often: the order rotates by round and by workload. */
function orderFor<T>(targets: T[], workloadIdx: number, round: number): T[] {
  const k = (workloadIdx + round) % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

function summarize(rounds: RoundResult[]): TargetSummary | undefined {
  const ok = rounds.filter((r) => r.ok);
  if (ok.length === 0) return undefined;
  const h = newHistogram();
  for (const r of ok) fromBuckets(r.latencyNs!.buckets, h);
  const hits = ok.reduce((s, r) => s + r.hits!, 0);
  const misses = ok.reduce((s, r) => s + r.misses!, 0);
  return {
    rps: median(ok.map((r) => r.rps!)),
    keysPerS: median(ok.map((r) => r.keysPerS!)),
    latencyUs: percentiles(h, NS_PER_US, Math.max(...ok.map((r) => r.latencyNs!.max))),
    hitRatio: hits + misses > 0 ? hits / (hits + misses) : NaN,
    serverCores: median(ok.map((r) => r.serverCores!)),
    reqPerCpuS: median(ok.map((r) => r.reqPerCpuS ?? NaN)),
    roundsOk: ok.length,
  };
}

/** Per round, a's f over b's f (the rounds where both ran). */
export function paired(as: RoundResult[], bs: RoundResult[], f: (r: RoundResult) => number | undefined): number[] {
  const out: number[] = [];
  for (const a of as) {
    const b = bs.find((x) => x.round === a.round);
    const x = a.ok ? f(a) : undefined;
    const y = b?.ok ? f(b) : undefined;
    if (x !== undefined && y !== undefined && Number.isFinite(x / y)) out.push(x / y);
  }
  return out;
}

function compare(a: RoundResult[], b: RoundResult[]): Comparison | undefined {
  const roundRatios = paired(a, b, (r) => r.rps);
  if (roundRatios.length === 0) return undefined;
  const efficiency = paired(a, b, (r) => r.reqPerCpuS);
  return { ratio: median(roundRatios), roundRatios, cpuEfficiencyRatio: efficiency.length ? median(efficiency) : undefined };
}

async function runWorkload(w: Workload, idx: number, targets: Target[], baseline: string, cfg: KeyedConfig,
                           progress: Progress, rate?: number): Promise<WorkloadResult> {
  const live = targets.filter((t) => servesWorkload(t.name, w));
  const rounds: Record<string, RoundResult[]> = Object.fromEntries(live.map((t) => [t.name, []]));
  for (let round = 0; round < cfg.rounds; round++) {
    for (const t of orderFor(live, idx, round)) {
      if (t.status !== "ok") continue;
      progress.status(`server ${w.name} round ${round + 1}/${cfg.rounds}: ${t.name}`);
      const r = await measure(t, w, cfg, round, rate);
      rounds[t.name].push(r);
      progress.line(`server ${w.name.padEnd(10)} round ${round + 1} ${t.name.padEnd(15)} ` + (r.ok
        ? `${fmtRate(r.rps!)} req/s  p50 ${fmtUs(r.latencyUs!.p50)}  p99 ${fmtUs(r.latencyUs!.p99)}  server ${r.serverCores!.toFixed(2)} cores` +
          `  ${cpuUsPerRequest(r.reqPerCpuS).toFixed(1)} µs CPU/req`
        : `FAILED: ${r.error}`));
    }
  }
  const summary = Object.fromEntries(live.map((t) => [t.name, summarize(rounds[t.name])]));
  const vsBaseline: Record<string, Comparison> = {};
  for (const t of live) {
    if (t.name === baseline || !rounds[baseline]) continue;
    const c = compare(rounds[t.name], rounds[baseline]);
    if (c) vsBaseline[`${t.name}/${baseline}`] = c;
  }
  return { name: w.name, label: w.label, minRatio: w.minRatio, rate, rounds, summary, vsBaseline };
}

/** Server CPU per reply, in µs (from replies per CPU-second). */
export function cpuUsPerRequest(reqPerCpuS: number | undefined): number {
  return reqPerCpuS ? 1e6 / reqPerCpuS : NaN;
}

// The do-nothing servers answer single-key requests: one at a time, pipelined or paced.
function servesWorkload(target: string, w: Workload): boolean {
  return !isFloor(target) || w.mode === "mix";
}

// The paced workload's rate: PACED_SHARE of the baseline's median in the workload it follows.
function pacedRate(w: Workload, done: WorkloadResult[], baseline: string): number | undefined {
  const from = done.find((x) => x.name === w.pacedAfter)?.summary[baseline];
  return from ? from.rps * PACED_SHARE : undefined;
}

export async function runServerPart(given: ServerConfig, progress: Progress): Promise<ServerSection> {
  const cfg: KeyedConfig = { ...given, keys: given.keys ?? DEFAULT_KEYS };
  const baseline = cfg.targets[cfg.targets.length - 1];
  const cert = cfg.tls ? makeBenchCert() : undefined;
  const all = await startAll(cfg, progress, cert?.serverArgs ?? []);
  try {
    const live = all.filter((t) => t.status === "ok");
    const workloads: WorkloadResult[] = [];
    for (const [i, name] of cfg.workloads.entries()) {
      const w = WORKLOADS.find((x) => x.name === name)!;
      const rate = w.pacedAfter ? pacedRate(w, workloads, baseline) : undefined;
      if (w.pacedAfter && rate === undefined) {
        progress.line(`server ${w.name}: skipped, ${baseline} has no ${w.pacedAfter} result to pace by`);
        continue;
      }
      workloads.push(await runWorkload(w, i, live, baseline, cfg, progress, rate));
    }
    return {
      config: { ...cfg, connections: CONNECTIONS, valueLength: FIXED.min, memoryMb: MEMORY_MB, setPct: SET_PCT },
      baseline, targets: all.map(targetInfo), workloads,
    };
  } finally {
    await Promise.all(all.map(stopTarget));
    cert?.remove();
  }
}

/** A memcached that failed means the harness or the machine is broken. */
export function baselineBroken(s: ServerSection): boolean {
  return s.targets.some((t) => isMemcached(t.name) && t.status !== "ok") ||
    s.workloads.some((w) => Object.entries(w.rounds).some(([name, rs]) => isMemcached(name) && rs.some((r) => !r.ok)));
}
