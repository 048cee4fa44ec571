// `stats` and `stats settings` in the JS twin. The general group interleaves what the host
// knows (process, connections, sockets: fed by the driver through setHostStat) with the storage
// engine's counters (CacheEngine.stats()), in memcached 1.6.18's order; this table says where
// each line comes from (the core's assembly/stats/server.ts renders the same lines). An engine
// line the engine does not report is left out, as memcached leaves out the lines of machinery
// it is not running; lines an engine reports that memcached does not have come last.
// `stats settings` is rendered from host/options.ts's STATS_SETTINGS, as the core does.
import { MEMCACHED_VERSION } from "../../assembly/abi/version.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { Setting, SettingFormat } from "../../assembly/abi/settings.js";
import { STATS_SETTINGS, type ServerOptions } from "../options.js";
import type { Context } from "./context.js";

/** What the host tells the protocol: host_stats.ts slots and the runtime's name. */
export interface HostState {
  readonly stats: Float64Array;
  version: string;
}

type HostValue = (ctx: Context, host: HostState) => number | string | undefined;
// A line the storage engine provides; absent from its stats() when memcached omits it too.
const ENGINE = 0;
type Source = typeof ENGINE | HostValue;

const USEC_PER_SEC = 1000000;
const USEC_DIGITS = 6;
// memcached keeps this many descriptors back for listeners and internal pipes.
const RESERVED_FDS = 20;
const HUNDRED = 100;

const host = (slot: HostStat): HostValue => (_ctx, h) => h.stats[slot];
const usec = (slot: HostStat): HostValue => (_ctx, h) => {
  const us = Math.trunc(h.stats[slot]);
  return `${Math.floor(us / USEC_PER_SEC)}.${String(us % USEC_PER_SEC).padStart(USEC_DIGITS, "0")}`;
};
const zero: HostValue = () => 0;

const GENERAL: readonly [string, Source][] = [
  ["pid", host(HostStat.PID)],
  ["uptime", ENGINE],
  ["time", ENGINE],
  ["version", () => MEMCACHED_VERSION],
  ["libevent", (_ctx, h) => h.version],
  ["pointer_size", ENGINE],
  ["rusage_user", usec(HostStat.RUSAGE_USER_US)],
  ["rusage_system", usec(HostStat.RUSAGE_SYSTEM_US)],
  ["max_connections", (ctx) => ctx.setting(Setting.MAX_CONNS)],
  ["curr_connections", host(HostStat.CURR_CONNECTIONS)],
  ["total_connections", host(HostStat.TOTAL_CONNECTIONS)],
  ["rejected_connections", host(HostStat.REJECTED_CONNECTIONS)],
  ["connection_structures", host(HostStat.CONNECTION_STRUCTURES)],
  ["response_obj_oom", zero],
  ["response_obj_count", host(HostStat.CURR_CONNECTIONS)],
  ["response_obj_bytes", (ctx) => ctx.out.size],
  ["read_buf_count", host(HostStat.READ_BUF_COUNT)],
  ["read_buf_bytes", host(HostStat.READ_BUF_BYTES)],
  ["read_buf_bytes_free", zero],
  ["read_buf_oom", host(HostStat.READ_BUF_OOM)],
  ["reserved_fds", () => RESERVED_FDS],
  ["cmd_get", ENGINE],
  ["cmd_set", ENGINE],
  ["cmd_flush", ENGINE],
  ["cmd_touch", ENGINE],
  ["cmd_meta", zero], // the twin serves no meta command
  ["get_hits", ENGINE],
  ["get_misses", ENGINE],
  ["get_expired", ENGINE],
  ["get_flushed", ENGINE],
  ["delete_misses", ENGINE],
  ["delete_hits", ENGINE],
  ["incr_misses", ENGINE],
  ["incr_hits", ENGINE],
  ["decr_misses", ENGINE],
  ["decr_hits", ENGINE],
  ["cas_misses", ENGINE],
  ["cas_hits", ENGINE],
  ["cas_badval", ENGINE],
  ["touch_hits", ENGINE],
  ["touch_misses", ENGINE],
  ["store_too_large", ENGINE],
  ["store_no_memory", ENGINE],
  // The twin refuses -S and -Y: nobody ever logs in.
  ["auth_cmds", zero],
  ["auth_errors", zero],
  ["idle_kicks", (ctx, h) => (ctx.setting(Setting.IDLE_TIMEOUT) ? h.stats[HostStat.IDLE_KICKS] : undefined)],
  ["bytes_read", host(HostStat.BYTES_READ)],
  ["bytes_written", host(HostStat.BYTES_WRITTEN)],
  ["limit_maxbytes", ENGINE],
  ["accepting_conns", host(HostStat.ACCEPTING_CONNS)],
  ["listen_disabled_num", zero],
  ["time_in_listen_disabled_us", zero],
  ["threads", host(HostStat.THREADS)],
  ["conn_yields", host(HostStat.CONN_YIELDS)],
  ["hash_power_level", ENGINE],
  ["hash_bytes", ENGINE],
  ["hash_is_expanding", ENGINE],
  ["slab_reassign_rescues", ENGINE],
  ["slab_reassign_chunk_rescues", ENGINE],
  ["slab_reassign_evictions_nomem", ENGINE],
  ["slab_reassign_inline_reclaim", ENGINE],
  ["slab_reassign_busy_items", ENGINE],
  ["slab_reassign_busy_deletes", ENGINE],
  ["slab_reassign_running", ENGINE],
  ["slabs_moved", ENGINE],
  ["lru_crawler_running", ENGINE],
  ["lru_crawler_starts", ENGINE],
  ["lru_maintainer_juggles", ENGINE],
  ["malloc_fails", ENGINE],
  // The twin serves no `watch`: its logger only ever carries -vv traces.
  ["log_worker_dropped", zero],
  ["log_worker_written", zero],
  ["log_watcher_skipped", zero],
  ["log_watcher_sent", zero],
  ["log_watchers", zero],
  ["unexpected_napi_ids", zero],
  ["round_robin_fallback", zero],
  ["bytes", ENGINE],
  ["curr_items", ENGINE],
  ["total_items", ENGINE],
  ["slab_global_page_pool", ENGINE],
  ["expired_unfetched", ENGINE],
  ["evicted_unfetched", ENGINE],
  ["evicted_active", ENGINE],
  ["evictions", ENGINE],
  ["reclaimed", ENGINE],
  ["crawler_reclaimed", ENGINE],
  ["crawler_items_checked", ENGINE],
  ["lrutail_reflocked", ENGINE],
  ["moves_to_cold", ENGINE],
  ["moves_to_warm", ENGINE],
  ["moves_within_lru", ENGINE],
  ["direct_reclaims", ENGINE],
  ["lru_bumps_dropped", ENGINE],
];

const KNOWN = new Set(GENERAL.map(([name]) => name));

function statLine(ctx: Context, name: string, value: number | string): void {
  const out = ctx.out;
  out.ascii("STAT ");
  out.ascii(name);
  out.ascii(" ");
  if (typeof value === "number") out.u64(Math.trunc(value));
  else out.ascii(value);
  out.crlf();
}

/** `stats`: every general line, then END. */
export function renderGeneral(ctx: Context, h: HostState): void {
  const engine = ctx.engine.stats();
  for (const [name, source] of GENERAL) {
    if (source === ENGINE) {
      const v = engine.get(name);
      if (v !== undefined) statLine(ctx, name, ctx.adjust.apply(name, v));
      continue;
    }
    const v = source(ctx, h);
    if (v !== undefined) statLine(ctx, name, v);
  }
  for (const [name, v] of engine) if (!KNOWN.has(name)) statLine(ctx, name, v);
  ctx.out.line("END");
}

/** `stats settings`, from the option table, then END. `oldest` is flush_all's deadline. */
export function renderSettings(ctx: Context, oldest: number): void {
  for (const [name, format, source] of STATS_SETTINGS) {
    const v = typeof source === "number" ? ctx.setting(source) : 0;
    statLine(ctx, name, settingText(format, v, source, ctx.opts, oldest));
  }
  ctx.out.line("END");
}

function settingText(format: SettingFormat, v: number, source: unknown, o: ServerOptions, oldest: number): number | string {
  switch (format) {
    case SettingFormat.TEXT: return (source as (o: ServerOptions) => string)(o);
    case SettingFormat.FLOAT2: return fixed2(v);
    case SettingFormat.YESNO: return v !== 0 ? "yes" : "no";
    case SettingFormat.ONOFF: return v !== 0 ? "on" : "off";
    case SettingFormat.OLDEST: return oldest;
    default: return v;
  }
}

// printf's %.2f for the small non-negative settings it is used on, rounded as the core rounds.
function fixed2(v: number): string {
  const hundredths = Math.round(v * HUNDRED);
  return `${Math.floor(hundredths / HUNDRED)}.${String(hundredths % HUNDRED).padStart(2, "0")}`;
}

// `stats reset` zeroes these host counters too, as memcached (and the core) do; the rest
// describe current state.
const HOST_COUNTERS = [
  HostStat.TOTAL_CONNECTIONS, HostStat.REJECTED_CONNECTIONS, HostStat.BYTES_READ,
  HostStat.BYTES_WRITTEN, HostStat.CONN_YIELDS, HostStat.IDLE_KICKS,
] as const;

/** `stats reset`: the engine's counters, the protocol's adjustments and the host counters. */
export function resetStats(ctx: Context, h: HostState): void {
  ctx.engine.resetStats();
  ctx.adjust.reset();
  for (const slot of HOST_COUNTERS) h.stats[slot] = 0;
}
