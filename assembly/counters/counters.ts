// Counters, each declared once here, at three levels (memcached keeps the same split):
//   Stat       global, STATS block                     (stats_state / stats in memcached.c)
//   SlabStat   per slab class, CLASSSTATS block         (thread slab_stats, `stats slabs`)
//   LruStat    per LRU id (class | lru), ITEMSTATS      (itemstats[] in items.c, `stats items`)
// Global hit counters (get_hits, cas_hits, …) are sums of the SlabStat ones, as in memcached,
// so nothing is counted twice.
import { STATS, STATS_SIZE, CLASSSTATS, CLASSSTATS_SIZE, ITEMSTATS, ITEMSTATS_SIZE, MAX_CLASSES, HOSTSTATS } from "../memory/layout";
import { HostStat } from "../abi/host_stats";
import { prefixReset } from "./prefixes";

// The host's counters reset with the core's (its gauges, like curr_connections, do not).
function resetHostCounters(): void {
  store<f64>(HOSTSTATS + (<usize>HostStat.TOTAL_CONNECTIONS << 3), 0);
  store<f64>(HOSTSTATS + (<usize>HostStat.REJECTED_CONNECTIONS << 3), 0);
  store<f64>(HOSTSTATS + (<usize>HostStat.BYTES_READ << 3), 0);
  store<f64>(HOSTSTATS + (<usize>HostStat.BYTES_WRITTEN << 3), 0);
  store<f64>(HOSTSTATS + (<usize>HostStat.CONN_YIELDS << 3), 0);
  store<f64>(HOSTSTATS + (<usize>HostStat.IDLE_KICKS << 3), 0);
}

export enum Stat {
  CURR_ITEMS = 0,
  TOTAL_ITEMS,
  CURR_BYTES,        // `bytes`
  CMD_GET,
  CMD_TOUCH,
  CMD_FLUSH,
  GET_MISSES,
  GET_EXPIRED,
  GET_FLUSHED,
  TOUCH_MISSES,
  DELETE_MISSES,
  INCR_MISSES,
  DECR_MISSES,
  CAS_MISSES,
  STORE_TOO_LARGE,
  STORE_NO_MEMORY,
  LRU_MAINTAINER_JUGGLES,
  LRU_CRAWLER_STARTS,
  CMD_META,
  AUTH_CMDS,
  AUTH_ERRORS,
  SLAB_REASSIGN_RESCUES,
  SLAB_REASSIGN_CHUNK_RESCUES,
  SLAB_REASSIGN_EVICTIONS_NOMEM,
  SLAB_REASSIGN_INLINE_RECLAIM,
  SLABS_MOVED,
  COUNT,
}

export enum SlabStat {
  GET_HITS = 0,
  SET_CMDS,
  DELETE_HITS,
  INCR_HITS,
  DECR_HITS,
  CAS_HITS,
  CAS_BADVAL,
  TOUCH_HITS,
  COUNT,
}

export enum LruStat {
  EVICTED = 0,
  EVICTED_NONZERO,
  EVICTED_TIME,      // age of the last evicted item (a value, not a counter)
  OUTOFMEMORY,
  TAILREPAIRS,
  RECLAIMED,
  EXPIRED_UNFETCHED,
  EVICTED_UNFETCHED,
  EVICTED_ACTIVE,
  CRAWLER_RECLAIMED,
  CRAWLER_ITEMS_CHECKED,
  LRUTAIL_REFLOCKED,
  MOVES_TO_COLD,
  MOVES_TO_WARM,
  MOVES_WITHIN_LRU,
  DIRECT_RECLAIMS,
  HITS,              // hits_to_hot/warm/cold/temp, by the LRU the item was in
  COUNT,
}

@inline export function stat(s: Stat): u64 {
  return load<u64>(STATS + (<usize>s << 3));
}
@inline export function statAdd(s: Stat, n: u64): void {
  const a = STATS + (<usize>s << 3);
  store<u64>(a, load<u64>(a) + n);
}
@inline export function statIncr(s: Stat): void { statAdd(s, 1); }
@inline export function statDecr(s: Stat): void { statAdd(s, <u64>-1); }

@inline function slabStatAddr(clsid: u32, s: SlabStat): usize {
  return CLASSSTATS + <usize>clsid * CLASSSTATS_SIZE + (<usize>s << 3);
}
@inline export function slabStat(clsid: u32, s: SlabStat): u64 { return load<u64>(slabStatAddr(clsid, s)); }
@inline export function slabStatIncr(clsid: u32, s: SlabStat): void {
  const a = slabStatAddr(clsid, s);
  store<u64>(a, load<u64>(a) + 1);
}

@inline function lruStatAddr(lruId: u32, s: LruStat): usize {
  return ITEMSTATS + <usize>lruId * ITEMSTATS_SIZE + (<usize>s << 3);
}
@inline export function lruStat(lruId: u32, s: LruStat): u64 { return load<u64>(lruStatAddr(lruId, s)); }
@inline export function lruStatAdd(lruId: u32, s: LruStat, n: u64): void {
  const a = lruStatAddr(lruId, s);
  store<u64>(a, load<u64>(a) + n);
}
@inline export function lruStatIncr(lruId: u32, s: LruStat): void { lruStatAdd(lruId, s, 1); }
@inline export function lruStatSet(lruId: u32, s: LruStat, v: u64): void { store<u64>(lruStatAddr(lruId, s), v); }

// Sum of a per-class counter over all classes: memcached's aggregate for `stats`.
export function slabStatTotal(s: SlabStat): u64 {
  let total: u64 = 0;
  for (let c: u32 = 1; c < MAX_CLASSES; c++) total += slabStat(c, s);
  return total;
}

// Sum of a per-LRU counter over the four LRUs of every class.
export function lruStatTotal(s: LruStat): u64 {
  let total: u64 = 0;
  for (let id: u32 = 0; id < 256; id++) total += lruStat(id, s);
  return total;
}

// `stats reset`: counters go to zero; item and byte counts are state, not counters.
export function statsReset(): void {
  resetHostCounters();
  prefixReset();
  const keepItems = stat(Stat.CURR_ITEMS);
  const keepBytes = stat(Stat.CURR_BYTES);
  memory.fill(STATS, 0, STATS_SIZE);
  store<u64>(STATS + (<usize>Stat.CURR_ITEMS << 3), keepItems);
  store<u64>(STATS + (<usize>Stat.CURR_BYTES << 3), keepBytes);
  memory.fill(CLASSSTATS, 0, <usize>MAX_CLASSES * CLASSSTATS_SIZE);
  memory.fill(ITEMSTATS, 0, 256 * ITEMSTATS_SIZE);
}
