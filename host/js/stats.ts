// The pure-JS engine's general `stats` lines: memcached's names, in memcached 1.6.18's order,
// for what this engine has. The WASM core's table is AssemblyScript (assembly/stats/server.ts),
// which the host cannot import, so this is the JS engine's own and only list. Host lines (pid,
// connections, rusage, bytes read/written, …) are the protocol handler's, as they are the
// driver's for the WASM engine.
const COUNTER = 0;
const GAUGE = 1;

const GENERAL_STATS = [
  ["uptime", GAUGE],
  ["time", GAUGE],
  ["cmd_get", COUNTER],
  ["cmd_set", COUNTER],
  ["cmd_flush", COUNTER],
  ["cmd_touch", COUNTER],
  ["get_hits", COUNTER],
  ["get_misses", COUNTER],
  ["get_expired", COUNTER],
  ["get_flushed", COUNTER],
  ["delete_misses", COUNTER],
  ["delete_hits", COUNTER],
  ["incr_misses", COUNTER],
  ["incr_hits", COUNTER],
  ["decr_misses", COUNTER],
  ["decr_hits", COUNTER],
  ["cas_misses", COUNTER],
  ["cas_hits", COUNTER],
  ["cas_badval", COUNTER],
  ["touch_hits", COUNTER],
  ["touch_misses", COUNTER],
  ["store_too_large", COUNTER],
  ["store_no_memory", COUNTER],
  ["limit_maxbytes", GAUGE],
  ["lru_crawler_running", GAUGE],
  ["lru_crawler_starts", COUNTER],
  ["lru_maintainer_juggles", COUNTER],
  ["bytes", GAUGE],
  ["curr_items", GAUGE],
  ["total_items", COUNTER],
  ["expired_unfetched", COUNTER],
  ["evicted_unfetched", COUNTER],
  ["evictions", COUNTER],
  ["reclaimed", COUNTER],
  ["crawler_reclaimed", COUNTER],
  ["crawler_items_checked", COUNTER],
  // Not memcached's: stores that found the Map at its entry cap (js_engine.ts MAP_ENTRIES_MAX)
  // and had to evict for it, or were refused with -M.
  ["map_full", COUNTER],
] as const;

type Line = typeof GENERAL_STATS[number];
type Counter = Extract<Line, readonly [string, typeof COUNTER]>[0];
export type Gauge = Extract<Line, readonly [string, typeof GAUGE]>[0];
export type Counters = Record<Counter, number>;

export function newCounters(): Counters {
  const c: Record<string, number> = {};
  for (const [name, kind] of GENERAL_STATS) if (kind === COUNTER) c[name] = 0;
  return c as Counters;
}

/** `stats reset`: counters to zero; gauges (items, bytes) are state. */
export function resetCounters(c: Counters): void {
  for (const name of Object.keys(c) as Counter[]) c[name] = 0;
}

export function renderStats(c: Counters, gauge: (name: Gauge) => number): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, kind] of GENERAL_STATS) {
    out.set(name, String(kind === COUNTER ? c[name as Counter] : gauge(name as Gauge)));
  }
  return out;
}
