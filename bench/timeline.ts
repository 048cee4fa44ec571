// Part 2, the latency timeline: each target alone, filled until its cache is full at several GB,
// then under 90/10 get/set load, with latency percentiles per interval of both the fill and the
// run. The Node servers carry a GC probe (gc-probe.ts), so their GC pauses can be set on the
// same time axis: where the JS engine's collector stops the world, its latency spikes with it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runLoadgen, type LoadgenResult, type LoadSpec } from "./loadgen.js";
import { fromBuckets, pauseSummary, percentiles, type PauseSummary } from "./latency.js";
import {
  rssBytes, runsOnNode, serverStats, startTarget, stopTarget, failTarget, type Target,
} from "./servers.js";
import { targetInfo, type TargetInfo } from "./server.js";
import type { ValueSizes } from "./value-sizes.js";
import { KEY_LEN } from "./keys.js";
import { fmtMs, fmtRate, mb, MB } from "./format.js";
import type { Progress } from "./progress.js";

const CONNECTIONS = 32;
const FILL_DEPTH = 16;
const RUN_DEPTH = 1;
const SET_PCT = 10;
// a fill slower than this is a failure in itself; the limit keeps the suite bounded
const MIN_FILL_RATE = 20_000;
const FILL_LIMIT_SLACK_S = 30;
const NS_PER_US = 1000;
const MS_PER_S = 1000;

export interface TimelineConfig {
  targets: string[];
  /** every target's -m */
  memoryMb: number;
  valueLength: number;
  /** keys set by the fill: enough values to fill -m */
  items: number;
  runS: number;
  intervalMs: number;
  wasmcachedCmd: string;
}

// 2 KiB values: 1.8M of them fill 3.5 GiB within seconds over loopback, and 1.8M live entries
// give a JS engine's collector real work. The fill sets as many bytes of values as -m allows,
// so with item headers on top the cache ends full and evicting.
const VALUE_LEN = 2048;
const FULL_MB = 3584;
export const TIMELINE_FULL = {
  memoryMb: FULL_MB, valueLength: VALUE_LEN, items: Math.ceil((FULL_MB * MB) / (VALUE_LEN + KEY_LEN)), runS: 8, intervalMs: 100,
};
export const TIMELINE_QUICK = { memoryMb: 64, valueLength: VALUE_LEN, items: 20_000, runS: 1.5, intervalMs: 50 };

/** [seconds since the fill began, replies/s, p50 µs, p99 µs, max µs] */
export type TimelinePoint = [number, number, number, number, number];

export interface TimelineTarget extends TargetInfo {
  /** [start, end] in seconds since the fill began */
  fill?: { startS: number; endS: number; setsPerS: number };
  run?: { startS: number; endS: number; rps: number; hitRatio: number };
  points: TimelinePoint[];
  /** Node servers only: [seconds since the fill began, pause ms] */
  gcPauses: Array<[number, number]> | null;
  gc: { fill: PauseSummary; run: PauseSummary } | null;
  /** after the fill, and after the run */
  rss?: { full: number; end: number };
  /** the server's own `stats` after the fill */
  cache?: { bytes: number; items: number; evictions: number; limitMaxbytes: number };
}

export interface TimelineSection {
  config: TimelineConfig & { connections: number; fillDepth: number; runDepth: number; setPct: number };
  targets: TimelineTarget[];
}

function points(r: LoadgenResult, offsetS: number): TimelinePoint[] {
  const tl = r.timeline!;
  const perS = MS_PER_S / tl.interval_ms;
  return tl.intervals.map((iv, i) => {
    const p = percentiles(fromBuckets(iv.buckets), NS_PER_US, iv.max_ns);
    return [round3(offsetS + (i * tl.interval_ms) / MS_PER_S), Math.round(iv.replies * perS), p.p50, p.p99, p.max];
  });
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function readGcLog(file: string, t0UnixMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const [at, ms] = line.split(" ").map(Number);
    if (Number.isFinite(ms) && at >= t0UnixMs) out.push([round3((at - t0UnixMs) / MS_PER_S), ms]);
  }
  return out;
}

function within(pauses: Array<[number, number]>, from: number, to: number): number[] {
  return pauses.filter(([t]) => t >= from && t <= to).map(([, ms]) => ms);
}

function cacheStats(stats: Map<string, string>): TimelineTarget["cache"] {
  return { bytes: Number(stats.get("bytes")), items: Number(stats.get("curr_items")),
    evictions: Number(stats.get("evictions")), limitMaxbytes: Number(stats.get("limit_maxbytes")) };
}

// The fill's timeline is kept even when the server dies during it (a JS heap that cannot hold
// the cache): where it stopped is the finding.
async function measureTarget(t: Target, cfg: TimelineConfig, gcFile: string, progress: Progress): Promise<TimelineTarget> {
  const values: ValueSizes = { name: "fixed", min: cfg.valueLength, max: cfg.valueLength, label: `${cfg.valueLength} B values` };
  const base: LoadSpec = { port: t.port, mode: "preload", connections: CONNECTIONS, depth: FILL_DEPTH, keys: cfg.items, values,
    durationS: Math.ceil(cfg.items / MIN_FILL_RATE) + FILL_LIMIT_SLACK_S, intervalMs: cfg.intervalMs };
  const out: TimelineTarget = { ...targetInfo(t), points: [], gcPauses: null, gc: null };
  progress.status(`timeline ${t.name}: filling ${cfg.items} × ${cfg.valueLength} B into -m ${cfg.memoryMb}`);
  const fill = await runLoadgen(base);
  if (!fill.result?.timeline) {
    failTarget(t, `fill: ${fill.error}`);
    return { ...out, ...targetInfo(t) };
  }
  const t0 = fill.result.timeline.start_unix_ms;
  out.fill = { startS: 0, endS: round3(fill.result.seconds), setsPerS: Math.round(fill.result.rps) };
  out.points = points(fill.result, 0);
  if (fill.ok && !t.exited) await runAtFull(t, cfg, base, t0, out, progress);
  else failTarget(t, t.exited ? `server ${t.exited} during the fill` : `fill: ${fill.error}`);
  if (runsOnNode(t.command)) {
    const pauses = readGcLog(gcFile, t0);
    out.gcPauses = pauses;
    out.gc = {
      fill: pauseSummary(within(pauses, 0, out.fill.endS)),
      run: pauseSummary(out.run ? within(pauses, out.run.startS, out.run.endS) : []),
    };
  }
  return { ...out, ...targetInfo(t) };
}

async function runAtFull(t: Target, cfg: TimelineConfig, base: LoadSpec, t0: number, out: TimelineTarget,
                         progress: Progress): Promise<void> {
  const full = rssBytes(t);
  try {
    out.cache = cacheStats(await serverStats(t.port));
  } catch (e) {
    failTarget(t, `stats after the fill: ${(e as Error).message}`);
    return;
  }
  progress.status(`timeline ${t.name}: ${cfg.runS} s of 90/10 get/set at ${mb(full)} MB RSS`);
  const run = await runLoadgen({ ...base, mode: "mix", depth: RUN_DEPTH, durationS: cfg.runS, warmupS: 0, setPct: SET_PCT });
  out.rss = { full, end: rssBytes(t) };
  if (!run.ok) failTarget(t, t.exited ? `server ${t.exited} during the run` : `run: ${run.error}`);
  if (!run.result?.timeline) return;
  const start = (run.result.timeline.start_unix_ms - t0) / MS_PER_S;
  const asked = run.result.hits + run.result.misses;
  out.run = { startS: round3(start), endS: round3(start + run.result.seconds), rps: Math.round(run.result.rps),
    hitRatio: asked ? run.result.hits / asked : NaN };
  out.points.push(...points(run.result, start));
}

function describe(x: TimelineTarget): string {
  if (x.status !== "ok") return `${x.status.toUpperCase()}: ${x.error}`;
  const gc = x.gc ? `; GC max ${fmtMs(x.gc.fill.maxMs)} during the fill, ${fmtMs(x.gc.run.maxMs)} during the run` : "";
  return `fill ${fmtRate(x.fill!.setsPerS)} sets/s, RSS ${mb(x.rss?.full)} MB, ${x.cache?.items} items ` +
    `(${x.cache?.evictions} evicted); run ${fmtRate(x.run?.rps ?? NaN)} req/s${gc}`;
}

export async function runTimelinePart(cfg: TimelineConfig, progress: Progress): Promise<TimelineSection> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasmcached-gc-"));
  const targets: TimelineTarget[] = [];
  try {
    for (const name of cfg.targets) {
      const gcFile = path.join(dir, `${name}.log`);
      const t = await startTarget(name, { memoryMb: cfg.memoryMb, wasmcachedCmd: cfg.wasmcachedCmd, gcLog: gcFile });
      try {
        const x = t.status === "ok" ? await measureTarget(t, cfg, gcFile, progress)
          : { ...targetInfo(t), points: [], gcPauses: null, gc: null };
        progress.line(`timeline ${name.padEnd(15)} ${describe(x)}`);
        targets.push(x);
      } finally {
        await stopTarget(t);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    config: { ...cfg, connections: CONNECTIONS, fillDepth: FILL_DEPTH, runDepth: RUN_DEPTH, setPct: SET_PCT },
    targets,
  };
}
