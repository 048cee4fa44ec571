// The targets the suite reports on, each met, missed or not judged. They are findings, never
// assertions: the suite's exit status does not depend on them. A quick run is never judged,
// because its sizes are far below the ones the targets are set at.
import type { EngineRun, EngineSection, PhaseName } from "./engine.js";
import type { MemorySection } from "./memory.js";
import { cpuUsPerRequest, paired, type RoundResult, type ServerSection, type WorkloadResult } from "./server.js";
import type { TimelineSection } from "./timeline.js";
import { NODE_FLOOR, WASMCACHED, isMemcached } from "./servers.js";
import { PAUSE_BOUND_MS } from "./latency.js";
import { fmtCount, fmtMs, mb, MB, median } from "./format.js";

export interface Goal {
  name: string;
  goal: string;
  measured: string;
  /** null: not judged (quick run, or a side that did not run) */
  met: boolean | null;
  note?: string;
}

/** the item count the in-process targets are set at */
export const GOAL_ITEMS = 5_000_000;
const MIN_SPEEDUP = 3;
const GOAL_CACHE_BYTES = 3.5 * 1024 * MB;
const MAX_RSS_RATIO = 0.9;

export interface Sections {
  quick: boolean;
  engine: EngineSection | null;
  server: ServerSection | null;
  timeline: TimelineSection | null;
  memory: MemorySection | null;
}

export function evaluateGoals(s: Sections): Goal[] {
  const goals = [speedupGoal(s.engine), gcGoal(s.timeline), ...rssGoals(s.memory), ...serverGoals(s.server),
    ...hostGoals(s.server)];
  return s.quick ? goals.map((g) => ({ ...g, met: null, note: "quick run: not judged" })) : goals;
}

function fixedRun(e: EngineSection, engine: EngineRun["engine"], items: number): EngineRun | undefined {
  return e.runs.find((r) => r.engine === engine && r.values === "fixed" && r.items === items);
}

function speedupGoal(e: EngineSection | null): Goal {
  const g = {
    name: "WASM engine vs its JS twin, in process",
    goal: `≥ ${MIN_SPEEDUP}× the JS twin's ops/s at ${fmtCount(GOAL_ITEMS)} items, in every phase`,
  };
  const wasm = e && fixedRun(e, "wasm", GOAL_ITEMS);
  const js = e && fixedRun(e, "js", GOAL_ITEMS);
  if (!wasm || !js) return { ...g, measured: `no run at ${fmtCount(GOAL_ITEMS)} items`, met: null };
  if (wasm.status !== "ok") return { ...g, measured: `the WASM engine: ${wasm.status} (${wasm.error})`, met: false };
  if (js.status !== "ok") return { ...g, measured: `the JS twin did not finish: ${js.status} (${js.error})`, met: true };
  const rate = (r: EngineRun, p: PhaseName) => r.phases.find((x) => x.name === p)?.opsPerSec ?? NaN;
  const ratios = wasm.phases.map((p) => ({ name: p.name, ratio: p.opsPerSec / rate(js, p.name) }));
  return {
    ...g, measured: ratios.map((r) => `${r.name} ${r.ratio.toFixed(2)}×`).join(", "),
    met: ratios.every((r) => r.ratio >= MIN_SPEEDUP),
  };
}

function gcGoal(t: TimelineSection | null): Goal {
  const g = { name: "GC pauses of the WASM server with a full cache", goal: `max GC pause ≤ ${PAUSE_BOUND_MS} ms with the cache at 3.5 GB` };
  const x = t?.targets.find((y) => y.name === WASMCACHED);
  if (!x || x.status !== "ok" || !x.gc || !x.cache) {
    return { ...g, measured: x ? `${x.status}: ${x.error ?? "no GC record"}` : "not run", met: null };
  }
  const measured = `${fmtMs(x.gc.run.maxMs)} max, p99 ${fmtMs(x.gc.run.p99Ms)}, over ${x.gc.run.count} pauses during the run ` +
    `(${fmtMs(x.gc.fill.maxMs)} max during the fill); cache ${mb(x.cache.bytes)} MB of items, RSS ${mb(x.rss?.full)} MB`;
  if (x.cache.limitMaxbytes < GOAL_CACHE_BYTES) {
    return { ...g, measured, met: null, note: `the cache limit was ${mb(x.cache.limitMaxbytes)} MB` };
  }
  return { ...g, measured, met: x.gc.run.maxMs <= PAUSE_BOUND_MS };
}

function rssGoals(m: MemorySection | null): Goal[] {
  if (!m) return [];
  return m.config.datasets.map((d) => {
    const g = { name: `RSS per item, ${fmtCount(d.items)} items of ${d.values === "fixed" ? "100 B" : "mixed-size"} values`,
      goal: `wasmcached ≤ ${MAX_RSS_RATIO}× memcached's` };
    const find = (pred: (t: string) => boolean) => m.runs.find((r) => pred(r.target) && r.values === d.values && r.items === d.items);
    const w = find((t) => t === WASMCACHED);
    const mc = find(isMemcached);
    if (!w?.rssPerItem || !mc?.rssPerItem) return { ...g, measured: "a side did not run", met: null };
    const ratio = w.rssPerItem / mc.rssPerItem;
    return { ...g, measured: `${w.rssPerItem} B vs ${mc.rssPerItem} B: ${ratio.toFixed(2)}×`, met: ratio <= MAX_RSS_RATIO };
  });
}

// Issue 3's throughput ratios, from the same run: they cost nothing extra to report. They are
// set for plain TCP, so a --tls run has none.
function serverGoals(s: ServerSection | null): Goal[] {
  if (!s || !isMemcached(s.baseline) || s.config.tls) return [];
  return s.workloads.filter((w) => w.minRatio > 0).map((w) => {
    const c = w.vsBaseline[`${WASMCACHED}/${s.baseline}`];
    const g = { name: `wasmcached / memcached -t 1, ${w.name}`, goal: `≥ ${w.minRatio}× memcached's req/s` };
    if (!c) return { ...g, measured: "a side did not run", met: null };
    const rounds = c.roundRatios.map((r) => r.toFixed(2)).join(", ");
    return { ...g, measured: `${c.ratio.toFixed(2)}× (rounds ${rounds})`, met: c.ratio >= w.minRatio };
  });
}

// Issue 17's targets for the Node host, set with 100k keys: server CPU per request against the
// do-nothing Node server, throughput against memcached -t 1, and latency at half of memcached's
// depth-1 throughput (the paced workload). Each is judged when its sides ran in this run.
export const HOST_GOAL_KEYS = 100_000;
const FLOOR_CPU_MAX = 1.1;
// "Steady from round to round": no round's ratio more than this above the median's limit.
const FLOOR_CPU_ROUND_MAX = 1.25;
const FLOOR_RPS_MIN = 0.9;
const HOST_RATIO_MIN: Record<string, number> = { multiget10: 1.2, pipeline16: 5.0 };
const PACED_LATENCY_MAX = 1.3;
const BUN = "wasmcached-bun";
const BUN_DEPTH1_MIN = 1.0;

function hostGoals(s: ServerSection | null): Goal[] {
  if (!s || s.config.tls || s.config.keys < HOST_GOAL_KEYS) return [];
  const w = (name: string) => s.workloads.find((x) => x.name === name);
  const goals: Goal[] = [];
  const depth1 = w("depth1");
  if (depth1 && depth1.rounds[NODE_FLOOR]) goals.push(...floorGoals(depth1));
  if (!isMemcached(s.baseline)) return goals;
  for (const [name, min] of Object.entries(HOST_RATIO_MIN)) {
    const x = w(name);
    if (x) goals.push(ratioGoal(x, WASMCACHED, s.baseline, min));
  }
  const paced = w("paced");
  if (paced) goals.push(...pacedGoals(paced, s.baseline));
  if (depth1 && depth1.rounds[BUN]) goals.push(ratioGoal(depth1, BUN, s.baseline, BUN_DEPTH1_MIN));
  return goals;
}

const cpuUs = (r: RoundResult) => cpuUsPerRequest(r.reqPerCpuS);
const listed = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
// One side's median over the rounds it completed, for the "a vs b" figures.
const medianOf = (rs: RoundResult[], f: (r: RoundResult) => number) => median(rs.filter((r) => r.ok).map(f)).toFixed(1);

function floorGoals(w: WorkloadResult): Goal[] {
  const wc = w.rounds[WASMCACHED] ?? [];
  const floor = w.rounds[NODE_FLOOR] ?? [];
  const cpu = paired(wc, floor, cpuUs);
  const rps = paired(wc, floor, (r) => r.rps);
  const cpuGoal = {
    name: "server CPU per request at depth 1, wasmcached / do-nothing Node server",
    goal: `median ≤ ${FLOOR_CPU_MAX}×, every round ≤ ${FLOOR_CPU_ROUND_MAX}×`,
  };
  const rpsGoal = { name: "depth-1 req/s, wasmcached / do-nothing Node server", goal: `≥ ${FLOOR_RPS_MIN}×` };
  const none = { measured: "a side did not run", met: null };
  if (cpu.length === 0) return [{ ...cpuGoal, ...none }, { ...rpsGoal, ...none }];
  return [
    { ...cpuGoal, measured: `${median(cpu).toFixed(2)}× (rounds ${listed(cpu)}; ${medianOf(wc, cpuUs)} vs ${medianOf(floor, cpuUs)} µs per request)`,
      met: median(cpu) <= FLOOR_CPU_MAX && Math.max(...cpu) <= FLOOR_CPU_ROUND_MAX },
    { ...rpsGoal, measured: `${median(rps).toFixed(2)}× (rounds ${listed(rps)})`, met: median(rps) >= FLOOR_RPS_MIN },
  ];
}

function ratioGoal(w: WorkloadResult, target: string, baseline: string, min: number): Goal {
  const g = { name: `${target} / ${baseline}, ${w.name}, ${HOST_GOAL_KEYS / 1000}k keys`, goal: `≥ ${min}× ${baseline}'s req/s` };
  const c = w.vsBaseline[`${target}/${baseline}`];
  if (!c) return { ...g, measured: "a side did not run", met: null };
  return { ...g, measured: `${c.ratio.toFixed(2)}× (rounds ${listed(c.roundRatios)})`, met: c.ratio >= min };
}

// Per round, as every comparison here: a round in which the machine slowed one server enough to
// saturate it at this rate would otherwise decide the merged percentiles alone.
function pacedGoals(w: WorkloadResult, baseline: string): Goal[] {
  const a = w.rounds[WASMCACHED] ?? [];
  const b = w.rounds[baseline] ?? [];
  const at = w.rate ? ` at ${fmtCount(Math.round(w.rate))} req/s` : "";
  return (["p50", "p99"] as const).map((p) => {
    const g = { name: `${p} latency${at} (half of ${baseline}'s depth-1 req/s), wasmcached / ${baseline}`,
      goal: `≤ ${PACED_LATENCY_MAX}×, median of rounds` };
    const ratios = paired(a, b, (r) => r.latencyUs?.[p]);
    if (ratios.length === 0) return { ...g, measured: "a side did not run", met: null };
    const latency = (r: RoundResult) => r.latencyUs![p];
    return { ...g, measured: `${median(ratios).toFixed(2)}× (rounds ${listed(ratios)}; median ${medianOf(a, latency)} vs ${medianOf(b, latency)} µs)`,
      met: median(ratios) <= PACED_LATENCY_MAX };
  });
}
