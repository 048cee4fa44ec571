// The text ("ASCII") protocol (memcached's proto_text.c): framing, tokenizer and commands.
//
// process() hands this file a connection and the bytes the host has buffered for it. Every
// complete command in them is executed and its reply appended to OUTBUF; the return value is
// how many bytes were consumed. A storage command whose data block has not fully arrived is
// left unconsumed and PROC_NEED tells the host how many bytes to wait for, so a large value
// is parsed once, when complete, instead of on every packet.
import { thread32, ThreadGlobal } from "../layout/thread";
import { ProcFlag } from "../abi/proc_flags";
import { LogType } from "../abi/log";
import { Global, global32, settingOn, settingU32, SETTINGS, KEY_MAX_LENGTH } from "../layout/layout";
import { Setting } from "../abi/settings";
import { StoreOp, StoreResult, ArithResult } from "../abi/results";
import { MEMCACHED_VERSION } from "../abi/version";
import {
  tokenize, tokAt, tokLen, tokIs, tokStartsWith, tokStrtol, tokStrtoul, num, numI32, numU32,
} from "./tokens";
import {
  itKey, itNkey, itNbytes, itClientFlags, itCas, realtime, valueCopyOut,
} from "../operations/item_view";
import { resultNumber } from "../operations/result";
import { getCommand, touchCommand } from "../operations/retrieval";
import { itemRelease } from "../operations/hold";
import { deleteCommand } from "../operations/delete";
import { flushCommand } from "../operations/flush";
import { arithCommand, countArithMiss } from "../operations/arith";
import { storeCommand, deleteStaleKey, logStore, itemSizeOk, STORE_BAD_DATA } from "../operations/storage";
import { adjustMemLimit, sizesEnableNow, sizesDisable } from "../operations/admin";
import { logWanted, logBegin, logStr, logBytes, logU64, logEnd, connFd } from "../logger/logger";
import { Stat, statIncr, statsReset } from "../counters/counters";
import { prefixRecordGet, prefixRecordSet, prefixRecordDelete } from "../counters/prefixes";
import {
  outLine, outStr, outU64, outCrlf, outFree, outTruncate, outReserve, outMarkSent, outSent, outBytes,
} from "../session/output";
import { connSwallow, connResume, setConnResume, countServed } from "../session/conn";
import { commandGate, GATE_STOP } from "../session/gate";
import { commandResponse, respStart, respReset } from "../session/responses";
import { procFlag, needBytes, waitFor } from "../session/call";
import { renderStats, StatsGroup } from "../stats/render";
import { renderSizes } from "../stats/sizes";
import { renderDetailDump } from "../stats/detail";
import {
  reply, replyParts, noreply, setNoreply, setNoreplyMaybe, error, clientError, swallow,
  EXEC_NEED_MORE, EXEC_STOP, EXEC_STOP_AFTER,
} from "./replies";
import { execMeta } from "./meta";
import { execLruCrawler, execLru, execSlabs, execCachedump, execWatch, execRefreshCerts } from "./admin";
import { udpRespEnd, udpNextKey, udpFlushAfter } from "./udp";

const NL: u8 = 0x0a;
const CR: u8 = 0x0d;
const SPACE: u8 = 0x20;

// memcached's read buffer is 16 KiB: a command line must end within it, and a partial line
// over 2048 bytes closes the connection unless it is a get, whose lines may be any length.
const READ_BUFFER_SIZE: u32 = 16384;
const PARTIAL_LINE_MAX: u32 = 2048;
const LEADING_SPACES_MAX: u32 = 100;
const VERBOSITY_MAX: u32 = 2;
const INT_MAX: i64 = 2147483647;
const MEMLIMIT_MIN_MB: u64 = 8;
const MEMLIMIT_MAX_MB: u64 = 1000000000;
const VALUE_LINE_MAX: u32 = 6 + 250 + 1 + 10 + 1 + 10 + 1 + 20 + 2; // "VALUE k f n cas\r\n"
const END_LEN: u32 = 5;

// -vv: memcached traces every command line and reply on stderr ("<fd line", ">fd reply").
function traceLine(line: usize, end: usize): void {
  const e = logBegin(LogType.VERBOSE);
  logStr(e, "<");
  logU64(e, connFd());
  logStr(e, " ");
  logBytes(e, line, <u32>(end - line));
  logEnd(e);
}

// ">fd<text><bytes>": memcached's get traces (sending key, END).
function traceText(text: string, p: usize, n: u32): void {
  const e = logBegin(LogType.VERBOSE);
  logStr(e, ">");
  logU64(e, connFd());
  logStr(e, text);
  logBytes(e, p, n);
  logEnd(e);
}

// ── framing ────────────────────────────────────────────────────────────────────────────

const ONES: u64 = 0x0101010101010101;
const HIGHS: u64 = 0x8080808080808080;
const NL_BYTES: u64 = 0x0a0a0a0a0a0a0a0a;

// First '\n' in [p, end), eight bytes at a time (a zero byte of x ^ NL_BYTES is a newline).
function findNewline(p: usize, end: usize): usize {
  while (p + 8 <= end) {
    const x = load<u64>(p) ^ NL_BYTES;
    const hit = (x - ONES) & ~x & HIGHS;
    if (hit) return p + <usize>(ctz<u64>(hit) >> 3);
    p += 8;
  }
  while (p < end) {
    if (load<u8>(p) == NL) return p;
    p++;
  }
  return 0;
}

function startsWithGet(p: usize, end: usize): bool {
  let spaces: u32 = 0;
  while (p < end && load<u8>(p) == SPACE) {
    p++;
    spaces++;
  }
  if (spaces > LEADING_SPACES_MAX) return false;
  if (end - p >= 4 && load<u32>(p) == 0x20746567) return true;              // "get "
  return end - p >= 5 && load<u32>(p) == 0x73746567 && load<u8>(p, 4) == SPACE; // "gets "
}

// Processes text commands from [base, base + len). Returns bytes consumed.
export function processText(c: usize, base: usize, len: u32): u32 {
  const end = base + len;
  let pos = base;
  const inSize = thread32(ThreadGlobal.INBUF_SIZE);
  while (pos < end) {
    const g = commandGate(c, pos, end);
    if (g == GATE_STOP) break;
    if (g > 0) {
      pos += <usize>g;
      continue;
    }
    const avail = <u32>(end - pos);
    const window = pos + min<usize>(avail, READ_BUFFER_SIZE);
    let nl = findNewline(pos, window);
    if (!nl) {
      if (avail <= PARTIAL_LINE_MAX) return waitFor(base, pos, avail + 1);
      if (!startsWithGet(pos, end)) {
        procFlag(ProcFlag.CLOSE_NOW);
        return <u32>(pos - base);
      }
      nl = findNewline(window, end);
      if (!nl) {
        if (avail < inSize) return waitFor(base, pos, avail + 1);
        outLine("SERVER_ERROR out of memory reading request");
        procFlag(ProcFlag.CLOSE);
        return <u32>(pos - base);
      }
    }
    let lineEnd = nl;
    if (nl - pos > 1 && load<u8>(nl - 1) == CR) lineEnd = nl - 1;
    lineEnd = cutAtNul(pos, lineEnd);
    if (!commandResponse(c)) break;
    setNoreply(false);
    if (logWanted(LogType.VERBOSE)) traceLine(pos, lineEnd);
    const r = execLine(c, pos, lineEnd, nl + 1, <u32>(end - nl - 1));
    if (r == EXEC_NEED_MORE) return <u32>(pos - base);
    if (r == EXEC_STOP) {
      if (thread32(ThreadGlobal.PROC_FLAGS) & (ProcFlag.CLOSE | ProcFlag.SHUTDOWN)) pos = nl + 1;
      break;
    }
    if (r == EXEC_STOP_AFTER) {
      pos = nl + 1;
      countServed(c);
      break;
    }
    pos = nl + 1 + <usize>r;
    udpRespEnd(noreply());
    countServed(c);
    if (thread32(ThreadGlobal.PROC_FLAGS) & (ProcFlag.CLOSE | ProcFlag.CLOSE_NOW)) break;
  }
  // memcached sends nothing from conn_swallow: the replies queued before and with the refusal
  // go out only once the refused block has been read and dropped.
  if (connSwallow(c)) procFlag(ProcFlag.SWALLOW);
  return <u32>(pos - base);
}


// C reads the line as a string: a NUL byte ends it.
function cutAtNul(p: usize, end: usize): usize {
  for (let q = p; q < end; q++) if (load<u8>(q) == 0) return q;
  return end;
}

// ── dispatch (memcached's process_command_ascii) ──────────────────────────────────────

function execLine(c: usize, line: usize, lineEnd: usize, data: usize, dataAvail: u32): i64 {
  const ntokens = tokenize(line, lineEnd);
  if (ntokens < 2 || tokLen(0) < 2) {
    reply("ERROR");
    return 0;
  }
  const first = load<u8>(tokAt(0));
  if (first == 0x6d && tokLen(0) == 2) return execMeta(c, ntokens, data, dataAvail); // m?
  if (first == 0x67) return execG(c, ntokens, line, lineEnd);                // g
  if (first == 0x73) return execS(c, ntokens, data, dataAvail);              // s
  if (first == 0x61) {                                                       // a
    if (tokIs(0, "add")) return execUpdate(c, ntokens, StoreOp.ADD, data, dataAvail);
    if (tokIs(0, "append")) return execUpdate(c, ntokens, StoreOp.APPEND, data, dataAvail);
    return error();
  }
  if (first == 0x63) {                                                       // c
    if (tokIs(0, "cas")) return execUpdate(c, ntokens, StoreOp.CAS, data, dataAvail);
    if (tokIs(0, "cache_memlimit")) return execMemlimit(ntokens);
    return error();
  }
  if (first == 0x69) return tokIs(0, "incr") ? execArith(ntokens, true) : error();    // i
  if (first == 0x64) {                                                       // d
    if (tokIs(0, "delete")) return execDelete(ntokens);
    if (tokIs(0, "decr")) return execArith(ntokens, false);
    return error();
  }
  if (first == 0x74) return tokIs(0, "touch") ? execTouch(ntokens) : error();  // t
  if (tokIs(0, "replace")) return execUpdate(c, ntokens, StoreOp.REPLACE, data, dataAvail);
  if (tokIs(0, "prepend")) return execUpdate(c, ntokens, StoreOp.PREPEND, data, dataAvail);
  if (tokIs(0, "bget")) return ntokens < 3 ? error() : execGet(c, ntokens, false, false, line, lineEnd);
  if (tokIs(0, "flush_all")) return execFlush(ntokens);
  if (tokIs(0, "version")) {
    replyParts("VERSION ", MEMCACHED_VERSION);
    return 0;
  }
  if (tokIs(0, "quit")) {
    procFlag(ProcFlag.CLOSE);
    return EXEC_STOP;
  }
  if (tokIs(0, "lru_crawler")) return execLruCrawler(ntokens);
  if (tokIs(0, "verbosity")) return execVerbosity(ntokens);
  if (tokIs(0, "lru")) return execLru(ntokens);
  if (tokIs(0, "watch")) return execWatch(ntokens);
  if (tokIs(0, "refresh_certs")) return execRefreshCerts(ntokens);
  // memcached's guard against HTTP clients: close without a word.
  if (tokStartsWith(ntokens - 2, "HTTP/")) {
    procFlag(ProcFlag.CLOSE_NOW);
    return EXEC_STOP;
  }
  return error();
}

function execG(c: usize, ntokens: u32, line: usize, lineEnd: usize): i64 {
  if (ntokens < 3) return error();
  if (tokIs(0, "get")) return execGet(c, ntokens, false, false, line, lineEnd);
  if (tokIs(0, "gets")) return execGet(c, ntokens, true, false, line, lineEnd);
  if (tokIs(0, "gat")) return execGet(c, ntokens, false, true, line, lineEnd);
  if (tokIs(0, "gats")) return execGet(c, ntokens, true, true, line, lineEnd);
  return error();
}

function execS(c: usize, ntokens: u32, data: usize, dataAvail: u32): i64 {
  if (tokIs(0, "set")) return execUpdate(c, ntokens, StoreOp.SET, data, dataAvail);
  if (tokIs(0, "stats")) return execStats(ntokens);
  if (tokIs(0, "shutdown")) return execShutdown(ntokens);
  if (tokIs(0, "slabs")) return execSlabs(ntokens);
  return error();
}

// ── retrieval ──────────────────────────────────────────────────────────────────────────

// get/gets/gat/gats/bget. Keys beyond the first token batch are tokenized batch by batch.
// When OUTBUF cannot take one more value of the largest size, the line is left unconsumed
// with the offset of the next key saved; the host sends OUTBUF and calls again.
function execGet(c: usize, ntokens: u32, withCas: bool, touch: bool, line: usize, lineEnd: usize): i64 {
  let exptime: i64 = 0;
  let k: u32 = 1;
  if (touch) {
    if (!tokStrtol(1)) {
      reply("CLIENT_ERROR invalid exptime argument");
      return 0;
    }
    exptime = <i64>numI32();
    k = 2;
  }
  const resume = connResume(c);
  const worst = settingU32(Setting.ITEM_SIZE_MAX) + VALUE_LINE_MAX + END_LEN;
  let n = ntokens;
  // The command's own response object serves its first key.
  let first = !resume;
  while (true) {
    for (; k < n - 1; k++) {
      const key = tokAt(k);
      if (resume && key - line < <usize>resume) continue;
      const nkey = tokLen(k);
      if (nkey > KEY_MAX_LENGTH) {
        // memcached drops every reply it has not sent yet, then reports the bad key.
        outTruncate(outSent());
        setConnResume(c, 0);
        outLine("CLIENT_ERROR bad command line format");
        return 0;
      }
      if (outFree() < worst) {
        setConnResume(c, <u32>(key - line));
        procFlag(ProcFlag.AGAIN);
        return EXEC_STOP;
      }
      // Every key after the first needs a response object of its own, as in memcached; with
      // none left the unsent replies are dropped for memcached's error.
      if (!first && !respStart(c)) {
        outTruncate(outSent());
        setConnResume(c, 0);
        outLine("SERVER_ERROR out of memory writing get response");
        return 0;
      }
      first = false;
      udpNextKey(); // over UDP each key is a response object of its own, as in memcached
      const it = getCommand(key, nkey, touch, exptime);
      if (it) {
        writeValue(it, withCas);
        itemRelease();
        if (logWanted(LogType.VERBOSE)) traceText(" sending key ", key, nkey);
      }
      prefixRecordGet(key, nkey, it != 0);
    }
    const rest = tokAt(n - 1);
    if (!rest) break;
    n = tokenize(rest, lineEnd);
    k = 0;
  }
  setConnResume(c, 0);
  if (logWanted(LogType.VERBOSE)) traceText(" END", 0, 0);
  outStr("END");
  outCrlf();
  outMarkSent();
  respReset(c);
  udpFlushAfter();
  return 0;
}

function writeValue(it: usize, withCas: bool): void {
  const nbytes = itNbytes(it);
  outStr("VALUE ");
  outBytes(itKey(it), itNkey(it));
  outStr(" ");
  outU64(itClientFlags(it));
  outStr(" ");
  outU64(nbytes);
  if (withCas) {
    outStr(" ");
    outU64(itCas(it));
  }
  outCrlf();
  const dst = outReserve(nbytes);
  if (dst) valueCopyOut(it, dst);
  outCrlf();
}

// ── storage (memcached's process_update_command + complete_nread_ascii) ────────────────

function execUpdate(c: usize, ntokens: u32, op: StoreOp, data: usize, dataAvail: u32): i64 {
  const handleCas = op == StoreOp.CAS;
  if (handleCas ? (ntokens != 7 && ntokens != 8) : (ntokens != 6 && ntokens != 7)) return error();
  setNoreplyMaybe(ntokens);
  const nkey = tokLen(1);
  if (nkey > KEY_MAX_LENGTH) return clientError();
  if (!tokStrtoul(2)) return clientError();
  const flags = numU32();
  if (!tokStrtol(3)) return clientError();
  const exptime = <i64>numI32();
  if (!tokStrtol(4)) return clientError();
  const vlen = <i64>numI32();
  let casIn: u64 = 0;
  if (handleCas) {
    if (!tokStrtoul(5)) return clientError();
    casIn = num();
  }
  if (vlen < 0 || vlen > INT_MAX - 2) return clientError();
  const total = <u32>vlen + 2;
  const key = tokAt(1);
  if (!itemSizeOk(nkey, flags, <u64>vlen)) {
    prefixRecordSet(key, nkey);
    reply("SERVER_ERROR object too large for cache");
    statIncr(Stat.STORE_TOO_LARGE);
    logStore(key, nkey, StoreResult.TOO_LARGE, op, 0);
    if (op == StoreOp.SET) deleteStaleKey(key, nkey);
    return swallow(c, total, dataAvail);
  }
  if (dataAvail < total) {
    needBytes(<u32>(data - tokAt(0)) + total);
    return EXEC_NEED_MORE;
  }
  prefixRecordSet(key, nkey); // once, now that the line will not be parsed again
  const valid = load<u16>(data + <usize>vlen) == 0x0a0d;
  const r = storeCommand(op, key, nkey, flags, realtime(exptime), data, <u32>vlen, casIn, valid ? 0 : STORE_BAD_DATA);
  replyStore(r);
  return total;
}

function replyStore(r: StoreResult): void {
  switch (r) {
    case StoreResult.STORED: reply("STORED"); break;
    case StoreResult.NOT_STORED: reply("NOT_STORED"); break;
    case StoreResult.EXISTS: reply("EXISTS"); break;
    case StoreResult.NOT_FOUND: reply("NOT_FOUND"); break;
    case StoreResult.TOO_LARGE: reply("SERVER_ERROR object too large for cache"); break;
    case StoreResult.NO_MEMORY: reply("SERVER_ERROR out of memory storing object"); break;
    default: reply("CLIENT_ERROR bad data chunk");
  }
}

// ── delete / incr / decr / touch ───────────────────────────────────────────────────────

function execDelete(ntokens: u32): i64 {
  if (ntokens < 3 || ntokens > 5) return error();
  if (ntokens > 3) {
    const holdIsZero = tokIs(2, "0");
    const setsNoreply = setNoreplyMaybe(ntokens);
    const valid = (ntokens == 4 && (holdIsZero || setsNoreply)) || (ntokens == 5 && holdIsZero && setsNoreply);
    if (!valid) {
      reply("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
      return 0;
    }
  }
  if (tokLen(1) > KEY_MAX_LENGTH) return clientError();
  prefixRecordDelete(tokAt(1), tokLen(1));
  reply(deleteCommand(tokAt(1), tokLen(1)) ? "DELETED" : "NOT_FOUND");
  return 0;
}

function execArith(ntokens: u32, incr: bool): i64 {
  if (ntokens != 4 && ntokens != 5) return error();
  setNoreplyMaybe(ntokens);
  if (tokLen(1) > KEY_MAX_LENGTH) return clientError();
  if (!tokStrtoul(2)) {
    reply("CLIENT_ERROR invalid numeric delta argument");
    return 0;
  }
  const r = arithCommand(tokAt(1), tokLen(1), incr, num(), 0);
  switch (r) {
    case ArithResult.OK: {
      if (noreply()) break;
      outU64(resultNumber());
      outCrlf();
      break;
    }
    case ArithResult.NON_NUMERIC: reply("CLIENT_ERROR cannot increment or decrement non-numeric value"); break;
    case ArithResult.NO_MEMORY: reply("SERVER_ERROR out of memory"); break;
    default:
      countArithMiss(incr);
      reply("NOT_FOUND");
  }
  return 0;
}

function execTouch(ntokens: u32): i64 {
  if (ntokens != 4 && ntokens != 5) return error();
  setNoreplyMaybe(ntokens);
  if (tokLen(1) > KEY_MAX_LENGTH) return clientError();
  if (!tokStrtol(2)) {
    reply("CLIENT_ERROR invalid exptime argument");
    return 0;
  }
  reply(touchCommand(tokAt(1), tokLen(1), <i64>numI32()) ? "TOUCHED" : "NOT_FOUND");
  return 0;
}

// ── flush_all / verbosity / cache_memlimit / shutdown / stats ─────────────────────────

function execFlush(ntokens: u32): i64 {
  if (ntokens < 2 || ntokens > 4) return error();
  setNoreplyMaybe(ntokens);
  statIncr(Stat.CMD_FLUSH);
  if (!settingOn(Setting.FLUSH_ENABLED)) {
    reply("CLIENT_ERROR flush_all not allowed");
    return 0;
  }
  let delay: i64 = 0;
  if (ntokens != (noreply() ? <u32>3 : <u32>2)) {
    if (!tokStrtol(1)) {
      reply("CLIENT_ERROR invalid exptime argument");
      return 0;
    }
    delay = <i64>numI32();
  }
  flushCommand(delay);
  reply("OK");
  return 0;
}

function execVerbosity(ntokens: u32): i64 {
  if (ntokens != 3 && ntokens != 4) return error();
  setNoreplyMaybe(ntokens);
  if (!tokStrtoul(1)) return clientError();
  const level = numU32();
  store<f64>(SETTINGS + (<usize>Setting.VERBOSE << 3), <f64>min<u32>(level, VERBOSITY_MAX));
  reply("OK");
  return 0;
}

function execMemlimit(ntokens: u32): i64 {
  if (ntokens != 3 && ntokens != 4) return error();
  setNoreplyMaybe(ntokens);
  if (!tokStrtoul(1)) return error();
  const mb = <u64>numU32();
  if (mb < MEMLIMIT_MIN_MB) {
    reply("MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m");
  } else if (mb > MEMLIMIT_MAX_MB) {
    reply("MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes");
  } else {
    adjustMemLimit(mb << 20);
    reply("OK");
  }
  return 0;
}

function execShutdown(ntokens: u32): i64 {
  if (!settingOn(Setting.SHUTDOWN_COMMAND)) {
    reply("ERROR: shutdown not enabled");
    return 0;
  }
  if (ntokens == 2 || (ntokens == 3 && tokIs(1, "graceful"))) {
    procFlag(ProcFlag.SHUTDOWN | ProcFlag.CLOSE_NOW | (ntokens == 3 ? ProcFlag.GRACEFUL : 0));
    return EXEC_STOP;
  }
  reply("CLIENT_ERROR invalid shutdown mode");
  return 0;
}

function execStats(ntokens: u32): i64 {
  if (ntokens == 2) {
    renderStats(StatsGroup.GENERAL);
    return 0;
  }
  if (tokIs(1, "detail")) return execStatsDetail(ntokens);
  if (tokIs(1, "conns")) {
    // Connections are the host's: it appends their lines and END after this reply.
    procFlag(ProcFlag.STATS_CONNS);
    return EXEC_STOP_AFTER;
  }
  if (tokIs(1, "sizes")) {
    renderSizes();
    return 0;
  }
  if (tokIs(1, "sizes_enable")) {
    reply(sizesEnableNow() ? "STAT sizes_status enabled" : "STAT sizes_status disabled");
    return 0;
  }
  if (tokIs(1, "sizes_disable")) {
    sizesDisable();
    reply("STAT sizes_status disabled");
    return 0;
  }
  if (tokIs(1, "reset")) {
    statsReset();
    reply("RESET");
    return 0;
  }
  if (tokIs(1, "settings")) renderStats(StatsGroup.SETTINGS);
  else if (tokIs(1, "items")) renderStats(StatsGroup.ITEMS);
  else if (tokIs(1, "slabs")) renderStats(StatsGroup.SLABS);
  else if (tokIs(1, "cachedump")) return execCachedump(ntokens);
  else return error();
  return 0;
}

// `stats detail on|off|dump`
function execStatsDetail(ntokens: u32): i64 {
  if (ntokens >= 4 && (tokIs(2, "on") || tokIs(2, "off"))) {
    store<f64>(SETTINGS + (<usize>Setting.DETAIL_ENABLED << 3), tokIs(2, "on") ? 1 : 0);
    reply("OK");
  } else if (ntokens >= 4 && tokIs(2, "dump")) {
    renderDetailDump();
  } else {
    reply("CLIENT_ERROR usage: stats detail on|off|dump");
  }
  return 0;
}
