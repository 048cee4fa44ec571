// Operator commands of the text protocol: lru_crawler, lru, slabs, watch, refresh_certs, and
// the stats families that take arguments (cachedump). memcached's proto_text.c handles the same
// words.
import { thread32, setThread32, ThreadGlobal } from "../layout/thread";
import { settingOn, setSetting, Global, global32, setGlobal32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { ProcFlag } from "../abi/proc_flags";
import { LogType } from "../abi/log";
import { CrawlStart } from "../abi/results";
import { crawlerStart, crawlerStartMetadump, slabsReassign, ReassignResult } from "../operations/admin";
import { outLen, outLine } from "../session/output";
import { connAddr, setConnDumping } from "../session/conn";
import { procFlag } from "../session/call";
import { renderCachedump } from "../stats/cachedump";
import { tokAt, tokLen, tokIs, tokStrtol, tokStrtoul, tokStrtod, numI32, numU32, numF64, parseUnsigned } from "./tokens";
import { reply, setNoreplyMaybe, error, clientError, EXEC_STOP_AFTER } from "./replies";

const MAX_CLASS_ID: u32 = 63;          // MAX_NUMBER_OF_SLAB_CLASSES - 1
const CRAWLER_SLEEP_MAX: u32 = 1000000;
const LRU_PCT_MAX: u32 = 80;

// ── lru_crawler ────────────────────────────────────────────────────────────────────────

export function execLruCrawler(ntokens: u32): i64 {
  if (ntokens == 4 && tokIs(1, "crawl")) return crawlCommand();
  if (ntokens == 4 && tokIs(1, "metadump")) return metadumpCommand();
  if (ntokens == 4 && tokIs(1, "tocrawl")) {
    if (!tokStrtoul(2)) return clientError();
    setSetting(Setting.CRAWLER_TOCRAWL, <f64>numU32());
    reply("OK");
    return 0;
  }
  if (ntokens == 4 && tokIs(1, "sleep")) {
    if (!tokStrtoul(2)) return clientError();
    if (numU32() > CRAWLER_SLEEP_MAX) {
      reply("CLIENT_ERROR sleep must be one second or less");
      return 0;
    }
    setSetting(Setting.CRAWLER_SLEEP, <f64>numU32());
    reply("OK");
    return 0;
  }
  if (ntokens == 3 && (tokIs(1, "enable") || tokIs(1, "disable"))) {
    // memcached cannot start its crawler thread twice; stopping a stopped one is fine.
    if (tokIs(1, "enable") && settingOn(Setting.LRU_CRAWLER)) {
      reply("ERROR failed to start lru crawler thread");
      return 0;
    }
    setSetting(Setting.LRU_CRAWLER, tokIs(1, "enable") ? 1 : 0);
    reply("OK");
    return 0;
  }
  return error();
}

// "all" or a comma list of class ids, as a bit set; BADCLASS for an id outside 1..63.
const BAD_CLASS_LIST: u64 = 0;
const ALL_CLASSES: u64 = u64.MAX_VALUE & ~1; // bits 1..63
const COMMA: u8 = 0x2c;
function classList(p: usize, len: u32): u64 {
  if (len == 3 && load<u8>(p) == 0x61 && load<u16>(p, 1) == 0x6c6c) return ALL_CLASSES; // "all"
  let mask: u64 = 0;
  let start: u32 = 0;
  for (let i: u32 = 0; i <= len; i++) {
    if (i < len && load<u8>(p + i) != COMMA) continue;
    if (i == start) { start = i + 1; continue; } // strtok skips empty fields
    if (!parseUnsigned(p + start, i - start)) return BAD_CLASS_LIST;
    const id = numU32();
    if (id < 1 || id > MAX_CLASS_ID) return BAD_CLASS_LIST;
    mask |= <u64>1 << id;
    start = i + 1;
  }
  return mask;
}


function crawlCommand(): i64 {
  if (!settingOn(Setting.LRU_CRAWLER)) {
    reply("CLIENT_ERROR lru crawler disabled");
    return 0;
  }
  const mask = classList(tokAt(2), tokLen(2));
  if (mask == BAD_CLASS_LIST) {
    reply("BADCLASS invalid class id");
    return 0;
  }
  switch (crawlerStart(mask)) {
    case CrawlStart.OK: reply("OK"); break;
    case CrawlStart.BUSY: reply("BUSY currently processing crawler request"); break;
    default: reply("NOTSTARTED no items to crawl");
  }
  return 0;
}

function metadumpCommand(): i64 {
  if (!settingOn(Setting.LRU_CRAWLER)) {
    reply("CLIENT_ERROR lru crawler disabled");
    return 0;
  }
  if (!settingOn(Setting.DUMP_ENABLED)) {
    reply("ERROR metadump not allowed");
    return 0;
  }
  if (outLen() > 0) {
    reply("ERROR cannot pipeline other commands before metadump");
    return 0;
  }
  const hashOrder = tokIs(2, "hash"); // listed through the LRUs as well: every item once
  const mask = hashOrder ? ALL_CLASSES : classList(tokAt(2), tokLen(2));
  if (mask == BAD_CLASS_LIST) {
    reply("BADCLASS invalid class id");
    return 0;
  }
  const conn = thread32(ThreadGlobal.CURRENT_CONN);
  switch (crawlerStartMetadump(mask, conn)) {
    case CrawlStart.OK:
      // The dump streams from the next process() calls; the host keeps calling while it asks.
      setConnDumping(connAddr(conn), true);
      procFlag(ProcFlag.AGAIN);
      return EXEC_STOP_AFTER;
    case CrawlStart.BUSY: reply("BUSY currently processing crawler request"); break;
    default: reply("NOTSTARTED no items to crawl");
  }
  return 0;
}

// ── lru ────────────────────────────────────────────────────────────────────────────────

export function execLru(ntokens: u32): i64 {
  if (ntokens < 3) return error();
  setNoreplyMaybe(ntokens);
  const maintainer = settingOn(Setting.MAINTAINER);
  if (tokIs(1, "tune") && ntokens >= 7) return lruTune();
  if (tokIs(1, "mode") && ntokens >= 4 && maintainer) {
    if (tokIs(2, "flat")) setSetting(Setting.LRU_SEGMENTED, 0);
    else if (tokIs(2, "segmented")) setSetting(Setting.LRU_SEGMENTED, 1);
    else return error();
    reply("OK");
    return 0;
  }
  if (tokIs(1, "temp_ttl") && ntokens >= 4 && maintainer) {
    if (!tokStrtol(2)) return error();
    const ttl = numI32();
    setSetting(Setting.TEMP_LRU, ttl < 0 ? 0 : 1);
    if (ttl >= 0) setSetting(Setting.TEMPORARY_TTL, <f64>ttl);
    reply("OK");
    return 0;
  }
  return error();
}

function lruTune(): i64 {
  if (!tokStrtoul(2)) return error();
  const hot = numU32();
  if (!tokStrtoul(3)) return error();
  const warm = numU32();
  if (!tokStrtod(4)) return error();
  const hotFactor = numF64();
  if (!tokStrtod(5)) return error();
  const warmFactor = numF64();
  if (<u64>hot + <u64>warm > LRU_PCT_MAX) {
    reply("ERROR hot and warm pcts must not exceed 80");
    return 0;
  }
  if (warmFactor <= 0 || hotFactor <= 0) {
    reply("ERROR hot/warm age factors must be greater than 0");
    return 0;
  }
  setSetting(Setting.HOT_LRU_PCT, <f64>hot);
  setSetting(Setting.WARM_LRU_PCT, <f64>warm);
  setSetting(Setting.HOT_MAX_FACTOR, hotFactor);
  setSetting(Setting.WARM_MAX_FACTOR, warmFactor);
  reply("OK");
  return 0;
}

// ── slabs ──────────────────────────────────────────────────────────────────────────────

export function execSlabs(ntokens: u32): i64 {
  if (ntokens == 5 && tokIs(1, "reassign")) {
    if (!settingOn(Setting.SLAB_REASSIGN)) {
      reply("CLIENT_ERROR slab reassignment disabled");
      return 0;
    }
    if (!tokStrtol(2)) return clientError();
    const src = numI32();
    if (!tokStrtol(3)) return clientError();
    const dst = numI32();
    switch (slabsReassign(src, dst)) {
      case ReassignResult.OK: reply("OK"); break;
      case ReassignResult.RUNNING: reply("BUSY currently processing reassign request"); break;
      case ReassignResult.BADCLASS: reply("BADCLASS invalid src or dst class id"); break;
      case ReassignResult.NOSPARE: reply("NOSPARE source class has no spare pages"); break;
      default: reply("SAME src and dst class are identical");
    }
    return 0;
  }
  if (ntokens >= 4 && tokIs(1, "automove")) {
    setNoreplyMaybe(ntokens);
    if (tokIs(2, "ratio")) {
      if (ntokens < 5 || !tokStrtod(3)) return error();
      setSetting(Setting.SLAB_AUTOMOVE_RATIO, numF64());
    } else {
      if (!tokStrtoul(2)) return clientError();
      const level = numU32();
      if (level > 2) return error();
      setSetting(Setting.SLAB_AUTOMOVE, <f64>level);
    }
    reply("OK");
    return 0;
  }
  return error();
}

// ── stats cachedump <class> <limit> ────────────────────────────────────────────────────
// Lists the COLD LRU of one class, newest first, as memcached does; at most 2 MB.

export function execCachedump(ntokens: u32): i64 {
  if (!settingOn(Setting.DUMP_ENABLED)) {
    reply("CLIENT_ERROR stats cachedump not allowed");
    return 0;
  }
  if (ntokens < 5) {
    reply("CLIENT_ERROR bad command line");
    return 0;
  }
  if (!tokStrtoul(2)) return clientError();
  const id = numU32();
  if (!tokStrtoul(3)) return clientError();
  const limit = numU32();
  if (id > MAX_CLASS_ID) {
    reply("CLIENT_ERROR Illegal slab id");
    return 0;
  }
  renderCachedump(id, limit);
  return 0;
}

// ── watch ──────────────────────────────────────────────────────────────────────────────
// The connection becomes a log watcher: the core answers OK and hands the host the event
// types (ProcFlag.WATCH, procWatchMask()); from then on the host streams log lines to it.

export function execWatch(ntokens: u32): i64 {
  setNoreplyMaybe(ntokens);
  if (!settingOn(Setting.WATCH_ENABLED)) {
    reply("CLIENT_ERROR watch commands not allowed");
    return 0;
  }
  if (outLen() > 0) {
    reply("ERROR cannot pipeline other commands before watch");
    return 0;
  }
  let mask: u32 = ntokens > 2 ? 0 : LogType.FETCHERS;
  for (let i: u32 = 1; i < ntokens - 1; i++) {
    const bit = watchType(i);
    if (bit == 0) return error();
    mask |= bit;
  }
  reply("OK");
  procFlag(ProcFlag.WATCH);
  setThread32(ThreadGlobal.PROC_WATCH_MASK, mask);
  return EXEC_STOP_AFTER;
}

// Event words memcached's watch accepts; proxy ones are accepted and never fire here.
function watchType(i: u32): u32 {
  if (tokIs(i, "fetchers")) return LogType.FETCHERS;
  if (tokIs(i, "mutations")) return LogType.MUTATIONS;
  if (tokIs(i, "evictions")) return LogType.EVICTIONS;
  if (tokIs(i, "connevents")) return LogType.CONNEVENTS;
  if (tokIs(i, "rawcmds") || tokIs(i, "sysevents") || tokIs(i, "proxyreqs") ||
      tokIs(i, "proxyevents") || tokIs(i, "proxyuser")) return LogType.QUIET;
  return 0;
}

// ── refresh_certs ──────────────────────────────────────────────────────────────────────
// TLS is the host's: it reloads the certificate and key, then answers OK (unless noreply:
// procNeed() 1) or the reason. memcached sends its error text even with noreply.

export function execRefreshCerts(ntokens: u32): i64 {
  if (!settingOn(Setting.SSL_ENABLED)) {
    outLine("Error TLS not enabled");
    return 0;
  }
  procFlag(ProcFlag.REFRESH_CERTS);
  setThread32(ThreadGlobal.PROC_NEED, setNoreplyMaybe(ntokens) ? 1 : 0);
  return EXEC_STOP_AFTER;
}
