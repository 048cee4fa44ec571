// The report's charts, built from the results: what a reader should see at a glance.
import type { EngineRun, EngineSection, PhaseName } from "./engine.js";
import type { MemorySection } from "./memory.js";
import type { ServerSection } from "./server.js";
import type { TimelineSection, TimelineTarget } from "./timeline.js";
import { barChart, plot, type BarSeries, type PlotSeries } from "./svg.js";
import { fmtCount, fmtRate, MB } from "./format.js";

const COLORS: Record<string, string> = {
  wasm: "#1f77b4", wasmcached: "#1f77b4",
  js: "#ff7f0e", "wasmcached-js": "#ff7f0e",
  "lru-cache": "#2ca02c",
  memcached: "#7f7f7f",
  "wasmcached-deno": "#9467bd", "wasmcached-bun": "#8c564b",
};
const FALLBACK = ["#17becf", "#bcbd22", "#e377c2", "#d62728"];
const GC_COLOR = "#d62728";
const P50_COLOR = "#2ca02c";
const P99_COLOR = "#1f77b4";
const MAX_COLOR = "#aaaaaa";
const US_PER_MS = 1000;

function color(name: string, i: number): string {
  return COLORS[name] ?? FALLBACK[i % FALLBACK.length];
}

const fmtBytes = (v: number) => `${v >= 1000 ? (v / 1000).toFixed(1) + " k" : v.toFixed(0)}`;
const fmtMb = (v: number) => `${v.toFixed(0)}`;
const fmtUsAxis = (v: number) => (v >= 1e6 ? `${v / 1e6} s` : v >= 1e3 ? `${v / 1e3} ms` : `${v} µs`);
const fmtMsAxis = (v: number) => (v >= 1000 ? `${v / 1000} s` : `${v} ms`);
const fmtSeconds = (v: number) => `${v} s`;
// a log axis of counts starts a decade below 1: that tick is left unlabelled
const fmtCountAxis = (v: number) => (v < 1 ? "" : v.toFixed(0));

// ── engine ─────────────────────────────────────────────────────────────────────────

interface RunGroup { label: string; values: EngineRun["values"]; items: number }

function groups(e: EngineSection): RunGroup[] {
  return [
    ...e.config.sizes.map((n) => ({ label: fmtCount(n), values: "fixed" as const, items: n })),
    { label: `${fmtCount(e.config.mixedItems)} mixed`, values: "mixed" as const, items: e.config.mixedItems },
  ];
}

function find(e: EngineSection, engine: string, g: { values: string; items: number }): EngineRun | undefined {
  return e.runs.find((r) => r.engine === engine && r.values === g.values && r.items === g.items);
}

// A run that did not finish still shows the phases it completed; the rest say why not.
function engineBars(e: EngineSection, gs: RunGroup[], value: (r: EngineRun) => number | undefined): BarSeries[] {
  return e.config.engines.map((engine, i) => {
    const runs = gs.map((g) => find(e, engine, g));
    return {
      name: engine, color: color(engine, i),
      values: runs.map((r) => (r ? value(r) ?? null : null)),
      missing: runs.map((r) => (r ? r.status : "not run")),
    };
  });
}

/** The engine's name, with the outcome when the run did not finish. */
function runName(engine: string, r: EngineRun | undefined): string {
  return !r || r.status === "ok" ? engine : `${engine} (${r.status})`;
}

const PHASE_TITLES: Record<PhaseName, string> = {
  fill: "sets/s while filling", get: "gets/s (random keys)", overwrite: "overwrites/s (random keys)",
};

export function engineThroughput(e: EngineSection, phase: PhaseName): string {
  const gs = groups(e);
  return barChart({
    id: `engine-throughput-${phase}`, title: `Engines in process: ${PHASE_TITLES[phase]}`, yLabel: "ops/s",
    categories: gs.map((g) => g.label), format: fmtRate,
    series: engineBars(e, gs, (r) => r.phases.find((p) => p.name === phase)?.opsPerSec),
  });
}

function memoryPlot(e: EngineSection, id: string, title: string, yLabel: string, value: (r: EngineRun) => number): string {
  const series: PlotSeries[] = e.config.engines.map((engine, i) => ({
    name: engine, color: color(engine, i), style: "line",
    points: e.config.sizes.flatMap((n) => {
      const r = find(e, engine, { values: "fixed", items: n });
      return r?.status === "ok" && r.memory ? [[n / 1e6, value(r)] as [number, number]] : [];
    }),
  }));
  return plot({ id, title, xLabel: "items stored (millions), 100 B values", yLabel, series, xFormat: (v) => `${v}M`, yFormat: fmtMb });
}

export function engineRss(e: EngineSection): string {
  return memoryPlot(e, "engine-rss", "Engines in process: RSS after the run vs items", "RSS MB", (r) => r.memory!.after.rss / MB);
}

export function engineHeap(e: EngineSection): string {
  return memoryPlot(e, "engine-heap", "Engines in process: V8 heap after a full GC vs items", "V8 heap MB",
    (r) => r.memory!.after.heapUsed / MB);
}

export function engineBytesPerItem(e: EngineSection): string {
  const gs = groups(e);
  return barChart({
    id: "engine-bytes-per-item", title: "Engines in process: RSS growth per stored item", yLabel: "bytes per item",
    categories: gs.map((g) => g.label), format: fmtBytes, series: engineBars(e, gs, (r) => r.memory?.rssPerItem),
  });
}

// Pause durations in ms: the upper bounds of the histogram's bars.
const PAUSE_BUCKETS = [0.5, 1, 2, 5, 10, 20, 50, 100, 500, Infinity];

function bucketLabel(i: number): string {
  const hi = PAUSE_BUCKETS[i];
  const lo = i === 0 ? 0 : PAUSE_BUCKETS[i - 1];
  return hi === Infinity ? `> ${lo} ms` : `${lo}–${hi} ms`;
}

export function engineGcHistogram(e: EngineSection, items: number): string {
  const series: BarSeries[] = e.config.engines.map((engine, i) => {
    const r = find(e, engine, { values: "fixed", items });
    const counts = PAUSE_BUCKETS.map(() => 0);
    for (const [, ms] of r?.gcPauses ?? []) counts[PAUSE_BUCKETS.findIndex((hi) => ms <= hi)]++;
    const ran = !!r?.phases.length;
    return {
      name: runName(engine, r), color: color(engine, i), values: counts.map((c) => (ran ? c : null)),
      missing: counts.map((_, j) => (j === 0 ? r?.status ?? "not run" : "")),
    };
  });
  return barChart({
    id: `engine-gc-histogram-${fmtCount(items)}`, title: `GC pauses by duration, ${fmtCount(items)} items (fill, gets, overwrites)`,
    yLabel: "pauses", categories: PAUSE_BUCKETS.map((_, i) => bucketLabel(i)), format: fmtCountAxis, logY: true, series,
  });
}

export function engineGcTimeline(e: EngineSection, items: number): string {
  const series: PlotSeries[] = e.config.engines.map((engine, i) => {
    const r = find(e, engine, { values: "fixed", items });
    return { name: runName(engine, r), color: color(engine, i), style: "dots",
      points: (r?.gcPauses ?? []).map(([t, ms]) => [t / 1000, ms] as [number, number]) };
  });
  return plot({
    id: "engine-gc-timeline", title: `GC pauses over the run, ${fmtCount(items)} items`, xLabel: "seconds since the fill began",
    yLabel: "pause", series, logY: true, xFormat: fmtSeconds, yFormat: fmtMsAxis,
  });
}

// ── server ─────────────────────────────────────────────────────────────────────────

export function serverThroughput(s: ServerSection): string {
  return barChart({
    id: "server-throughput", title: `Servers over ${s.config.tls ? "TLS" : "TCP"}: throughput`, yLabel: "requests/s",
    categories: s.workloads.map((w) => w.name), format: fmtRate,
    series: s.targets.map((t, i) => ({
      name: t.name, color: color(t.name, i),
      values: s.workloads.map((w) => w.summary[t.name]?.rps ?? null),
      missing: s.workloads.map(() => t.status),
    })),
  });
}

const PERCENTILES = [["p50", "p50"], ["p99", "p99"], ["p99.9", "p999"], ["max", "max"]] as const;

export function serverLatency(s: ServerSection, workload: string): string {
  const w = s.workloads.find((x) => x.name === workload)!;
  return barChart({
    id: `server-latency-${workload}`, title: `Latency, ${w.label}`, yLabel: "latency", logY: true,
    categories: PERCENTILES.map(([label]) => label), format: fmtUsAxis,
    series: s.targets.map((t, i) => ({
      name: t.name, color: color(t.name, i),
      values: PERCENTILES.map(([, key]) => w.summary[t.name]?.latencyUs[key] ?? null),
      missing: PERCENTILES.map(() => t.status),
    })),
  });
}

export function timeline(x: TimelineTarget, section: TimelineSection): string {
  const col = (k: 2 | 3 | 4) => x.points.map((p) => [p[0], p[k]] as [number, number]);
  const series: PlotSeries[] = [
    { name: "max per interval", color: MAX_COLOR, style: "line", points: col(4) },
    { name: "p99", color: P99_COLOR, style: "line", points: col(3) },
    { name: "p50", color: P50_COLOR, style: "line", points: col(2) },
  ];
  if (x.gcPauses) {
    series.push({ name: "server GC pause", color: GC_COLOR, style: "dots", points: x.gcPauses.map(([t, ms]) => [t, ms * US_PER_MS]) });
  }
  const spans = [];
  if (x.fill) spans.push({ from: x.fill.startS, to: x.fill.endS, label: `fill, ${section.config.fillDepth}-deep sets` });
  if (x.run) spans.push({ from: x.run.startS, to: x.run.endS, label: "90/10 get/set, depth 1" });
  return plot({
    id: `timeline-${x.name}`, title: `${x.name}: latency per ${section.config.intervalMs} ms, -m ${section.config.memoryMb}`,
    xLabel: "seconds since the fill began", yLabel: "latency", series, spans, logY: true, xFormat: fmtSeconds, yFormat: fmtUsAxis,
  });
}

// ── memory ─────────────────────────────────────────────────────────────────────────

export function memoryPerItem(m: MemorySection): string {
  const sets = m.config.datasets;
  return barChart({
    id: "memory-rss-per-item", title: "Servers: RSS growth per stored item", yLabel: "bytes per item",
    categories: sets.map((d) => `${fmtCount(d.items)} × ${d.values === "fixed" ? "100 B" : "mixed"}`), format: fmtBytes,
    series: m.config.targets.map((t, i) => {
      const runs = sets.map((d) => m.runs.find((r) => r.target === t && r.values === d.values && r.items === d.items));
      return { name: t, color: color(t, i), values: runs.map((r) => r?.rssPerItem ?? null), missing: runs.map((r) => r?.status ?? "not run") };
    }),
  });
}
