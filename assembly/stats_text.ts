// Rendering of the engine's `stats`, `stats items` and `stats slabs` lines. Each render
// function is the table for its family: every line names its stat once, next to its source,
// in memcached 1.6.18's order.
import { Setting } from "./settings";
import { HostStat } from "./host_stats";
import {
  setting, settingOn, settingU32, HOSTSTATS, HOST_VERSION, Global, global32, global64,
  SETTINGS_DESC, SETTINGS_DESC_SIZE,
} from "./layout";
import { outStr, outU64, outCrlf, outBytes, outByte } from "./output";
import { Stat, stat, SlabStat, slabStat, slabStatTotal, LruStat, lruStat, lruStatTotal } from "./stats";
import { HOT_LRU, WARM_LRU, COLD_LRU, TEMP_LRU, itTime } from "./item";
import { lruCount, lruBytes, lruTail, classHasItems } from "./lru";
import {
  powerLargest, classSize, classPerslab, classPages, classFree, classTotalChunks, memMalloced,
  SLAB_GLOBAL_PAGE_POOL,
} from "./slabs";
import { hashpower, hashBytes, hashExpanding } from "./assoc";
import { crawlerRunning } from "./crawler";
import { currentTime, processStarted } from "./clock";

export enum StatsGroup { GENERAL = 0, ITEMS = 1, SLABS = 2, SETTINGS = 3 }

// The whole reply of a `stats` family, END included.
export function renderStats(group: StatsGroup): void {
  switch (group) {
    case StatsGroup.GENERAL: renderGeneral(); break;
    case StatsGroup.ITEMS: renderItems(); break;
    case StatsGroup.SLABS: renderSlabs(); break;
    default: renderSettings();
  }
  outStr("END");
  outCrlf();
}

// f64 slots: the host updates them per packet with one typed-array store, no BigInt.
@inline function host(s: HostStat): u64 { return <u64>load<f64>(HOSTSTATS + (<usize>s << 3)); }

const USEC_PER_SEC: u64 = 1000000;
const USEC_DIGITS: u32 = 6;
// memcached reports uptime from a clock that starts at ITEM_UPDATE_INTERVAL + 2.
const UPTIME_OFFSET: u32 = 60;

function usecLine(name: string, us: u64): void {
  outStr("STAT ");
  outStr(name);
  outStr(" ");
  outU64(us / USEC_PER_SEC);
  outByte(0x2e);
  const frac = us % USEC_PER_SEC;
  for (let d: u64 = USEC_PER_SEC / 10; d > 1 && frac < d; d /= 10) outByte(0x30);
  outU64(frac);
  outCrlf();
}

function textLine(name: string, value: string): void {
  outStr("STAT ");
  outStr(name);
  outStr(" ");
  outStr(value);
  outCrlf();
}

// `stats`, in memcached 1.6.18's order: process and connection lines from the host, then the
// engine's counters and state.
function renderGeneral(): void {
  const now = currentTime();
  line("pid", host(HostStat.PID));
  line("uptime", now - UPTIME_OFFSET);
  line("time", <u64>now + processStarted());
  textLine("version", "1.6.18");
  outStr("STAT libevent ");
  outBytes(HOST_VERSION + 1, load<u8>(HOST_VERSION));
  outCrlf();
  line("pointer_size", sizeof<usize>() * 8);
  usecLine("rusage_user", host(HostStat.RUSAGE_USER_US));
  usecLine("rusage_system", host(HostStat.RUSAGE_SYSTEM_US));
  line("max_connections", settingU32(Setting.MAX_CONNS));
  line("curr_connections", host(HostStat.CURR_CONNECTIONS));
  line("total_connections", host(HostStat.TOTAL_CONNECTIONS));
  line("rejected_connections", host(HostStat.REJECTED_CONNECTIONS));
  line("connection_structures", host(HostStat.CONNECTION_STRUCTURES));
  line("response_obj_oom", 0);
  line("response_obj_count", host(HostStat.CURR_CONNECTIONS));
  line("response_obj_bytes", <u64>global32(Global.OUTBUF_SIZE));
  line("read_buf_count", host(HostStat.READ_BUF_COUNT));
  line("read_buf_bytes", host(HostStat.READ_BUF_BYTES));
  line("read_buf_bytes_free", 0);
  line("read_buf_oom", 0);
  line("reserved_fds", RESERVED_FDS);
  renderGeneralCounters();
  line("auth_cmds", stat(Stat.AUTH_CMDS));
  line("auth_errors", stat(Stat.AUTH_ERRORS));
  if (settingU32(Setting.IDLE_TIMEOUT)) line("idle_kicks", host(HostStat.IDLE_KICKS));
  line("bytes_read", host(HostStat.BYTES_READ));
  line("bytes_written", host(HostStat.BYTES_WRITTEN));
  line("limit_maxbytes", <u64>setting(Setting.MAXBYTES));
  line("accepting_conns", host(HostStat.ACCEPTING_CONNS));
  line("listen_disabled_num", 0);
  line("time_in_listen_disabled_us", 0);
  line("threads", host(HostStat.THREADS));
  line("conn_yields", host(HostStat.CONN_YIELDS));
  line("hash_power_level", hashpower());
  line("hash_bytes", hashBytes());
  line("hash_is_expanding", hashExpanding() ? 1 : 0);
  renderSlabReassign();
  if (settingOn(Setting.LRU_CRAWLER)) {
    line("lru_crawler_running", crawlerRunning() ? 1 : 0);
    line("lru_crawler_starts", stat(Stat.LRU_CRAWLER_STARTS));
  }
  if (settingOn(Setting.MAINTAINER)) line("lru_maintainer_juggles", stat(Stat.LRU_MAINTAINER_JUGGLES));
  line("malloc_fails", 0); // item memory comes from the reserved arena, never malloc
  line("log_worker_dropped", 0);
  line("log_worker_written", 0);
  line("log_watcher_skipped", 0);
  line("log_watcher_sent", 0);
  line("log_watchers", 0);
  if (settingOn(Setting.SSL_ENABLED)) renderTls(now);
  line("unexpected_napi_ids", 0);
  line("round_robin_fallback", 0);
  renderGeneralItems();
}

// TLS lives in the host's socket adapters; it keeps these counts.
function renderTls(now: u32): void {
  if (settingOn(Setting.SSL_SESSION_CACHE)) line("ssl_new_sessions", host(HostStat.SSL_NEW_SESSIONS));
  line("ssl_handshake_errors", host(HostStat.SSL_HANDSHAKE_ERRORS));
  line("time_since_server_cert_refresh", <u64>(now - <u32>host(HostStat.SSL_CERT_REFRESH_TIME)));
}

// memcached keeps this many descriptors back for listeners and internal pipes.
const RESERVED_FDS: u64 = 20;

// The page mover (slab_mover.ts). It moves a page within one call, so nothing is ever busy
// or running between calls.
function renderSlabReassign(): void {
  line("slab_reassign_rescues", stat(Stat.SLAB_REASSIGN_RESCUES));
  line("slab_reassign_chunk_rescues", stat(Stat.SLAB_REASSIGN_CHUNK_RESCUES));
  line("slab_reassign_evictions_nomem", stat(Stat.SLAB_REASSIGN_EVICTIONS_NOMEM));
  line("slab_reassign_inline_reclaim", stat(Stat.SLAB_REASSIGN_INLINE_RECLAIM));
  line("slab_reassign_busy_items", 0);
  line("slab_reassign_busy_deletes", 0);
  line("slab_reassign_running", 0);
  line("slabs_moved", stat(Stat.SLABS_MOVED));
}

function line(name: string, v: u64): void {
  outStr("STAT ");
  outStr(name);
  outStr(" ");
  outU64(v);
  outCrlf();
}

function classLine(prefix: string, c: u32, name: string, v: u64): void {
  outStr("STAT ");
  outStr(prefix);
  outU64(c);
  outStr(":");
  outStr(name);
  outStr(" ");
  outU64(v);
  outCrlf();
}

// `stats settings` from the descriptor the host wrote (host/options.ts STATS_SETTINGS): a
// format byte, a slot byte, the name and, for fixed text, the value; a 0 byte ends it.
const FMT_INT: u8 = 1;
const FMT_FLOAT2: u8 = 2;
const FMT_YESNO: u8 = 3;
const FMT_ONOFF: u8 = 4;
const FMT_TEXT: u8 = 5;
const FMT_OLDEST: u8 = 6;
const HUNDRED: f64 = 100;

function renderSettings(): void {
  let p = SETTINGS_DESC;
  const end = SETTINGS_DESC + SETTINGS_DESC_SIZE;
  while (p < end) {
    const fmt = load<u8>(p);
    if (fmt == 0) return;
    const slot = <Setting>load<u8>(p, 1);
    const nameLen = <u32>load<u8>(p, 2);
    outStr("STAT ");
    outBytes(p + 3, nameLen);
    outByte(0x20);
    p += 3 + nameLen;
    const v = setting(slot);
    if (fmt == FMT_TEXT) {
      outBytes(p + 1, load<u8>(p));
      p += 1 + <usize>load<u8>(p);
    } else if (fmt == FMT_FLOAT2) {
      outFixed2(v);
    } else if (fmt == FMT_YESNO) {
      outStr(v != 0 ? "yes" : "no");
    } else if (fmt == FMT_ONOFF) {
      outStr(v != 0 ? "on" : "off");
    } else if (fmt == FMT_OLDEST) {
      outU64(global64(Global.OLDEST_LIVE));
    } else {
      outU64(<u64>v);
    }
    outCrlf();
  }
}

// printf's %.2f for the small non-negative settings it is used on.
function outFixed2(v: f64): void {
  const hundredths = <u64>Math.round(v * HUNDRED);
  outU64(hundredths / 100);
  outByte(0x2e);
  const frac = hundredths % 100;
  if (frac < 10) outByte(0x30);
  outU64(frac);
}

function renderGeneralCounters(): void {
  line("cmd_get", stat(Stat.CMD_GET));
  line("cmd_set", slabStatTotal(SlabStat.SET_CMDS));
  line("cmd_flush", stat(Stat.CMD_FLUSH));
  line("cmd_touch", stat(Stat.CMD_TOUCH));
  line("cmd_meta", stat(Stat.CMD_META));
  line("get_hits", slabStatTotal(SlabStat.GET_HITS));
  line("get_misses", stat(Stat.GET_MISSES));
  line("get_expired", stat(Stat.GET_EXPIRED));
  line("get_flushed", stat(Stat.GET_FLUSHED));
  line("delete_misses", stat(Stat.DELETE_MISSES));
  line("delete_hits", slabStatTotal(SlabStat.DELETE_HITS));
  line("incr_misses", stat(Stat.INCR_MISSES));
  line("incr_hits", slabStatTotal(SlabStat.INCR_HITS));
  line("decr_misses", stat(Stat.DECR_MISSES));
  line("decr_hits", slabStatTotal(SlabStat.DECR_HITS));
  line("cas_misses", stat(Stat.CAS_MISSES));
  line("cas_hits", slabStatTotal(SlabStat.CAS_HITS));
  line("cas_badval", slabStatTotal(SlabStat.CAS_BADVAL));
  line("touch_hits", slabStatTotal(SlabStat.TOUCH_HITS));
  line("touch_misses", stat(Stat.TOUCH_MISSES));
  line("store_too_large", stat(Stat.STORE_TOO_LARGE));
  line("store_no_memory", stat(Stat.STORE_NO_MEMORY));
}

function renderGeneralItems(): void {
  const maintainer = settingOn(Setting.MAINTAINER);
  line("bytes", stat(Stat.CURR_BYTES));
  line("curr_items", stat(Stat.CURR_ITEMS));
  line("total_items", stat(Stat.TOTAL_ITEMS));
  line("slab_global_page_pool", classPages(SLAB_GLOBAL_PAGE_POOL));
  line("expired_unfetched", lruStatTotal(LruStat.EXPIRED_UNFETCHED));
  line("evicted_unfetched", lruStatTotal(LruStat.EVICTED_UNFETCHED));
  if (maintainer) line("evicted_active", lruStatTotal(LruStat.EVICTED_ACTIVE));
  line("evictions", lruStatTotal(LruStat.EVICTED));
  line("reclaimed", lruStatTotal(LruStat.RECLAIMED));
  line("crawler_reclaimed", lruStatTotal(LruStat.CRAWLER_RECLAIMED));
  line("crawler_items_checked", lruStatTotal(LruStat.CRAWLER_ITEMS_CHECKED));
  line("lrutail_reflocked", lruStatTotal(LruStat.LRUTAIL_REFLOCKED));
  if (!maintainer) return;
  line("moves_to_cold", lruStatTotal(LruStat.MOVES_TO_COLD));
  line("moves_to_warm", lruStatTotal(LruStat.MOVES_TO_WARM));
  line("moves_within_lru", lruStatTotal(LruStat.MOVES_WITHIN_LRU));
  line("direct_reclaims", lruStatTotal(LruStat.DIRECT_RECLAIMS));
  line("lru_bumps_dropped", 0); // bumps are never queued, so never dropped
}

@inline function sum4(c: u32, s: LruStat): u64 {
  return lruStat(c | HOT_LRU, s) + lruStat(c | WARM_LRU, s) + lruStat(c | COLD_LRU, s) + lruStat(c | TEMP_LRU, s);
}

function tailAge(id: u32): u64 {
  const t = lruTail(id);
  return t ? <u64>(currentTime() - itTime(t)) : 0;
}

function renderItems(): void {
  const largest = powerLargest();
  const maintainer = settingOn(Setting.MAINTAINER);
  const p = "items:";
  for (let c: u32 = 1; c <= largest; c++) {
    if (!classHasItems(c)) continue;
    const n = <u64>lruCount(c | HOT_LRU) + lruCount(c | WARM_LRU) + lruCount(c | COLD_LRU) + lruCount(c | TEMP_LRU);
    classLine(p, c, "number", n);
    if (maintainer) {
      classLine(p, c, "number_hot", lruCount(c | HOT_LRU));
      classLine(p, c, "number_warm", lruCount(c | WARM_LRU));
      classLine(p, c, "number_cold", lruCount(c | COLD_LRU));
      if (settingOn(Setting.TEMP_LRU)) classLine(p, c, "number_temp", lruCount(c | TEMP_LRU));
      classLine(p, c, "age_hot", tailAge(c | HOT_LRU));
      classLine(p, c, "age_warm", tailAge(c | WARM_LRU));
    }
    classLine(p, c, "age", tailAge(c | COLD_LRU));
    classLine(p, c, "mem_requested", lruBytes(c | HOT_LRU) + lruBytes(c | WARM_LRU) + lruBytes(c | COLD_LRU) + lruBytes(c | TEMP_LRU));
    classLine(p, c, "evicted", sum4(c, LruStat.EVICTED));
    classLine(p, c, "evicted_nonzero", sum4(c, LruStat.EVICTED_NONZERO));
    classLine(p, c, "evicted_time", lruStat(c | COLD_LRU, LruStat.EVICTED_TIME));
    classLine(p, c, "outofmemory", sum4(c, LruStat.OUTOFMEMORY));
    classLine(p, c, "tailrepairs", sum4(c, LruStat.TAILREPAIRS));
    classLine(p, c, "reclaimed", sum4(c, LruStat.RECLAIMED));
    classLine(p, c, "expired_unfetched", sum4(c, LruStat.EXPIRED_UNFETCHED));
    classLine(p, c, "evicted_unfetched", sum4(c, LruStat.EVICTED_UNFETCHED));
    if (maintainer) classLine(p, c, "evicted_active", sum4(c, LruStat.EVICTED_ACTIVE));
    classLine(p, c, "crawler_reclaimed", sum4(c, LruStat.CRAWLER_RECLAIMED));
    classLine(p, c, "crawler_items_checked", sum4(c, LruStat.CRAWLER_ITEMS_CHECKED));
    classLine(p, c, "lrutail_reflocked", sum4(c, LruStat.LRUTAIL_REFLOCKED));
    if (!maintainer) continue;
    classLine(p, c, "moves_to_cold", sum4(c, LruStat.MOVES_TO_COLD));
    classLine(p, c, "moves_to_warm", sum4(c, LruStat.MOVES_TO_WARM));
    classLine(p, c, "moves_within_lru", sum4(c, LruStat.MOVES_WITHIN_LRU));
    classLine(p, c, "direct_reclaims", sum4(c, LruStat.DIRECT_RECLAIMS));
    classLine(p, c, "hits_to_hot", lruStat(c | HOT_LRU, LruStat.HITS));
    classLine(p, c, "hits_to_warm", lruStat(c | WARM_LRU, LruStat.HITS));
    classLine(p, c, "hits_to_cold", lruStat(c | COLD_LRU, LruStat.HITS));
    classLine(p, c, "hits_to_temp", lruStat(c | TEMP_LRU, LruStat.HITS));
  }
}

function renderSlabs(): void {
  const largest = powerLargest();
  let active: u64 = 0;
  const p = "";
  for (let c: u32 = 1; c <= largest; c++) {
    if (classPages(c) == 0) continue;
    active++;
    const total = classTotalChunks(c);
    classLine(p, c, "chunk_size", classSize(c));
    classLine(p, c, "chunks_per_page", classPerslab(c));
    classLine(p, c, "total_pages", classPages(c));
    classLine(p, c, "total_chunks", total);
    classLine(p, c, "used_chunks", total - classFree(c));
    classLine(p, c, "free_chunks", classFree(c));
    classLine(p, c, "free_chunks_end", 0);
    classLine(p, c, "get_hits", slabStat(c, SlabStat.GET_HITS));
    classLine(p, c, "cmd_set", slabStat(c, SlabStat.SET_CMDS));
    classLine(p, c, "delete_hits", slabStat(c, SlabStat.DELETE_HITS));
    classLine(p, c, "incr_hits", slabStat(c, SlabStat.INCR_HITS));
    classLine(p, c, "decr_hits", slabStat(c, SlabStat.DECR_HITS));
    classLine(p, c, "cas_hits", slabStat(c, SlabStat.CAS_HITS));
    classLine(p, c, "cas_badval", slabStat(c, SlabStat.CAS_BADVAL));
    classLine(p, c, "touch_hits", slabStat(c, SlabStat.TOUCH_HITS));
  }
  line("active_slabs", active);
  line("total_malloced", memMalloced());
}
