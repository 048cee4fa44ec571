// Per-connection protocol state (memcached's conn: the parts the parser needs between calls).
// The host owns sockets and buffering; the core keeps only what must survive from one
// process() call to the next.
//
// Connection record (CONNS + id × 32):
//   0  proto    u8    PROTO_NEGOTIATING until the first byte decides (-B auto), then ascii/binary
//   1  dumping  u8    a metadump streams to this connection; its input waits until END
//   2  auth     u8    AUTH_* bits: logged in (-S / -Y), a login's data block or SASL step pending
//   3  yielded  u8    the turn began after a -R yield (no extra first command)
//   4  swallow  u32   data bytes still to discard after a refused storage command
//                     (memcached's conn_swallow / sbytes)
//   8  resume   u32   offset into the current get line at which to continue after OUTBUF filled
//  12  login    u32   -Y: bytes of the login `set`'s data block still expected (rlbytes)
//  16  served   u32   commands served this turn (memcached's nreqs): a turn spans every call
//                     until the input runs dry or -R yields, so an `mn` or a full reply area
//                     that ends a call does not restart the count
//  20  replies  u32   response objects stacked since the replies last went out (memcached's
//                     resp_start), held against the thread's RESPONSE_LIMIT (session/responses.ts)
//  24  (8 bytes free)
import { Global, global32, settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";

export const CONN_SIZE: usize = 32;
const C_PROTO: usize = 0;
const C_DUMPING: usize = 1;
const C_AUTH: usize = 2;
const C_YIELDED: usize = 3;
const C_SWALLOW: usize = 4;
const C_RESUME: usize = 8;
const C_LOGIN: usize = 12;
const C_SERVED: usize = 16;
const C_REPLIES: usize = 20;

// C_AUTH bits (memcached's c->authenticated and c->sasl_started).
export const AUTH_OK: u8 = 1;          // may run commands
export const AUTH_LOGIN_DATA: u8 = 2;  // -Y: the login line was read, its data block is next
export const AUTH_SASL_STEP: u8 = 4;   // -S: SASL_AUTH answered AUTH_CONTINUE, a SASL_STEP may finish

export const PROTO_NEGOTIATING: u8 = 0;
export const PROTO_ASCII: u8 = 1;
export const PROTO_BINARY: u8 = 2;


@inline export function connAddr(id: u32): usize {
  return <usize>global32(Global.CONNS) + <usize>id * CONN_SIZE;
}

export function connValid(id: u32): bool {
  return id < settingU32(Setting.MAX_CONNS);
}

export function connReset(id: u32): void {
  memory.fill(connAddr(id), 0, CONN_SIZE);
}

@inline export function connProto(c: usize): u8 { return load<u8>(c, C_PROTO); }
@inline export function setConnProto(c: usize, p: u8): void { store<u8>(c, p, C_PROTO); }
@inline export function connDumping(c: usize): bool { return load<u8>(c, C_DUMPING) != 0; }
@inline export function setConnDumping(c: usize, on: bool): void { store<u8>(c, on ? 1 : 0, C_DUMPING); }
@inline export function connSwallow(c: usize): u32 { return load<u32>(c, C_SWALLOW); }
@inline export function setConnSwallow(c: usize, n: u32): void { store<u32>(c, n, C_SWALLOW); }
@inline export function connResume(c: usize): u32 { return load<u32>(c, C_RESUME); }
@inline export function setConnResume(c: usize, n: u32): void { store<u32>(c, n, C_RESUME); }
@inline export function connAuth(c: usize): u8 { return load<u8>(c, C_AUTH); }
@inline export function setConnAuth(c: usize, bits: u8): void { store<u8>(c, bits, C_AUTH); }
@inline export function connYielded(c: usize): bool { return load<u8>(c, C_YIELDED) != 0; }
@inline export function setConnYielded(c: usize, on: bool): void { store<u8>(c, on ? 1 : 0, C_YIELDED); }
@inline export function connServed(c: usize): u32 { return load<u32>(c, C_SERVED); }
@inline export function countServed(c: usize): void { store<u32>(c, load<u32>(c, C_SERVED) + 1, C_SERVED); }
@inline export function resetServed(c: usize): void { store<u32>(c, 0, C_SERVED); }
@inline export function connLogin(c: usize): u32 { return load<u32>(c, C_LOGIN); }
@inline export function setConnLogin(c: usize, n: u32): void { store<u32>(c, n, C_LOGIN); }
@inline export function connReplies(c: usize): u32 { return load<u32>(c, C_REPLIES); }
@inline export function setConnReplies(c: usize, n: u32): void { store<u32>(c, n, C_REPLIES); }
