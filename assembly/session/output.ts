// The reply writer over OUTBUF. The host copies OUTBUF[0, OUTBUF_LEN) to the socket after each
// process() call, so the position lives in GLOBALS (OUTBUF_LEN) like all mutable state.
import { thread32, setThread32, ThreadGlobal } from "../layout/thread";
import { Global, global32, setGlobal32 } from "../layout/layout";
import { formatU64, U64_DIGITS_MAX } from "../util/numbers";
import { copyDisjoint } from "../util/copy";

@inline function base(): usize { return <usize>thread32(ThreadGlobal.OUTBUF); }
@inline export function outLen(): u32 { return thread32(ThreadGlobal.OUTBUF_LEN); }
@inline export function outSize(): u32 { return thread32(ThreadGlobal.OUTBUF_SIZE); }
@inline export function outFree(): u32 { return outSize() - outLen(); }
// Address of an earlier write position, to patch a reply already started.
@inline export function outAt(pos: u32): usize { return base() + pos; }
export function outReset(): void {
  setThread32(ThreadGlobal.OUTBUF_LEN, 0);
  setThread32(ThreadGlobal.OUTBUF_SENT, 0);
  outCutSeen();
}
export function outTruncate(len: u32): void {
  setThread32(ThreadGlobal.OUTBUF_LEN, len);
  if (thread32(ThreadGlobal.OUTBUF_SENT) > len) setThread32(ThreadGlobal.OUTBUF_SENT, len);
  if (len < outCutPoint()) setThread32(ThreadGlobal.OUTBUF_CUT, len);
}
// The lowest length replies were cut back to since outCutSeen(): whoever frames the replies
// (UDP's response objects) drops what it recorded past it.
@inline export function outCutPoint(): u32 { return thread32(ThreadGlobal.OUTBUF_CUT); }
export function outCutSeen(): void { setThread32(ThreadGlobal.OUTBUF_CUT, NOT_CUT); }
const NOT_CUT: u32 = u32.MAX_VALUE;
// memcached transmits at the end of a text get (conn_mwrite): the replies so far are out of
// reach of a later command that discards the unsent ones.
export function outMarkSent(): void { setThread32(ThreadGlobal.OUTBUF_SENT, outLen()); }
export function outSent(): u32 { return thread32(ThreadGlobal.OUTBUF_SENT); }

// Callers check outFree() before replies that can be large (values); short lines always fit
// because process() keeps OUT_RESERVE free before each command. Past the end nothing is
// written, never out of bounds.
function room(n: u32): usize {
  const len = outLen();
  if (<u64>len + <u64>n > <u64>outSize()) return 0;
  setThread32(ThreadGlobal.OUTBUF_LEN, len + n);
  return base() + len;
}

export function outByte(b: u8): void {
  const p = room(1);
  if (p) store<u8>(p, b);
}

export function outBytes(src: usize, n: u32): void {
  const p = room(n);
  if (p) copyDisjoint(p, src, n);
}

// Space for n bytes the caller fills itself (values copied straight out of item memory).
export function outReserve(n: u32): usize {
  return room(n);
}

// ASCII text from an AssemblyScript string literal (UTF-16 in static data).
export function outStr(s: string): void {
  const n = <u32>s.length;
  const p = room(n);
  if (!p) return;
  const src = changetype<usize>(s);
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, <u8>load<u16>(src + (<usize>i << 1)));
}

export function outU64(v: u64): void {
  const p = room(U64_DIGITS_MAX);
  if (!p) return;
  const n = formatU64(p, v);
  setThread32(ThreadGlobal.OUTBUF_LEN, outLen() - U64_DIGITS_MAX + n);
}


export function outCrlf(): void {
  const p = room(2);
  if (p) store<u16>(p, 0x0a0d);
}

// A whole reply line: text + "\r\n".
export function outLine(s: string): void {
  outStr(s);
  outCrlf();
}
