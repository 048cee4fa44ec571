// `stats` (memcached's server_stats, with its per-thread and item totals): process and
// connection lines from the host, then the engine's counters and state, in memcached 1.6.18's
// order. Each line names its stat once, next to its source.
import { thread32, ThreadGlobal } from "../layout/thread";
import { Setting } from "../abi/settings";
import { HostStat } from "../abi/host_stats";
import { MEMCACHED_VERSION } from "../abi/version";
import { setting, settingOn, settingU32, HOST_VERSION, Global, global32 } from "../layout/layout";
import { classPages, SLAB_GLOBAL_PAGE_POOL } from "../memory/slabs";
import { outStr, outBytes, outCrlf } from "../session/output";
import { Stat, stat, SlabStat, slabStatTotal, LruStat, lruStatTotal, hostStat, hostStatLatest } from "../counters/counters";
import { hashpower, hashBytes, hashExpanding } from "../cache/assoc";
import { currentTime, processStarted } from "../cache/clock";
import { crawlerRunning } from "../background/crawler";
import { reassignRunning } from "../background/slab_mover";
import { line, textLine, usecLine } from "./lines";

// memcached reports uptime from a clock that starts at ITEM_UPDATE_INTERVAL + 2.
const UPTIME_OFFSET: u32 = 60;

export function renderGeneral(): void {
  const now = currentTime();
  line("pid", hostStat(HostStat.PID));
  line("uptime", now - UPTIME_OFFSET);
  line("time", <u64>now + processStarted());
  textLine("version", MEMCACHED_VERSION);
  outStr("STAT libevent ");
  outBytes(HOST_VERSION + 1, load<u8>(HOST_VERSION));
  outCrlf();
  line("pointer_size", sizeof<usize>() * 8);
  usecLine("rusage_user", hostStat(HostStat.RUSAGE_USER_US));
  usecLine("rusage_system", hostStat(HostStat.RUSAGE_SYSTEM_US));
  line("max_connections", settingU32(Setting.MAX_CONNS));
  line("curr_connections", hostStat(HostStat.CURR_CONNECTIONS));
  line("total_connections", hostStat(HostStat.TOTAL_CONNECTIONS));
  line("rejected_connections", hostStat(HostStat.REJECTED_CONNECTIONS));
  line("connection_structures", hostStat(HostStat.CONNECTION_STRUCTURES));
  line("response_obj_oom", hostStat(HostStat.RESPONSE_OBJ_OOM));
  line("response_obj_count", hostStat(HostStat.CURR_CONNECTIONS));
  line("response_obj_bytes", <u64>thread32(ThreadGlobal.OUTBUF_SIZE));
  line("read_buf_count", hostStat(HostStat.READ_BUF_COUNT));
  line("read_buf_bytes", hostStat(HostStat.READ_BUF_BYTES));
  line("read_buf_bytes_free", 0);
  line("read_buf_oom", hostStat(HostStat.READ_BUF_OOM));
  line("reserved_fds", RESERVED_FDS);
  renderGeneralCounters();
  line("auth_cmds", stat(Stat.AUTH_CMDS));
  line("auth_errors", stat(Stat.AUTH_ERRORS));
  if (settingU32(Setting.IDLE_TIMEOUT)) line("idle_kicks", hostStat(HostStat.IDLE_KICKS));
  line("bytes_read", hostStat(HostStat.BYTES_READ));
  line("bytes_written", hostStat(HostStat.BYTES_WRITTEN));
  line("limit_maxbytes", <u64>setting(Setting.MAXBYTES));
  line("accepting_conns", hostStat(HostStat.ACCEPTING_CONNS));
  line("listen_disabled_num", 0);
  line("time_in_listen_disabled_us", 0);
  line("threads", hostStat(HostStat.THREADS));
  line("conn_yields", hostStat(HostStat.CONN_YIELDS));
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
  line("log_watcher_skipped", hostStat(HostStat.LOG_WATCHER_SKIPPED));
  line("log_watcher_sent", hostStat(HostStat.LOG_WATCHER_SENT));
  line("log_watchers", hostStat(HostStat.LOG_WATCHERS));
  if (settingOn(Setting.SSL_ENABLED)) renderTls(now);
  line("unexpected_napi_ids", 0);
  line("round_robin_fallback", 0);
  renderGeneralItems();
}

// TLS lives in the host's socket adapters; it keeps these counts.
function renderTls(now: u32): void {
  if (settingOn(Setting.SSL_SESSION_CACHE)) line("ssl_new_sessions", hostStat(HostStat.SSL_NEW_SESSIONS));
  line("ssl_handshake_errors", hostStat(HostStat.SSL_HANDSHAKE_ERRORS));
  line("time_since_server_cert_refresh", <u64>(now - <u32>hostStatLatest(HostStat.SSL_CERT_REFRESH_TIME)));
}

// memcached keeps this many descriptors back for listeners and internal pipes.
const RESERVED_FDS: u64 = 20;

// The page mover (background/slab_mover.ts). A move runs within one call; another thread's
// `stats` can find it running.
function renderSlabReassign(): void {
  line("slab_reassign_rescues", stat(Stat.SLAB_REASSIGN_RESCUES));
  line("slab_reassign_chunk_rescues", stat(Stat.SLAB_REASSIGN_CHUNK_RESCUES));
  line("slab_reassign_evictions_nomem", stat(Stat.SLAB_REASSIGN_EVICTIONS_NOMEM));
  line("slab_reassign_inline_reclaim", stat(Stat.SLAB_REASSIGN_INLINE_RECLAIM));
  line("slab_reassign_busy_items", stat(Stat.SLAB_REASSIGN_BUSY_ITEMS));
  line("slab_reassign_busy_deletes", 0);
  line("slab_reassign_running", reassignRunning() ? 1 : 0);
  line("slabs_moved", stat(Stat.SLABS_MOVED));
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

