// Counters, each declared once here, at three levels (memcached keeps the same split):
//   Stat       STATS block                          (thread_stats / stats_state in memcached.c)
//   SlabStat   per slab class, CLASSSTATS block     (thread slab_stats, `stats slabs`)
//   LruStat    per LRU id (class | lru), ITEMSTATS  (itemstats[] in items.c, `stats items`)
// Global hit counters (get_hits, cas_hits, …) are sums of the SlabStat ones, as in memcached,
// so nothing is counted twice.
//
// Every thread counts in its own thread block (layout/thread.ts), as memcached's workers count
// in their thread_stats: no lock, no shared cache line; a reader sums the blocks. That holds
// for the item and byte counts too: each thread's share of curr_items is what it linked less
// what it unlinked, and only the sum means anything.
import {
  MAX_CLASSES, LRU_IDS, EVICTED_TIMES, settingU32,
} from "../layout/layout";
import {
  THREAD, threadBlock, T_STATS, STATS_SLOTS, T_CLASSSTATS, CLASSSTATS_SIZE, T_ITEMSTATS, ITEMSTATS_SIZE,
  T_HOSTSTATS,
} from "../layout/thread";
import { Setting } from "../abi/settings";
import { HostStat } from "../abi/host_stats";
import { prefixReset } from "./prefixes";

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
  SLAB_REASSIGN_BUSY_ITEMS,
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

@inline function blocks(): u32 { return settingU32(Setting.THREAD_BLOCKS); }

@inline function statAt(block: usize, s: Stat): usize { return block + T_STATS + (<usize>s << 3); }
@inline function slabStatAt(block: usize, clsid: u32, s: SlabStat): usize {
  return block + T_CLASSSTATS + <usize>clsid * CLASSSTATS_SIZE + (<usize>s << 3);
}
@inline function lruStatAt(block: usize, lruId: u32, s: LruStat): usize {
  return block + T_ITEMSTATS + <usize>lruId * ITEMSTATS_SIZE + (<usize>s << 3);
}

// ── counting, in this thread's block ─────────────────────────────────────────────────

@inline export function statAdd(s: Stat, n: u64): void {
  const a = statAt(THREAD, s);
  store<u64>(a, load<u64>(a) + n);
}
@inline export function statIncr(s: Stat): void { statAdd(s, 1); }
@inline export function statDecr(s: Stat): void { statAdd(s, <u64>-1); }

@inline export function slabStatIncr(clsid: u32, s: SlabStat): void {
  const a = slabStatAt(THREAD, clsid, s);
  store<u64>(a, load<u64>(a) + 1);
}

@inline export function lruStatAdd(lruId: u32, s: LruStat, n: u64): void {
  const a = lruStatAt(THREAD, lruId, s);
  store<u64>(a, load<u64>(a) + n);
}
@inline export function lruStatIncr(lruId: u32, s: LruStat): void { lruStatAdd(lruId, s, 1); }

// evicted_time: the age of the LRU's last evicted item (set by whoever evicts, under its LRU lock).
@inline export function setEvictedTime(lruId: u32, age: u64): void { store<u64>(EVICTED_TIMES + (<usize>lruId << 3), age); }
@inline export function evictedTime(lruId: u32): u64 { return load<u64>(EVICTED_TIMES + (<usize>lruId << 3)); }

// ── reading: the sum over every thread's block ───────────────────────────────────────

export function stat(s: Stat): u64 {
  let total: u64 = 0;
  for (let t: u32 = 0, n = blocks(); t < n; t++) total += load<u64>(statAt(threadBlock(t), s));
  return total;
}

export function slabStat(clsid: u32, s: SlabStat): u64 {
  let total: u64 = 0;
  for (let t: u32 = 0, n = blocks(); t < n; t++) total += load<u64>(slabStatAt(threadBlock(t), clsid, s));
  return total;
}

export function lruStat(lruId: u32, s: LruStat): u64 {
  let total: u64 = 0;
  for (let t: u32 = 0, n = blocks(); t < n; t++) total += load<u64>(lruStatAt(threadBlock(t), lruId, s));
  return total;
}

// Sum of a per-class counter over all classes: memcached's aggregate for `stats`.
export function slabStatTotal(s: SlabStat): u64 {
  let total: u64 = 0;
  for (let c: u32 = 1; c < MAX_CLASSES; c++) total += slabStat(c, s);
  return total;
}

// Sum of a per-LRU counter over the four LRUs of every class.
export function lruStatTotal(s: LruStat): u64 {
  let total: u64 = 0;
  for (let id: u32 = 0; id < LRU_IDS; id++) total += lruStat(id, s);
  return total;
}

// A host_stats.ts slot over every thread: each host counts in its own thread's block, and
// gauges (pid, rusage, threads) are written in one block only.
export function hostStat(s: HostStat): u64 {
  let total: f64 = 0;
  for (let t: u32 = 0, n = blocks(); t < n; t++) total += load<f64>(threadBlock(t) + T_HOSTSTATS + (<usize>s << 3));
  return <u64>total;
}

// The largest value of a host_stats.ts slot over every thread: a time each thread sets when
// it does something (each worker reloads its own certificates).
export function hostStatLatest(s: HostStat): u64 {
  let latest: f64 = 0;
  for (let t: u32 = 0, n = blocks(); t < n; t++) latest = max(latest, load<f64>(threadBlock(t) + T_HOSTSTATS + (<usize>s << 3)));
  return <u64>latest;
}

// The host's counters reset with the core's, as memcached's `stats` struct and thread stats
// do (its gauges, like curr_connections, do not).
const HOST_COUNTERS: StaticArray<HostStat> = [
  HostStat.TOTAL_CONNECTIONS, HostStat.REJECTED_CONNECTIONS, HostStat.BYTES_READ,
  HostStat.BYTES_WRITTEN, HostStat.CONN_YIELDS, HostStat.IDLE_KICKS, HostStat.RESPONSE_OBJ_OOM,
  HostStat.READ_BUF_OOM, HostStat.LOG_WATCHER_SKIPPED, HostStat.LOG_WATCHER_SENT,
  HostStat.SSL_HANDSHAKE_ERRORS, HostStat.SSL_NEW_SESSIONS,
];

// `stats reset`: counters go to zero in every block; item and byte counts are state, not
// counters. (memcached takes each thread's stats lock; a count racing the reset may be lost.)
export function statsReset(): void {
  prefixReset();
  for (let t: u32 = 0, n = blocks(); t < n; t++) resetBlock(threadBlock(t));
}

function resetBlock(block: usize): void {
  const keepItems = load<u64>(statAt(block, Stat.CURR_ITEMS));
  const keepBytes = load<u64>(statAt(block, Stat.CURR_BYTES));
  memory.fill(block + T_STATS, 0, <usize>STATS_SLOTS * 8);
  store<u64>(statAt(block, Stat.CURR_ITEMS), keepItems);
  store<u64>(statAt(block, Stat.CURR_BYTES), keepBytes);
  memory.fill(block + T_CLASSSTATS, 0, <usize>MAX_CLASSES * CLASSSTATS_SIZE);
  memory.fill(block + T_ITEMSTATS, 0, <usize>LRU_IDS * ITEMSTATS_SIZE);
  for (let i = 0; i < HOST_COUNTERS.length; i++) {
    store<f64>(block + T_HOSTSTATS + (<usize>HOST_COUNTERS[i] << 3), 0);
  }
}
