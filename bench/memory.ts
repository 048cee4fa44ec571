// Part 3, memory: what each stored item costs a server in resident memory. Each target alone
// is started, measured idle, loaded with the data set over TCP, and measured again; the
// growth of its RSS divided by the items its `stats` says it holds is the figure compared.
import { runLoadgen } from "./loadgen.js";
import { rssBytes, serverStats, sleep, startTarget, stopTarget, failTarget, WASMCACHED, type TargetStatus } from "./servers.js";
import { FIXED, MIXED, type ValueSizes } from "./value-sizes.js";
import { fmtCount, fmtRate, mb } from "./format.js";
import type { Progress } from "./progress.js";

const CONNECTIONS = 32;
const FILL_DEPTH = 16;
const MIN_FILL_RATE = 20_000;
const FILL_LIMIT_SLACK_S = 30;
// lets a server finish what the last replies started (memcached's hash expansion runs in a
// thread after the fill) before RSS is read
const SETTLE_MS = 1_000;

export interface Dataset {
  values: ValueSizes["name"];
  items: number;
}

export interface MemoryConfig {
  targets: string[];
  datasets: Dataset[];
  /** every target's -m: room for the largest data set without evicting */
  memoryMb: number;
  wasmcachedCmd: string;
}

export const MEMORY_TARGETS = [WASMCACHED, "memcached"];
export const MEMORY_FULL = { datasets: [{ values: FIXED.name, items: 5_000_000 }, { values: MIXED.name, items: 1_000_000 }], memoryMb: 2048 };
export const MEMORY_QUICK = { datasets: [{ values: FIXED.name, items: 20_000 }, { values: MIXED.name, items: 10_000 }], memoryMb: 64 };

export interface MemoryRun {
  target: string;
  values: Dataset["values"];
  items: number;
  command: string;
  status: TargetStatus;
  error?: string;
  rssIdle?: number;
  rssLoaded?: number;
  storedItems?: number;
  evictions?: number;
  /** the server's own count of item bytes (`stats` bytes) */
  itemBytes?: number;
  setsPerS?: number;
  /** (rssLoaded − rssIdle) / storedItems */
  rssPerItem?: number;
}

export interface MemorySection {
  config: MemoryConfig & { connections: number };
  runs: MemoryRun[];
}

async function measure(target: string, d: Dataset, cfg: MemoryConfig, progress: Progress): Promise<MemoryRun> {
  const values = d.values === FIXED.name ? FIXED : MIXED;
  const t = await startTarget(target, { memoryMb: cfg.memoryMb, wasmcachedCmd: cfg.wasmcachedCmd });
  const run: MemoryRun = { target, values: d.values, items: d.items, command: t.command.join(" "), status: t.status, error: t.error };
  if (t.status !== "ok") return run;
  try {
    await sleep(SETTLE_MS);
    run.rssIdle = rssBytes(t);
    progress.status(`memory ${target}: setting ${fmtCount(d.items)} items (${values.label})`);
    const fill = await runLoadgen({ port: t.port, mode: "preload", connections: CONNECTIONS, depth: FILL_DEPTH, keys: d.items,
      values, durationS: Math.ceil(d.items / MIN_FILL_RATE) + FILL_LIMIT_SLACK_S });
    if (!fill.ok) {
      failTarget(t, `fill: ${fill.error}`);
      return { ...run, status: t.status, error: t.error };
    }
    await sleep(SETTLE_MS);
    run.rssLoaded = rssBytes(t);
    const stats = await serverStats(t.port).catch((e: Error) => e);
    if (stats instanceof Error) {
      failTarget(t, `stats after the fill: ${stats.message}`);
      return { ...run, status: t.status, error: t.error };
    }
    run.storedItems = Number(stats.get("curr_items"));
    run.evictions = Number(stats.get("evictions"));
    run.itemBytes = Number(stats.get("bytes"));
    run.setsPerS = Math.round(fill.result!.rps);
    run.rssPerItem = Math.round((run.rssLoaded - run.rssIdle) / run.storedItems);
    return run;
  } finally {
    await stopTarget(t);
  }
}

function describe(r: MemoryRun): string {
  if (r.status !== "ok") return `${r.status.toUpperCase()}: ${r.error}`;
  return `RSS ${mb(r.rssIdle)} → ${mb(r.rssLoaded)} MB for ${r.storedItems} items: ${r.rssPerItem} B/item ` +
    `(${r.evictions} evicted; filled at ${fmtRate(r.setsPerS!)} sets/s)`;
}

export async function runMemoryPart(cfg: MemoryConfig, progress: Progress): Promise<MemorySection> {
  const runs: MemoryRun[] = [];
  for (const d of cfg.datasets) {
    for (const target of cfg.targets) {
      const r = await measure(target, d, cfg, progress);
      progress.line(`memory ${target.padEnd(10)} ${fmtCount(d.items).padStart(4)} ${d.values.padEnd(5)}  ${describe(r)}`);
      runs.push(r);
    }
  }
  return { config: { ...cfg, connections: CONNECTIONS }, runs };
}
