// The JS twin's framing of text commands (memcached's try_read_command_ascii and its
// conn_swallow / -R / line-length rules; the core's processText in assembly/protocols/text.ts):
// every complete command in the buffered bytes is executed, and the flags tell the driver
// what to wait for or do next.

import { OUT_RESERVE } from "../../assembly/abi/limits.js";
import { ProcFlag } from "../../assembly/abi/proc_flags.js";
import { Setting } from "../../assembly/abi/settings.js";
import { Context, Conn, EXEC_NEED_MORE, EXEC_STOP, EXEC_STOP_AFTER } from "./context.js";
import { execLine } from "./dispatch.js";
import type { HostState } from "./stats_text.js";

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const NUL = 0;
// memcached's read buffer is 16 KiB: a command line must end within it, and a partial line
// over 2048 bytes closes the connection unless it is a get, whose lines may be any length.
const READ_BUFFER_SIZE = 16384;
const PARTIAL_LINE_MAX = 2048;
const LEADING_SPACES_MAX = 100;
/** Room kept free in the output area before any command: every reply but a get's values fits. */


function findNewline(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (buf[i] === LF) return i;
  return -1;
}

// "get " or "gets " after at most 100 spaces: the lines memcached lets grow past its buffer.
function startsWithGet(buf: Uint8Array, p: number, end: number): boolean {
  let spaces = 0;
  while (p < end && buf[p] === SPACE) {
    p++;
    spaces++;
  }
  if (spaces > LEADING_SPACES_MAX) return false;
  return startsWith(buf, p, end, "get ") || startsWith(buf, p, end, "gets ");
}

function startsWith(buf: Uint8Array, p: number, end: number, s: string): boolean {
  if (end - p < s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[p + i] !== s.charCodeAt(i)) return false;
  return true;
}

// C reads the line as a string: a NUL byte ends it.
function cutAtNul(buf: Uint8Array, p: number, end: number): number {
  for (let q = p; q < end; q++) if (buf[q] === NUL) return q;
  return end;
}

/** Serves buf[base, base + len) for `conn`; returns the bytes consumed. */
export function processText(ctx: Context, conn: Conn, h: HostState, base: number, len: number, inSize: number): number {
  const buf = ctx.buf;
  const end = base + len;
  const reqsPerEvent = ctx.setting(Setting.REQS_PER_EVENT);
  let pos = base;
  while (pos < end) {
    if (conn.swallow) {
      const n = Math.min(conn.swallow, end - pos);
      conn.swallow -= n;
      pos += n;
      continue;
    }
    // memcached counts -R down before every command but the first of a read, so a read is
    // served reqs_per_event + 1 commands and each turn after a yield reqs_per_event.
    if (conn.served >= reqsPerEvent + (conn.yielded ? 0 : 1)) {
      conn.yielded = true;
      conn.served = 0;
      ctx.procFlag(ProcFlag.YIELD);
      break;
    }
    if (ctx.out.free() < OUT_RESERVE) {
      ctx.procFlag(ProcFlag.AGAIN);
      break;
    }
    const avail = end - pos;
    const window = pos + Math.min(avail, READ_BUFFER_SIZE);
    let nl = findNewline(buf, pos, window);
    if (nl < 0) {
      if (avail <= PARTIAL_LINE_MAX) return needMore(ctx, base, pos, avail + 1);
      if (!startsWithGet(buf, pos, end)) {
        ctx.procFlag(ProcFlag.CLOSE_NOW);
        return pos - base;
      }
      nl = findNewline(buf, window, end);
      if (nl < 0) {
        if (avail < inSize) return needMore(ctx, base, pos, avail + 1);
        ctx.out.line("SERVER_ERROR out of memory reading request");
        ctx.procFlag(ProcFlag.CLOSE);
        return pos - base;
      }
    }
    let lineEnd = nl;
    if (nl - pos > 1 && buf[nl - 1] === CR) lineEnd = nl - 1;
    lineEnd = cutAtNul(buf, pos, lineEnd);
    ctx.noreply = false;
    if (ctx.tracing()) ctx.traceBytes(`<${ctx.fd()} `, pos, lineEnd);
    const r = execLine(ctx, conn, h, pos, lineEnd, nl + 1, end - nl - 1);
    if (r === EXEC_NEED_MORE) return pos - base;
    if (r === EXEC_STOP) {
      if (ctx.flags & (ProcFlag.CLOSE | ProcFlag.SHUTDOWN)) pos = nl + 1;
      break;
    }
    if (r === EXEC_STOP_AFTER) {
      pos = nl + 1;
      conn.served++;
      break;
    }
    pos = nl + 1 + r;
    conn.served++;
    if (ctx.flags & (ProcFlag.CLOSE | ProcFlag.CLOSE_NOW)) break;
  }
  // memcached sends nothing from conn_swallow: the replies queued before and with the refusal
  // go out only once the refused block has been read and dropped.
  if (conn.swallow) ctx.procFlag(ProcFlag.SWALLOW);
  return pos - base;
}

function needMore(ctx: Context, base: number, pos: number, need: number): number {
  ctx.procFlag(ProcFlag.NEED_MORE);
  ctx.need = need;
  return pos - base;
}
