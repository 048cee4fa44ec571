// The logger (memcached's logger.c): events for `watch` connections and, with -vv, the
// command and reply trace memcached prints on stderr.
//
// Entries are appended to LOGBUF while anyone listens (a watcher's type is in WATCH_MASK, or
// verbosity is 2); the host drains LOGBUF after each call, stamps watcher lines with the time
// and hands them to the watchers or to stderr. A full buffer drops entries and counts them.
//
// Entry: type u8, length u16 (of the text), gid u64, text (no trailing newline).
import { thread32, setThread32, ThreadGlobal } from "../layout/thread";
import { Global, GLOBALS, settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { LogType, LogEntry } from "../abi/log";
import { formatU64, U64_DIGITS_MAX } from "../util/numbers";
import { uriUnreserved, hexDigit } from "../util/uri";



export const LOGBUF_SIZE: u32 = 256 * 1024;
const ENTRY_HEADER: u32 = LogEntry.HEADER;
const ENTRY_MAX: u32 = 1024;
const VERBOSE_TRACE: u32 = 2;

@inline export function logWanted(type: LogType): bool {
  if (type == LogType.VERBOSE) return settingU32(Setting.VERBOSE) >= VERBOSE_TRACE;
  return (settingU32(Setting.WATCH_MASK) & <u32>type) != 0;
}

// ── entry writer ───────────────────────────────────────────────────────────────────────

@inline function base(): usize { return <usize>thread32(ThreadGlobal.LOGBUF); }

// Starts an entry; 0 when the buffer cannot take one more of the largest size.
export function logBegin(type: LogType): usize {
  const len = thread32(ThreadGlobal.LOG_LEN);
  if (len + ENTRY_HEADER + ENTRY_MAX > LOGBUF_SIZE) {
    setThread32(ThreadGlobal.LOG_DROPPED, thread32(ThreadGlobal.LOG_DROPPED) + 1);
    return 0;
  }
  const e = base() + len;
  store<u8>(e, <u8>type);
  store<u16>(e, 0, 1);
  // Watch lines are numbered; -vv traces are not (memcached prints them straight to stderr).
  const gid: u64 = type == LogType.VERBOSE ? 0 : nextLogGid();
  store<u64>(e, gid, 3);
  return e;
}

// Appends to the entry begun at e (text past ENTRY_MAX is cut).
export function logBytes(e: usize, p: usize, n: u32): void {
  if (!e) return;
  const used = <u32>load<u16>(e, 1);
  const take = min<u32>(n, ENTRY_MAX - used);
  memory.copy(e + ENTRY_HEADER + used, p, take);
  store<u16>(e, <u16>(used + take), 1);
}

export function logByte(e: usize, b: u8): void {
  if (!e) return;
  const used = <u32>load<u16>(e, 1);
  if (used >= ENTRY_MAX) return;
  store<u8>(e + ENTRY_HEADER + used, b);
  store<u16>(e, <u16>(used + 1), 1);
}

export function logStr(e: usize, s: string): void {
  if (!e) return;
  const n = <u32>s.length;
  const used = <u32>load<u16>(e, 1);
  const take = min<u32>(n, ENTRY_MAX - used);
  const src = changetype<usize>(s);
  for (let i: u32 = 0; i < take; i++) store<u8>(e + ENTRY_HEADER + used + i, <u8>load<u16>(src + (<usize>i << 1)));
  store<u16>(e, <u16>(used + take), 1);
}

export function logU64(e: usize, v: u64): void {
  if (!e) return;
  const used = <u32>load<u16>(e, 1);
  if (used + U64_DIGITS_MAX > ENTRY_MAX) return;
  const n = formatU64(e + ENTRY_HEADER + used, v);
  store<u16>(e, <u16>(used + n), 1);
}

export function logI64(e: usize, v: i64): void {
  if (v < 0) {
    logStr(e, "-");
    logU64(e, <u64>(-v));
    return;
  }
  logU64(e, <u64>v);
}

export function logEnd(e: usize): void {
  if (!e) return;
  setThread32(ThreadGlobal.LOG_LEN, thread32(ThreadGlobal.LOG_LEN) + ENTRY_HEADER + <u32>load<u16>(e, 1));
}

// The host has taken everything.
export function logReset(): void { setThread32(ThreadGlobal.LOG_LEN, 0); }

// Keys in log lines are URI-encoded, as memcached's are.
export function logKey(e: usize, p: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (uriUnreserved(c)) {
      logBytes(e, p + i, 1);
      continue;
    }
    logByte(e, 0x25);
    logByte(e, hexDigit(c >> 4));
    logByte(e, hexDigit(c & 15));
  }
}

export function connFd(): u64 {
  return <u64>thread32(ThreadGlobal.CURRENT_CONN) + <u64>settingU32(Setting.CONN_FD_BASE);
}


// Log ids are one sequence for every thread's entries and the host's connection events.
export function nextLogGid(): u64 {
  return atomic.add<u64>(GLOBALS + (<usize>Global.LOG_GID << 3), 1) + 1;
}
