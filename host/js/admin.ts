// flush_all, verbosity, shutdown and stats in the JS twin (memcached's
// process_flush_all_command, process_verbosity_command, process_shutdown_command and
// process_stat; the core's assembly/protocols/text.ts).

import { ProcFlag } from "../../assembly/abi/proc_flags.js";
import { Setting } from "../../assembly/abi/settings.js";
import { Context, EXEC_STOP, EXEC_STOP_AFTER } from "./context.js";
import { renderGeneral, renderSettings, resetStats, type HostState } from "./stats_text.js";
import { toI32, toU32 } from "./numbers.js";

const VERBOSITY_MAX = 2;
// memcached's realtime(): exptimes above 30 days are unix times.
const REALTIME_MAXDELTA = 60 * 60 * 24 * 30;
const ALREADY_EXPIRED = 1;

export function execFlush(ctx: Context, ntokens: number): number {
  if (ntokens > 4) return ctx.error();
  ctx.setNoreplyMaybe(ntokens);
  if (!ctx.setting(Setting.FLUSH_ENABLED)) {
    ctx.adjust.add("cmd_flush", 1); // memcached counts a refused flush_all too
    ctx.reply("CLIENT_ERROR flush_all not allowed");
    return 0;
  }
  let delay = 0;
  if (ntokens !== (ctx.noreply ? 3 : 2)) {
    const v = ctx.tok.strtol(1);
    if (v === null) {
      ctx.adjust.add("cmd_flush", 1);
      ctx.reply("CLIENT_ERROR invalid exptime argument");
      return 0;
    }
    delay = toI32(v);
  }
  ctx.oldestLive = flushDeadline(ctx, delay);
  ctx.engine.flushAll(delay);
  ctx.reply("OK");
  return 0;
}

// What `stats settings` shows as `oldest` after a flush_all: the last relative time whose
// items are flushed (one second earlier with CAS, which then tells the current second apart).
function flushDeadline(ctx: Context, delay: number): number {
  const now = ctx.engine.currentTime();
  const deadline = delay > 0 ? realtime(ctx, delay, now) : now;
  return ctx.setting(Setting.USE_CAS) ? deadline - 1 : deadline;
}

function realtime(ctx: Context, exptime: number, now: number): number {
  if (exptime <= REALTIME_MAXDELTA) return exptime + now;
  // The engine's clock as its `stats` show it: time = current_time + process_started.
  const processStarted = Number(ctx.engine.stats().get("time")) - now;
  return exptime <= processStarted ? ALREADY_EXPIRED : exptime - processStarted;
}

export function execVerbosity(ctx: Context, ntokens: number): number {
  if (ntokens !== 3 && ntokens !== 4) return ctx.error();
  ctx.setNoreplyMaybe(ntokens);
  const v = ctx.tok.strtoul(1);
  if (v === null) return ctx.clientError();
  ctx.settings[Setting.VERBOSE] = Math.min(toU32(v), VERBOSITY_MAX);
  ctx.reply("OK");
  return 0;
}

export function execShutdown(ctx: Context, ntokens: number): number {
  if (!ctx.setting(Setting.SHUTDOWN_COMMAND)) {
    ctx.reply("ERROR: shutdown not enabled");
    return 0;
  }
  if (ntokens === 2 || (ntokens === 3 && ctx.tok.is(1, "graceful"))) {
    ctx.procFlag(ProcFlag.SHUTDOWN | ProcFlag.CLOSE_NOW | (ntokens === 3 ? ProcFlag.GRACEFUL : 0));
    return EXEC_STOP;
  }
  ctx.reply("CLIENT_ERROR invalid shutdown mode");
  return 0;
}

/**
 * stats, stats settings, stats reset and stats conns. The groups that describe the WASM
 * engine's slabs, LRUs and per-prefix counters (items, slabs, sizes, detail, cachedump) are
 * not served: they answer ERROR, as an unknown group does.
 */
export function execStats(ctx: Context, ntokens: number, h: HostState): number {
  const tok = ctx.tok;
  if (ntokens === 2) {
    renderGeneral(ctx, h);
    return 0;
  }
  if (tok.is(1, "settings")) {
    renderSettings(ctx, ctx.oldestLive);
    return 0;
  }
  if (tok.is(1, "reset")) {
    resetStats(ctx, h);
    ctx.reply("RESET");
    return 0;
  }
  if (tok.is(1, "conns")) {
    // Connections are the driver's: it appends their lines and END after this call's replies.
    ctx.procFlag(ProcFlag.STATS_CONNS);
    return EXEC_STOP_AFTER;
  }
  return ctx.error();
}
