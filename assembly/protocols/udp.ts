// UDP (memcached 1.6.18's try_read_udp, build_udp_header and transmit_udp).
//
// Every datagram, request or reply, starts with 8 bytes in network order:
//
//    0           2           4           6           8
//   ┌───────────┬───────────┬───────────┬───────────┐
//   │request id │ sequence  │   total   │ reserved  │
//   └───────────┴───────────┴───────────┴───────────┘
//
// Requests: one datagram each (total must be 1; anything else, and anything of 8 bytes or less,
// is dropped unanswered). Its payload is served like a TCP connection's input, text or binary
// as its first byte says, on a connection record of its own that every datagram starts afresh;
// a command cut off at the end of the datagram is dropped.
//
// Replies, cut as memcached cuts them, so that no request is answered with more datagrams or
// bytes than memcached would send:
// - each response object becomes its own message: `total` = ceil(length / 1392) datagrams,
//   numbered from 0, each at most 1400 bytes with the header, the request id echoed. A response
//   object is one command's reply, except in a text multi-key get, where each key is one (the
//   last also carries END);
// - an empty object (a quiet miss, a get's missing key) is sent as a lone 8-byte header with
//   total 0 only when it is the first thing memcached's transmit loop meets after a transmit
//   started; one met after a sent datagram is dropped, as are replies suppressed by noreply.
//   A transmit starts with the datagram, after each text get and after a binary NOOP, QUIT,
//   error or AUTH_CONTINUE: the protocol code marks those.
//
// The protocol code ends objects with udpRespEnd()/udpNextKey(); after udpProcess() the host
// takes the datagrams one by one with udpNext(), which writes each header into the UDP block and
// points at its payload in OUTBUF. The host only sends them.
import { thread32, setThread32, ThreadGlobal, udpBlock, udpMarks, threadIndex } from "../layout/thread";
import { ProcFlag } from "../abi/proc_flags";
import { UDP_MARKS_MAX, settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { outLen, outReset, outStr, outTruncate, outCutPoint, outCutSeen } from "../session/output";
import { CONN_SIZE, connAddr, connDumping, setConnDumping, connSwallow, connProto, PROTO_BINARY } from "../session/conn";
import { metadumpAbort } from "../operations/admin";
import { processInput } from "./negotiate";

const HEADER_LEN: u32 = 8;
const BINARY_HEADER_LEN: u32 = 24;
const MAX_PAYLOAD: u32 = 1400 - HEADER_LEN; // memcached's UDP_DATA_SIZE
const TOTAL_MAX: u32 = 0xffff;
const SEQ_MASK: u32 = 0xffff;
const TOTAL_ONE: u16 = 0x0100;              // 1 in network order, read little-endian

// UDP block:
//   0  reqid    u16   request id as received (echoed byte for byte)
//   2  active   u8    a datagram is being served: response objects are recorded
//   3  sent     u8    udpNext: a datagram went out since the current transmit started
//   4  marks    u32   response objects recorded (UDP_MARKS entries)
//   8  keys     u32   keys of the current text get served so far
//  12  object   u32   udpNext: the object being sent
//  16  seq      u32   udpNext: its next sequence number
//  20  payload  u32   udpNext: OUTBUF offset of the datagram's payload
//  24  header   8 B   udpNext: the datagram's header
//  32  flush    u8    the object about to end also ends a transmit
// UDP_MARKS entries, u64: OUTBUF offset where the object ends | SKIP | FLUSH.
const U_REQID: usize = 0;
const U_ACTIVE: usize = 2;
const U_SENT: usize = 3;
const U_MARKS: usize = 4;
const U_KEYS: usize = 8;
const U_OBJECT: usize = 12;
const U_SEQ: usize = 16;
const U_PAYLOAD: usize = 20;
const U_HEADER: usize = 24;
const U_FLUSH: usize = 32;

@inline function u(offset: usize): usize { return udpBlock() + offset; }

const SKIP: u64 = <u64>1 << 32;  // suppressed by noreply: never a datagram of its own
const FLUSH: u64 = <u64>1 << 33; // a transmit ends after this object
const END_MASK: u64 = 0xffffffff;

@inline function active(): bool { return load<u8>(u(U_ACTIVE)) != 0; }
@inline function markCount(): u32 { return load<u32>(u(U_MARKS)); }
@inline function mark(i: u32): u64 { return load<u64>(udpMarks() + (<usize>i << 3)); }
@inline function markEnd(i: u32): u32 { return <u32>(mark(i) & END_MASK); }
@inline function objectStart(i: u32): u32 { return i == 0 ? 0 : markEnd(i - 1); }

// Each thread's UDP connection record follows the TCP table (memory/areas.ts sizes it).
export function udpConnId(): u32 { return settingU32(Setting.MAX_CONNS) + threadIndex(); }
export function udpHeaderAddr(): usize { return u(U_HEADER); }
export function udpPayload(): u32 { return load<u32>(u(U_PAYLOAD)); }

// ── response objects, recorded while a datagram is served ──────────────────────────────

// Replies cut back (a get's key error, a bad magic) take their objects with them.
function trim(end: u32): u32 {
  let live = markCount();
  while (live > 0 && markEnd(live - 1) > end) live--;
  store<u32>(u(U_MARKS), live);
  return live;
}

function push(end: u32, flags: u64): void {
  let live = liveMarks();
  if (live == UDP_MARKS_MAX) {
    // Out of room: the object joins the previous one (fewer datagrams, never more).
    store<u64>(udpMarks() + (<usize>(live - 1) << 3), <u64>end | (mark(live - 1) & FLUSH) | (flags & FLUSH));
  } else {
    store<u64>(udpMarks() + (<usize>live << 3), <u64>end | flags);
    live++;
  }
  store<u32>(u(U_MARKS), live);
}

// Replies cut back (a get's key error, a bad magic) take their objects with them: marks past
// the lowest point OUTBUF was cut back to (session/output.ts) are dropped before any is read or added.
function liveMarks(): u32 {
  const live = trim(min<u32>(outLen(), outCutPoint()));
  outCutSeen();
  return live;
}

function lastEnd(): u32 {
  const n = liveMarks();
  return n == 0 ? 0 : markEnd(n - 1);
}

// A command's reply ends here. `skip`: it was suppressed by noreply.
export function udpRespEnd(skip: bool): void {
  if (!active()) return;
  const end = outLen();
  let flags: u64 = skip && end == lastEnd() ? SKIP : 0;
  if (load<u8>(u(U_FLUSH))) flags |= FLUSH;
  store<u8>(u(U_FLUSH), 0);
  store<u32>(u(U_KEYS), 0);
  push(end, flags);
}

// A text get is about to serve its next key: the previous key's object ends here.
export function udpNextKey(): void {
  if (!active()) return;
  const keys = load<u32>(u(U_KEYS));
  if (keys > 0) push(outLen(), 0);
  store<u32>(u(U_KEYS), keys + 1);
}

// The command being served makes memcached transmit once it is done.
export function udpFlushAfter(): void {
  if (active()) store<u8>(u(U_FLUSH), 1);
}

// ── a datagram ─────────────────────────────────────────────────────────────────────────

// Serves the datagram in INBUF[0, len) (`fresh`), or what is left of it after a call that ended
// with ProcFlag.AGAIN (fresh = 0: the same header, then the unconsumed payload). Returns payload
// bytes consumed; then udpNext() until it returns -1. ProcFlag.AGAIN, ProcFlag.SHUTDOWN and
// ProcFlag.REFRESH_CERTS are the only flags left for the host.
export function udpProcess(len: u32, fresh: bool): u32 {
  setThread32(ThreadGlobal.PROC_FLAGS, 0);
  setThread32(ThreadGlobal.PROC_NEED, 0);
  outReset();
  store<u32>(u(U_MARKS), 0);
  store<u32>(u(U_KEYS), 0);
  store<u8>(u(U_FLUSH), 0);
  store<u32>(u(U_OBJECT), 0);
  store<u32>(u(U_SEQ), 0);
  const base = <usize>thread32(ThreadGlobal.INBUF);
  if (len <= HEADER_LEN) return 0;
  if (load<u16>(base, 4) != TOTAL_ONE) return len - HEADER_LEN;
  store<u16>(u(U_REQID), load<u16>(base));
  const id = udpConnId();
  const c = connAddr(id);
  setThread32(ThreadGlobal.CURRENT_CONN, id);
  if (fresh) {
    memory.fill(c, 0, CONN_SIZE);
    store<u8>(u(U_SENT), 0);
  }
  store<u8>(u(U_ACTIVE), 1);
  let pos = HEADER_LEN;
  while (pos < len) {
    pos += processInput(c, base + pos, len - pos);
    const flags = thread32(ThreadGlobal.PROC_FLAGS);
    if (!(flags & ProcFlag.YIELD)) break;
    setThread32(ThreadGlobal.PROC_FLAGS, flags & ~ProcFlag.YIELD); // a datagram is served whole
  }
  store<u8>(u(U_ACTIVE), 0);
  pos = settle(c, id, pos, len);
  trim(outLen());
  if (outLen() > lastEnd()) push(outLen(), 0);
  return pos - HEADER_LEN;
}

// What a connection's flags mean for a datagram. Returns the payload position reached.
function settle(c: usize, id: u32, pos: u32, len: u32): u32 {
  const flags = thread32(ThreadGlobal.PROC_FLAGS);
  let keep = flags & (ProcFlag.AGAIN | ProcFlag.SHUTDOWN | ProcFlag.REFRESH_CERTS);
  if (flags & ProcFlag.CLOSE_NOW) {
    outReset(); // memcached drops the datagram's queued replies with the connection state
    store<u32>(u(U_MARKS), 0);
  }
  // A value cut off by the end of the datagram (conn_nread) or a refused one longer than it
  // (conn_swallow): memcached keeps reading instead of transmitting, so none of the replies
  // queued since its last transmit are sent (and it eats the next datagrams; we do not).
  const base = <usize>thread32(ThreadGlobal.INBUF);
  if (connSwallow(c) || (flags & ProcFlag.NEED_MORE && readingValue(c, base + pos, len - pos))) outTruncate(lastTransmit());
  // quit ends the datagram; an incomplete command is dropped with the rest of it.
  if (flags & (ProcFlag.CLOSE | ProcFlag.CLOSE_NOW | ProcFlag.NEED_MORE)) {
    pos = len;
    keep &= ~ProcFlag.AGAIN;
  }
  // No connection listing over UDP: the reply is just its END.
  if (flags & ProcFlag.STATS_CONNS) outStr("END\r\n");
  // Nothing can stream to a datagram's sender: a metadump is stopped where it started.
  if (connDumping(c)) {
    metadumpAbort(id);
    setConnDumping(c, false);
    keep &= ~ProcFlag.AGAIN;
  }
  setThread32(ThreadGlobal.PROC_FLAGS, keep);
  return pos;
}

// Whether the command left unfinished at `p` has its line or header and waits for its value.
function readingValue(c: usize, p: usize, n: u32): bool {
  if (connProto(c) == PROTO_BINARY) {
    return n >= BINARY_HEADER_LEN && n >= BINARY_HEADER_LEN + <u32>load<u8>(p, 4) + <u32>bswap<u16>(load<u16>(p, 2));
  }
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + i) == 0x0a) return true;
  return false;
}

// End of the last object after which memcached transmitted.
function lastTransmit(): u32 {
  for (let i = liveMarks(); i > 0; i--) if (mark(i - 1) & FLUSH) return markEnd(i - 1);
  return 0;
}

// ── replies, one datagram per call ─────────────────────────────────────────────────────

// The next datagram: its header is at udpHeaderAddr(), its payload at OUTBUF + udpPayload().
// Returns the payload length, or -1 when every datagram has been taken.
export function udpNext(): i32 {
  let i = load<u32>(u(U_OBJECT));
  const n = markCount();
  while (i < n) {
    const start = objectStart(i);
    const end = markEnd(i);
    const m = mark(i);
    if (start == end) {
      // memcached's transmit loop finishes an empty object unsent unless it meets it first.
      const silent = load<u8>(u(U_SENT)) != 0 || (m & SKIP) != 0;
      advance(i, m);
      if (silent) {
        i++;
        continue;
      }
      return datagram(0, 0, start, 0);
    }
    const total = min<u32>((end - start + MAX_PAYLOAD - 1) / MAX_PAYLOAD, TOTAL_MAX);
    const seq = load<u32>(u(U_SEQ));
    const off = start + seq * MAX_PAYLOAD;
    const size = min<u32>(MAX_PAYLOAD, end - off);
    store<u32>(u(U_SEQ), seq + 1);
    if (off + size >= end) advance(i, m);
    return datagram(seq, total, off, size);
  }
  return -1;
}

function advance(i: u32, m: u64): void {
  store<u32>(u(U_OBJECT), i + 1);
  store<u32>(u(U_SEQ), 0);
  if (m & FLUSH) store<u8>(u(U_SENT), 0);
  else if (!(m & SKIP) || markEnd(i) != objectStart(i)) store<u8>(u(U_SENT), 1);
}

function datagram(seq: u32, total: u32, payload: u32, size: u32): i32 {
  store<u16>(u(U_HEADER), load<u16>(u(U_REQID)));
  store<u16>(u(U_HEADER), bswap<u16>(<u16>(seq & SEQ_MASK)), 2);
  store<u16>(u(U_HEADER), bswap<u16>(<u16>total), 4);
  store<u16>(u(U_HEADER), 0, 6);
  store<u32>(u(U_PAYLOAD), payload);
  return <i32>size;
}
