// The result tables, built once from the results and rendered both into the HTML report and
// into the markdown summary.
import type { EngineRun, EngineSection, PhaseName } from "./engine.js";
import type { Goal } from "./goals.js";
import type { MemorySection } from "./memory.js";
import { cpuUsPerRequest, type ServerSection } from "./server.js";
import type { TimelineSection } from "./timeline.js";
import { fmtCount, fmtMs, fmtRate, fmtUs, mb } from "./format.js";
import { pauseSummary } from "./latency.js";

export interface Table {
  headers: string[];
  rows: string[][];
  /** columns to right-align (numbers) */
  numeric: boolean[];
}

const DASH = "–";

export function verdict(g: Goal): string {
  return g.met === null ? "not judged" : g.met ? "met" : "missed";
}

export function goalsTable(goals: Goal[]): Table {
  return {
    headers: ["target", "goal", "measured", "result"],
    rows: goals.map((g) => [g.name, g.goal, g.measured + (g.note ? ` (${g.note})` : ""), verdict(g)]),
    numeric: [false, false, false, false],
  };
}

function rate(r: EngineRun, p: PhaseName): string {
  const x = r.phases.find((y) => y.name === p);
  return x ? fmtRate(x.opsPerSec) : DASH;
}

export function engineTable(e: EngineSection): Table {
  const rows = e.runs.map((r) => {
    const gc = pauseSummary(r.gcPauses.map(([, ms]) => ms));
    const ran = r.phases.length > 0;
    const m = r.memory;
    const notes = r.status === "ok" ? r.problems.join("; ") : `${r.status}: ${r.error ?? ""}`;
    return [fmtCount(r.items), r.values, r.engine, rate(r, "fill"), rate(r, "get"), rate(r, "overwrite"),
      m ? mb(m.after.rss) : DASH, m ? mb(m.after.heapUsed) : DASH, m ? String(m.rssPerItem) : DASH,
      m ? String(m.heapPerItem) : DASH, ran ? fmtMs(gc.maxMs) : DASH, ran ? fmtMs(gc.p99Ms) : DASH,
      ran ? fmtMs(gc.totalMs) : DASH, notes];
  });
  return {
    headers: ["items", "values", "engine", "sets/s (fill)", "gets/s", "overwrites/s", "RSS MB", "V8 heap MB",
      "RSS B/item", "heap B/item", "GC max", "GC p99", "GC total", "notes"],
    rows,
    numeric: [true, false, false, true, true, true, true, true, true, true, true, true, true, false],
  };
}

export function serverTable(s: ServerSection): Table {
  const rows: string[][] = [];
  for (const w of s.workloads) {
    for (const t of s.targets) {
      if (t.status === "ok" && !(t.name in w.rounds)) continue; // not a workload it serves
      const x = w.summary[t.name];
      if (!x) {
        rows.push([w.name, t.name, DASH, DASH, DASH, DASH, DASH, DASH, DASH, `${t.status}${t.error ? `: ${t.error}` : ""}`]);
        continue;
      }
      const c = w.vsBaseline[`${t.name}/${s.baseline}`];
      const l = x.latencyUs;
      rows.push([w.name, t.name, fmtRate(x.rps), fmtUs(l.p50), fmtUs(l.p99), fmtUs(l.p999), fmtUs(l.max),
        c ? `${c.ratio.toFixed(2)}×` : DASH, cpuUsPerRequest(x.reqPerCpuS).toFixed(1),
        `${x.roundsOk} round(s), server ${x.serverCores.toFixed(2)} cores${w.rate ? `, paced at ${fmtRate(w.rate)} req/s` : ""}`]);
    }
  }
  return {
    headers: ["workload", "target", "req/s", "p50", "p99", "p99.9", "max", `vs ${s.baseline}`, "CPU µs/req", "notes"],
    rows,
    numeric: [false, false, true, true, true, true, true, true, true, false],
  };
}

export function timelineTable(t: TimelineSection): Table {
  const rows = t.targets.map((x) => {
    if (x.status !== "ok" && !x.fill) return [x.name, DASH, DASH, DASH, DASH, DASH, DASH, DASH, `${x.status}: ${x.error ?? ""}`];
    const run = x.gc?.run;
    const gc = x.gc && run
      ? `${fmtMs(x.gc.fill.maxMs)} / ${fmtMs(run.maxMs)} (p99 ${fmtMs(run.p99Ms)}, ${run.count} pauses, ${fmtMs(run.totalMs)} total)`
      : "no GC";
    return [x.name, x.fill ? fmtRate(x.fill.setsPerS) : DASH, x.cache ? fmtCount(x.cache.items) : DASH,
      x.cache ? String(x.cache.evictions) : DASH, mb(x.rss?.full), x.run ? fmtRate(x.run.rps) : DASH,
      x.run ? `${(x.run.hitRatio * 100).toFixed(1)}%` : DASH, gc, x.status === "ok" ? "" : `${x.status}: ${x.error ?? ""}`];
  });
  return {
    headers: ["target", "fill sets/s", "items held", "evictions", "RSS MB (full)", "run req/s", "hits", "GC max fill / run", "notes"],
    rows,
    numeric: [false, true, true, true, true, true, true, false, false],
  };
}

export function memoryTable(m: MemorySection): Table {
  const rows = m.runs.map((r) => [fmtCount(r.items), r.values, r.target,
    r.storedItems !== undefined ? String(r.storedItems) : DASH, r.evictions !== undefined ? String(r.evictions) : DASH,
    mb(r.rssIdle), mb(r.rssLoaded), r.rssPerItem !== undefined ? String(r.rssPerItem) : DASH,
    r.itemBytes !== undefined && r.storedItems ? String(Math.round(r.itemBytes / r.storedItems)) : DASH,
    r.status === "ok" ? "" : `${r.status}: ${r.error ?? ""}`]);
  return {
    headers: ["items", "values", "target", "stored", "evictions", "RSS idle MB", "RSS loaded MB", "RSS B/item", "stats bytes/item", "notes"],
    rows,
    numeric: [true, false, false, true, true, true, true, true, true, false],
  };
}
