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
//  12  resume   u32   offset into the current get line at which to continue after OUTBUF filled
//  16  login    u32   -Y: bytes of the login `set`'s data block still expected (rlbytes)
//  20  served   u32   commands served this turn (memcached's nreqs): a turn spans every call
//                     until the input runs dry or -R yields, so an `mn` or a full reply area
//                     that ends a call does not restart the count
import { Global, global32, setGlobal32, settingU32, OUT_RESERVE } from "./layout";
import { outFree } from "./output";
import { Setting } from "./settings";

export const CONN_SIZE: usize = 32;
const C_PROTO: usize = 0;
const C_DUMPING: usize = 1;
const C_SWALLOW: usize = 4;
const C_RESUME: usize = 12;
const C_AUTH: usize = 2;
const C_YIELDED: usize = 3;
const C_LOGIN: usize = 16;
const C_SERVED: usize = 20;

// C_AUTH bits (memcached's c->authenticated and c->sasl_started).
export const AUTH_OK: u8 = 1;          // may run commands
export const AUTH_LOGIN_DATA: u8 = 2;  // -Y: the login line was read, its data block is next
export const AUTH_SASL_STEP: u8 = 4;   // -S: SASL_AUTH answered AUTH_CONTINUE, a SASL_STEP may finish

export const PROTO_NEGOTIATING: u8 = 0;
export const PROTO_ASCII: u8 = 1;
export const PROTO_BINARY: u8 = 2;

// PROC_FLAGS bits: what the host must do after process().
export const PF_CLOSE: u32 = 1;        // close after sending OUTBUF (quit, protocol violation)
export const PF_NEED_MORE: u32 = 2;    // PROC_NEED bytes (from the first unconsumed one) first
export const PF_AGAIN: u32 = 4;        // OUTBUF filled: send it, then call again at once
export const PF_YIELD: u32 = 8;        // -R commands served: let other connections run first
export const PF_SHUTDOWN: u32 = 16;    // `shutdown` with -A: stop the server
export const PF_CLOSE_NOW: u32 = 32;   // close without sending (HTTP guard, oversized line)
export const PF_STATS_CONNS: u32 = 64; // `stats conns`: the host appends its connection lines
export const PF_WATCH: u32 = 256;      // `watch`: this connection now receives log lines
export const PF_SWALLOW: u32 = 128;    // a refused data block is still arriving: hold OUTBUF
export const PF_REFRESH_CERTS: u32 = 512; // `refresh_certs`: the host reloads and answers (PROC_NEED 1: noreply)

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
// The input ran dry: the next read starts a new turn with memcached's extra first command.
export function endTurn(c: usize): void {
  store<u32>(c, 0, C_SERVED);
  setConnYielded(c, false);
}
@inline export function connLogin(c: usize): u32 { return load<u32>(c, C_LOGIN); }
@inline export function setConnLogin(c: usize, n: u32): void { store<u32>(c, n, C_LOGIN); }

// Before each command, in both protocols: discard what a refused data block still owes,
// honour -R, and keep room for a reply. Returns the bytes swallowed (> 0), GATE_OPEN to run
// the command, or GATE_STOP (PROC_FLAGS says why).
export const GATE_OPEN: i64 = 0;
export const GATE_STOP: i64 = -1;
export function commandGate(c: usize, pos: usize, end: usize): i64 {
  const swallow = connSwallow(c);
  if (swallow) {
    const n = <u32>min<usize>(<usize>swallow, end - pos);
    setConnSwallow(c, swallow - n);
    return n;
  }
  // memcached counts -R down before every command but the first of a read, so a read is
  // served reqs_per_event + 1 commands and each turn after a yield reqs_per_event.
  const budget = settingU32(Setting.REQS_PER_EVENT) + (connYielded(c) ? 0 : 1);
  if (connServed(c) >= budget) {
    setConnYielded(c, true);
    store<u32>(c, 0, C_SERVED);
    setGlobal32(Global.PROC_FLAGS, global32(Global.PROC_FLAGS) | PF_YIELD);
    return GATE_STOP;
  }
  if (outFree() < <u32>OUT_RESERVE) {
    setGlobal32(Global.PROC_FLAGS, global32(Global.PROC_FLAGS) | PF_AGAIN);
    return GATE_STOP;
  }
  return GATE_OPEN;
}
