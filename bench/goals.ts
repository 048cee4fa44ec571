// The targets the suite reports on, each met, missed or not judged. They are findings, never
// assertions: the suite's exit status does not depend on them. A quick run is never judged,
// because its sizes are far below the ones the targets are set at.
import type { EngineRun, EngineSection, PhaseName } from "./engine.js";
import type { MemorySection } from "./memory.js";
import type { ServerSection } from "./server.js";
import type { TimelineSection } from "./timeline.js";
import { WASMCACHED, isMemcached } from "./servers.js";
import { PAUSE_BOUND_MS } from "./latency.js";
import { fmtCount, fmtMs, mb, MB } from "./format.js";

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
  const goals = [speedupGoal(s.engine), gcGoal(s.timeline), ...rssGoals(s.memory), ...serverGoals(s.server)];
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
  return s.workloads.map((w) => {
    const c = w.vsBaseline[`${WASMCACHED}/${s.baseline}`];
    const g = { name: `wasmcached / memcached -t 1, ${w.name}`, goal: `≥ ${w.minRatio}× memcached's req/s` };
    if (!c) return { ...g, measured: "a side did not run", met: null };
    const rounds = c.roundRatios.map((r) => r.toFixed(2)).join(", ");
    return { ...g, measured: `${c.ratio.toFixed(2)}× (rounds ${rounds})`, met: c.ratio >= w.minRatio };
  });
}
