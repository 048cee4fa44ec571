// The binary protocol (memcached 1.6.18's proto_bin.c; deprecated there since 1.6, still served).
//
// Request and response header, 24 bytes, network byte order:
//
//         0          1          2          3
//    ┌──────────┬──────────┬─────────────────────┐
//  0 │  magic   │  opcode  │     key length      │  magic 0x80 request, 0x81 response
//    ├──────────┼──────────┼─────────────────────┤
//  4 │ extlen   │ datatype │ vbucket  /  status  │  request: ignored; response: Status
//    ├──────────┴──────────┴─────────────────────┤
//  8 │            total body length              │  extras + key + value
//    ├───────────────────────────────────────────┤
// 12 │                 opaque                    │  echoed byte for byte
//    ├───────────────────────────────────────────┤
// 16 │                  CAS                      │  request: compare; response: the item's
//    │                                           │
//    └───────────────────────────────────────────┘
//    extras (extlen) │ key (key length) │ value (the rest of the body)
//
// Framing follows memcached: the header, extras and key must be buffered before a packet is
// looked at (ProcFlag.NEED_MORE asks for exactly that much); the value of a storage or SASL packet is
// waited for whole, so a large value is parsed once. Other opcodes consume header, extras and key
// only, and memcached reads any value bytes they carry as the next packet: so do we.
// Validation failures answer EINVAL and close the connection; unknown opcodes answer
// UNKNOWN_COMMAND and skip `body length` bytes counted from after the key, as memcached does.
import { thread32, ThreadGlobal } from "../layout/thread";
import { ProcFlag } from "../abi/proc_flags";
import { Global, global32, settingOn, settingU32, setSetting, KEY_MAX_LENGTH } from "../layout/layout";
import { binpktBlock } from "../layout/thread";
import { Setting } from "../abi/settings";
import { StoreOp, StoreResult, ArithResult } from "../abi/results";
import { MEMCACHED_VERSION } from "../abi/version";
import { itKey, itNbytes, itClientFlags, itCas, realtime, valueCopyOut } from "../operations/item_view";
import { getCommand } from "../operations/retrieval";
import { itemRelease } from "../operations/hold";
import { deleteIfCas, DeleteResult } from "../operations/delete";
import { flushCommand } from "../operations/flush";
import { storeCommand, deleteStaleKey, logStore, itemSizeOk } from "../operations/storage";
import { arithCommand, countArithMiss, createCounter } from "../operations/arith";
import { sizesEnableNow, sizesDisable } from "../operations/admin";
import { resultCas, resultNumber } from "../operations/result";
import { Stat, statIncr, statsReset } from "../counters/counters";
import { prefixRecordGet, prefixRecordSet, prefixRecordDelete } from "../counters/prefixes";
import { outReserve, outBytes, outStr, outLen, outFree, outSize, outAt, outTruncate } from "../session/output";
import { connSwallow, setConnSwallow, countServed } from "../session/conn";
import { commandGate, GATE_STOP } from "../session/gate";
import { commandResponse } from "../session/responses";
import { procFlag, needBytes, waitFor } from "../session/call";
import { renderStats, StatsGroup } from "../stats/render";
import { renderSizes } from "../stats/sizes";
import { renderDetailDump } from "../stats/detail";
import { authenticated, saslAuthenticate, saslLogout, SaslResult, SASL_MECHS } from "./auth";
import { udpRespEnd, udpFlushAfter } from "./udp";

export const REQUEST_MAGIC: u8 = 0x80;
const RESPONSE_MAGIC: u8 = 0x81;
const RAW_BYTES: u8 = 0;
const HEADER_LEN: u32 = 24;

// protocol_binary.h opcodes memcached 1.6.18 serves. Every other value, VERBOSITY (0x1b) and
// the range commands included, is answered UNKNOWN_COMMAND, as memcached answers it.
enum Op {
  GET = 0x00, SET = 0x01, ADD = 0x02, REPLACE = 0x03, DELETE = 0x04, INCREMENT = 0x05,
  DECREMENT = 0x06, QUIT = 0x07, FLUSH = 0x08, GETQ = 0x09, NOOP = 0x0a, VERSION = 0x0b,
  GETK = 0x0c, GETKQ = 0x0d, APPEND = 0x0e, PREPEND = 0x0f, STAT = 0x10, SETQ = 0x11,
  ADDQ = 0x12, REPLACEQ = 0x13, DELETEQ = 0x14, INCREMENTQ = 0x15, DECREMENTQ = 0x16,
  QUITQ = 0x17, FLUSHQ = 0x18, APPENDQ = 0x19, PREPENDQ = 0x1a, TOUCH = 0x1c, GAT = 0x1d,
  GATQ = 0x1e, SASL_LIST_MECHS = 0x20, SASL_AUTH = 0x21, SASL_STEP = 0x22, GATK = 0x23, GATKQ = 0x24,
}

enum Status {
  SUCCESS = 0x00, KEY_ENOENT = 0x01, KEY_EEXISTS = 0x02, E2BIG = 0x03, EINVAL = 0x04,
  NOT_STORED = 0x05, DELTA_BADVAL = 0x06, AUTH_ERROR = 0x20, AUTH_CONTINUE = 0x21,
  UNKNOWN_COMMAND = 0x81, ENOMEM = 0x82,
}

// Extras lengths each opcode requires.
const STORE_EXTLEN: u32 = 8;   // flags u32, expiration u32
const ARITH_EXTLEN: u32 = 20;  // delta u64, initial u64, expiration u32
const TOUCH_EXTLEN: u32 = 4;   // expiration u32
const FLUSH_EXTLEN: u32 = 4;   // delay u32 (optional)
const FLAGS_LEN: u32 = 4;      // a hit's extras: the client flags
const COUNTER_LEN: u32 = 8;    // incr/decr's value: the counter, u64
const ARITH_NO_CREATE: u32 = 0xffffffff; // expiration that makes a missed incr fail
const SASL_MECH_MAX: u32 = 32; // memcached's MAX_SASL_MECH_LEN

// execPacket results besides "value bytes consumed".
const BIN_NEED_MORE: i64 = -1; // the packet's value is still arriving (ProcFlag.NEED_MORE set)
const BIN_AGAIN: i64 = -2;     // not enough OUTBUF for the reply: send, then call again

// BINPKT: the packet being served.
//   0  opcode   u8    as received, echoed in every response header
//   1  quiet    u8    a quiet opcode: success replies are not sent
//   4  conn     u32   the connection record (a refused value is swallowed through it)
//   8  opaque   u32   as received
//  16  cas      u64   the request's CAS
//  24  respCas  u64   the CAS the response header carries (memcached's c->cas)
//  32  counter  u64   an incr/decr reply's value, big-endian
//  56  sentTo   u32   OUTBUF length at the last point memcached would have transmitted
const P_OPCODE: usize = 0;
const P_QUIET: usize = 1;
const P_CONN: usize = 4;
const P_OPAQUE: usize = 8;
const P_CAS: usize = 16;
const P_RESP_CAS: usize = 24;
const P_COUNTER: usize = 32;
const P_SENT_TO: usize = 56;

@inline function pkt(offset: usize): usize { return binpktBlock() + offset; }

@inline function quiet(): bool { return load<u8>(pkt(P_QUIET)) != 0; }
@inline function requestCas(): u64 { return load<u64>(pkt(P_CAS)); }
@inline function setRespCas(v: u64): void { store<u64>(pkt(P_RESP_CAS), v); }

@inline function be16(p: usize): u32 { return <u32>bswap<u16>(load<u16>(p)); }
@inline function be32(p: usize): u32 { return bswap<u32>(load<u32>(p)); }
@inline function be64(p: usize): u64 { return bswap<u64>(load<u64>(p)); }


// ── framing ────────────────────────────────────────────────────────────────────────────

// Serves every complete packet in [base, base + len). Returns bytes consumed.
export function processBinary(c: usize, base: usize, len: u32): u32 {
  const end = base + len;
  let pos = base;
  store<u32>(pkt(P_SENT_TO), outLen());
  while (pos < end) {
    const g = commandGate(c, pos, end);
    if (g == GATE_STOP) break;
    if (g > 0) {
      pos += <usize>g;
      continue;
    }
    const avail = <u32>(end - pos);
    if (avail < HEADER_LEN) return waitFor(base, pos, HEADER_LEN);
    // A bad magic closes at once: of the replies queued, only those memcached had already
    // transmitted go out.
    if (load<u8>(pos) != REQUEST_MAGIC) {
      outTruncate(load<u32>(pkt(P_SENT_TO)));
      procFlag(ProcFlag.CLOSE);
      break;
    }
    const headLen = HEADER_LEN + <u32>load<u8>(pos, 4) + be16(pos + 2);
    if (avail < headLen) return waitFor(base, pos, headLen);
    if (!commandResponse(c)) break;
    const r = execPacket(c, pos, avail - headLen);
    if (r == BIN_NEED_MORE) return <u32>(pos - base);
    if (r == BIN_AGAIN) break;
    pos += <usize>headLen + <usize>r;
    countServed(c);
    udpRespEnd(false);
    if (thread32(ThreadGlobal.PROC_FLAGS) & (ProcFlag.CLOSE | ProcFlag.CLOSE_NOW)) break;
  }
  // As for text: replies wait until a refused value has been read and dropped.
  if (connSwallow(c)) procFlag(ProcFlag.SWALLOW);
  return <u32>(pos - base);
}

// The non-quiet form of a quiet opcode (memcached serves the quiet ones as these with noreply).
function loudForm(op: u32): u32 {
  switch (op) {
    case Op.SETQ: return Op.SET;
    case Op.ADDQ: return Op.ADD;
    case Op.REPLACEQ: return Op.REPLACE;
    case Op.DELETEQ: return Op.DELETE;
    case Op.INCREMENTQ: return Op.INCREMENT;
    case Op.DECREMENTQ: return Op.DECREMENT;
    case Op.QUITQ: return Op.QUIT;
    case Op.FLUSHQ: return Op.FLUSH;
    case Op.APPENDQ: return Op.APPEND;
    case Op.PREPENDQ: return Op.PREPEND;
    case Op.GETQ: return Op.GET;
    case Op.GETKQ: return Op.GETK;
    case Op.GATQ: return Op.GAT;
    case Op.GATKQ: return Op.GATK;
    default: return op;
  }
}

// With -S, only these run before a successful SASL_AUTH.
function allowedUnauthenticated(op: u32): bool {
  return op == Op.SASL_LIST_MECHS || op == Op.SASL_AUTH || op == Op.SASL_STEP || op == Op.VERSION;
}

// One packet whose header, extras and key are buffered; `dataAvail` bytes follow the key.
// Returns the value bytes consumed, BIN_NEED_MORE or BIN_AGAIN (memcached's dispatch_bin_command).
function execPacket(c: usize, p: usize, dataAvail: u32): i64 {
  const op = <u32>load<u8>(p, 1);
  const keylen = be16(p + 2);
  const extlen = <u32>load<u8>(p, 4);
  const bodylen = be32(p + 8);
  store<u8>(pkt(P_OPCODE), <u8>op);
  store<u32>(pkt(P_CONN), <u32>c);
  store<u32>(pkt(P_OPAQUE), load<u32>(p, 12));
  store<u64>(pkt(P_CAS), be64(p + 16));
  setRespCas(0);
  store<u8>(pkt(P_QUIET), 0);
  if (<u64>keylen + extlen > <u64>bodylen) return closeWith(Status.UNKNOWN_COMMAND);
  if (settingOn(Setting.SASL) && !allowedUnauthenticated(op) && !authenticated(c)) return closeWith(Status.AUTH_ERROR);
  const cmd = loudForm(op);
  store<u8>(pkt(P_QUIET), cmd != op ? 1 : 0);
  if (keylen > KEY_MAX_LENGTH) return closeWith(Status.EINVAL);
  const ext = p + HEADER_LEN;
  const key = ext + extlen;
  const valueLen = bodylen - keylen - extlen;
  const bare = extlen == 0 && keylen == 0 && bodylen == 0;
  switch (cmd) {
    case Op.VERSION: return bare ? respondText(MEMCACHED_VERSION) : closeWith(Status.EINVAL);
    case Op.NOOP: return bare ? noop() : closeWith(Status.EINVAL);
    case Op.QUIT: return bare ? quit() : closeWith(Status.EINVAL);
    case Op.FLUSH:
      return keylen == 0 && bodylen == extlen && (extlen == 0 || extlen == FLUSH_EXTLEN) ? flush(ext, extlen) : closeWith(Status.EINVAL);
    case Op.SET:
    case Op.ADD:
    case Op.REPLACE:
      if (extlen != STORE_EXTLEN || keylen == 0) return closeWith(Status.EINVAL);
      return update(cmd, key, keylen, be32(ext), be32(ext + 4), valueLen, dataAvail, bodylen);
    case Op.APPEND:
    case Op.PREPEND:
      if (extlen != 0 || keylen == 0) return closeWith(Status.EINVAL);
      return update(cmd, key, keylen, 0, 0, valueLen, dataAvail, bodylen);
    case Op.GET:
    case Op.GETK:
      return extlen == 0 && bodylen == keylen && keylen > 0 ? retrieve(cmd, key, keylen, 0) : closeWith(Status.EINVAL);
    case Op.TOUCH:
    case Op.GAT:
    case Op.GATK:
      return extlen == TOUCH_EXTLEN && keylen != 0 ? retrieve(cmd, key, keylen, be32(ext)) : closeWith(Status.EINVAL);
    case Op.DELETE:
      return keylen > 0 && extlen == 0 && bodylen == keylen ? remove(key, keylen) : closeWith(Status.EINVAL);
    case Op.INCREMENT:
    case Op.DECREMENT:
      return keylen > 0 && extlen == ARITH_EXTLEN && bodylen == keylen + extlen ? arith(cmd == Op.INCREMENT, key, keylen, ext) : closeWith(Status.EINVAL);
    case Op.STAT: return extlen == 0 ? stats(key, keylen) : closeWith(Status.EINVAL);
    case Op.SASL_LIST_MECHS: return bare ? saslList(c, dataAvail) : closeWith(Status.EINVAL);
    case Op.SASL_AUTH:
    case Op.SASL_STEP:
      if (extlen != 0 || keylen == 0) return closeWith(Status.EINVAL);
      return sasl(c, cmd == Op.SASL_STEP, key, keylen, valueLen, dataAvail, bodylen);
    default:
      return fail(Status.UNKNOWN_COMMAND, bodylen, dataAvail);
  }
}

// ── replies ────────────────────────────────────────────────────────────────────────────

function header(status: Status, extlen: u32, keylen: u32, bodylen: u32): void {
  const h = outReserve(HEADER_LEN);
  if (!h) return;
  store<u8>(h, RESPONSE_MAGIC);
  store<u8>(h, load<u8>(pkt(P_OPCODE)), 1);
  store<u16>(h, bswap<u16>(<u16>keylen), 2);
  store<u8>(h, <u8>extlen, 4);
  store<u8>(h, RAW_BYTES, 5);
  store<u16>(h, bswap<u16>(<u16>status), 6);
  store<u32>(h, bswap<u32>(bodylen), 8);
  store<u32>(h, load<u32>(pkt(P_OPAQUE)), 12);
  store<u64>(h, bswap<u64>(load<u64>(pkt(P_RESP_CAS))), 16);
}

// memcached's write_bin_response: a success, unless the opcode was quiet.
function respond(value: usize, n: u32): i64 {
  if (quiet()) return 0;
  header(Status.SUCCESS, 0, 0, n);
  outBytes(value, n);
  return 0;
}

function respondText(s: string): i64 {
  if (quiet()) return 0;
  header(Status.SUCCESS, 0, 0, <u32>s.length);
  outStr(s);
  return 0;
}

function statusText(status: Status): string {
  switch (status) {
    case Status.KEY_ENOENT: return "Not found";
    case Status.KEY_EEXISTS: return "Data exists for key.";
    case Status.E2BIG: return "Too large.";
    case Status.EINVAL: return "Invalid arguments";
    case Status.NOT_STORED: return "Not stored.";
    case Status.DELTA_BADVAL: return "Non-numeric server-side value for incr or decr";
    case Status.AUTH_ERROR: return "Auth failure.";
    case Status.UNKNOWN_COMMAND: return "Unknown command";
    default: return "Out of memory";
  }
}

// memcached's write_bin_error: errors are sent even for quiet opcodes. With `skip` bytes to
// discard after the key, the value being refused is swallowed as it arrives.
function failText(status: Status, text: string, skip: u32, dataAvail: u32): i64 {
  header(status, 0, 0, <u32>text.length);
  outStr(text);
  if (skip == 0) {
    transmitPoint(); // memcached transmits right after an error (conn_mwrite)
    return 0;
  }
  if (dataAvail >= skip) return skip;
  setConnSwallow(<usize>load<u32>(pkt(P_CONN)), skip - dataAvail);
  return dataAvail;
}

function fail(status: Status, skip: u32, dataAvail: u32): i64 {
  return failText(status, statusText(status), skip, dataAvail);
}

// The error, then close once it is sent (protocol violations, unauthenticated commands).
function closeWith(status: Status): i64 {
  fail(status, 0, 0);
  procFlag(ProcFlag.CLOSE);
  return 0;
}

// ── commands ───────────────────────────────────────────────────────────────────────────

// Where memcached switches to conn_mwrite and sends everything queued so far: replies up to
// here survive a later bad magic, and over UDP a transmit ends here.
function transmitPoint(): void {
  store<u32>(pkt(P_SENT_TO), outLen());
  udpFlushAfter();
}

function noop(): i64 {
  header(Status.SUCCESS, 0, 0, 0);
  transmitPoint(); // NOOP makes memcached send whatever quiet commands left queued
  return 0;
}

function quit(): i64 {
  respond(0, 0);
  transmitPoint();
  procFlag(ProcFlag.CLOSE);
  return 0;
}

// -F refuses with AUTH_ERROR; only allowed flushes count in cmd_flush here (unlike text).
function flush(ext: usize, extlen: u32): i64 {
  if (!settingOn(Setting.FLUSH_ENABLED)) return fail(Status.AUTH_ERROR, 0, 0);
  flushCommand(extlen == FLUSH_EXTLEN ? <i64>be32(ext) : 0);
  statIncr(Stat.CMD_FLUSH);
  return respond(0, 0);
}

// set/add/replace (flags, exptime from the extras; a non-zero CAS makes any of them a cas) and
// append/prepend. memcached refuses an oversized value before reading it; the value is then
// waited for whole.
function update(cmd: u32, key: usize, nkey: u32, flags: u32, exptime: u32, vlen: u32, dataAvail: u32, bodylen: u32): i64 {
  let op = cmd == Op.SET ? StoreOp.SET : cmd == Op.ADD ? StoreOp.ADD : cmd == Op.REPLACE ? StoreOp.REPLACE
    : cmd == Op.APPEND ? StoreOp.APPEND : StoreOp.PREPEND;
  if (dataAvail < vlen) {
    if (!itemSizeOk(nkey, flags, vlen)) return tooLarge(op, key, nkey, vlen, dataAvail);
    needBytes(HEADER_LEN + bodylen);
    return BIN_NEED_MORE;
  }
  if (!itemSizeOk(nkey, flags, vlen)) return tooLarge(op, key, nkey, vlen, dataAvail);
  prefixRecordSet(key, nkey); // once, now that the packet will not be parsed again
  const casIn = requestCas();
  if (casIn != 0 && op <= StoreOp.REPLACE) op = StoreOp.CAS;
  const r = storeCommand(op, key, nkey, flags, realtime(<i64>exptime), key + nkey, vlen, casIn, 0);
  if (r == StoreResult.STORED) {
    setRespCas(resultCas());
    respond(0, 0);
    return vlen;
  }
  if (r == StoreResult.NO_MEMORY) return failText(Status.ENOMEM, "Out of memory allocating item", 0, 0) + vlen;
  return fail(storeStatus(r, cmd, op), 0, 0) + vlen;
}

function tooLarge(op: StoreOp, key: usize, nkey: u32, vlen: u32, dataAvail: u32): i64 {
  prefixRecordSet(key, nkey);
  logStore(key, nkey, StoreResult.TOO_LARGE, op, 0);
  if (op == StoreOp.SET) deleteStaleKey(key, nkey); // a failed set must not leave the old value
  return fail(Status.E2BIG, vlen, dataAvail);
}

// memcached's complete_update_bin: a refused add is EEXISTS, a refused replace ENOENT.
function storeStatus(r: StoreResult, cmd: u32, op: StoreOp): Status {
  if (r == StoreResult.EXISTS) return Status.KEY_EEXISTS;
  if (r == StoreResult.NOT_FOUND) return Status.KEY_ENOENT;
  if (op == StoreOp.CAS) return Status.NOT_STORED;
  if (cmd == Op.ADD) return Status.KEY_EEXISTS;
  if (cmd == Op.REPLACE) return Status.KEY_ENOENT;
  return Status.NOT_STORED;
}

// get/getk and touch/gat/gatk (quiet forms folded): a hit carries the flags as extras, the key
// for the K forms, the value except for touch, and the item's CAS.
function retrieve(cmd: u32, key: usize, nkey: u32, exptime: u32): i64 {
  const touch = cmd == Op.TOUCH || cmd == Op.GAT || cmd == Op.GATK;
  const withKey = cmd == Op.GETK || cmd == Op.GATK;
  if (outFree() < settingU32(Setting.ITEM_SIZE_MAX) + HEADER_LEN + FLAGS_LEN + KEY_MAX_LENGTH) {
    procFlag(ProcFlag.AGAIN);
    return BIN_AGAIN;
  }
  const it = getCommand(key, nkey, touch, <i64>exptime);
  if (it) {
    hit(it, cmd != Op.TOUCH, withKey ? nkey : 0);
    itemRelease();
  }
  prefixRecordGet(key, nkey, it != 0);
  if (!it && !quiet()) {
    if (withKey) {
      header(Status.KEY_ENOENT, 0, nkey, nkey);
      outBytes(key, nkey);
    } else {
      fail(Status.KEY_ENOENT, 0, 0);
    }
  }
  return 0;
}

function hit(it: usize, withValue: bool, nkey: u32): void {
  const nbytes = withValue ? itNbytes(it) : 0;
  setRespCas(itCas(it));
  header(Status.SUCCESS, FLAGS_LEN, nkey, FLAGS_LEN + nkey + nbytes);
  const f = outReserve(FLAGS_LEN);
  if (f) store<u32>(f, bswap<u32>(itClientFlags(it)));
  outBytes(itKey(it), nkey);
  if (!nbytes) return;
  const dst = outReserve(nbytes);
  if (dst) valueCopyOut(it, dst);
}

function remove(key: usize, nkey: u32): i64 {
  prefixRecordDelete(key, nkey);
  const r = deleteIfCas(key, nkey, requestCas());
  if (r == DeleteResult.DELETED) return respond(0, 0);
  return fail(r == DeleteResult.EXISTS ? Status.KEY_EEXISTS : Status.KEY_ENOENT, 0, 0);
}

// incr/decr: the counter comes back as 8 bytes. A miss creates the key with `initial` (the delta
// not applied) unless the expiration is 0xffffffff.
function arith(incr: bool, key: usize, nkey: u32, ext: usize): i64 {
  const delta = be64(ext);
  const initial = be64(ext + 8);
  const expiration = be32(ext + 16);
  const r = arithCommand(key, nkey, incr, delta, requestCas());
  switch (r) {
    case ArithResult.OK:
      setRespCas(resultCas());
      return counter(resultNumber());
    case ArithResult.NON_NUMERIC: return fail(Status.DELTA_BADVAL, 0, 0);
    case ArithResult.EXISTS: return fail(Status.KEY_EEXISTS, 0, 0);
    case ArithResult.NO_MEMORY: return failText(Status.ENOMEM, "Out of memory incrementing value", 0, 0);
    default:
      if (expiration != ARITH_NO_CREATE) return createBinaryCounter(key, nkey, initial, expiration);
      countArithMiss(incr);
      return fail(Status.KEY_ENOENT, 0, 0);
  }
}

function counter(v: u64): i64 {
  store<u64>(pkt(P_COUNTER), bswap<u64>(v));
  return respond(pkt(P_COUNTER), COUNTER_LEN);
}

// A missed counter is created holding `initial` (operations/arith.ts createCounter).
function createBinaryCounter(key: usize, nkey: u32, initial: u64, expiration: u32): i64 {
  const r = createCounter(key, nkey, initial, realtime(<i64>expiration));
  if (r == StoreResult.NO_MEMORY) return failText(Status.ENOMEM, "Out of memory allocating new item", 0, 0);
  if (r != StoreResult.STORED) return fail(Status.NOT_STORED, 0, 0);
  itemRelease();
  setRespCas(resultCas());
  return counter(initial);
}

// ── stat ───────────────────────────────────────────────────────────────────────────────
// One packet per stat (key = name, value = text) and an empty packet to end, built from the
// same renderers as the text protocol's `stats`, so each stat is declared once.
// Group names are matched as memcached matches them: `reset`, `settings` and `detail` by prefix,
// the engine families exactly; an unknown group is KEY_ENOENT.

function stats(key: usize, nkey: u32): i64 {
  const start = outLen();
  if (nkey == 0) renderStats(StatsGroup.GENERAL);
  else if (hasPrefix(key, nkey, "reset")) {
    statsReset();
    terminator();
    return 0;
  } else if (hasPrefix(key, nkey, "settings")) renderStats(StatsGroup.SETTINGS);
  else if (hasPrefix(key, nkey, "detail")) return statsDetail(key + 6, nkey - 6);
  else if (isWord(key, nkey, "items")) renderStats(StatsGroup.ITEMS);
  else if (isWord(key, nkey, "slabs")) renderStats(StatsGroup.SLABS);
  else if (isWord(key, nkey, "sizes")) renderSizes();
  else if (isWord(key, nkey, "sizes_enable")) return sizesSwitch(sizesEnableNow());
  else if (isWord(key, nkey, "sizes_disable")) {
    sizesDisable();
    return sizesSwitch(false);
  } else return fail(Status.KEY_ENOENT, 0, 0);
  if (!textToPackets(start)) {
    procFlag(ProcFlag.AGAIN);
    return BIN_AGAIN;
  }
  return 0;
}

// memcached answers sizes_enable / sizes_disable with one stat and no terminator.
function sizesSwitch(on: bool): i64 {
  statLine("sizes_status", on ? "enabled" : "disabled");
  return 0;
}

// `detail on`, `detail off`, `detail dump` (the dump as one packet named "detailed").
function statsDetail(sub: usize, n: u32): i64 {
  if (hasPrefix(sub, n, " dump")) {
    const start = outLen();
    renderDetailDump();
    wrapAsStat(start, "detailed");
  } else if (hasPrefix(sub, n, " on")) {
    setSetting(Setting.DETAIL_ENABLED, 1);
  } else if (hasPrefix(sub, n, " off")) {
    setSetting(Setting.DETAIL_ENABLED, 0);
  } else {
    return fail(Status.KEY_ENOENT, 0, 0);
  }
  terminator();
  return 0;
}

function statHeader(nkey: u32, nvalue: u32): void {
  setRespCas(0);
  header(Status.SUCCESS, 0, nkey, nkey + nvalue);
}

function terminator(): void { statHeader(0, 0); }

function statLine(name: string, value: string): void {
  statHeader(<u32>name.length, <u32>value.length);
  outStr(name);
  outStr(value);
}

// The text at [start, outLen()) becomes the value of one stat packet.
function wrapAsStat(start: u32, name: string): void {
  const n = outLen() - start;
  const nkey = <u32>name.length;
  const room = outReserve(HEADER_LEN + nkey);
  if (!room) return;
  memory.copy(outAt(start + HEADER_LEN + nkey), outAt(start), n);
  outTruncate(start);
  statHeader(nkey, n);
  outStr(name);
  outTruncate(start + HEADER_LEN + nkey + n);
}

const LINE_STAT_PREFIX: u32 = 5; // "STAT "
const CRLF: u32 = 2;

// Text rendered at [start, outLen()) — `STAT name value` lines, maybe END — rewritten as
// packets. The text is moved to the end of OUTBUF first and read from there while packets are
// written from `start`; every packet is at most HEADER_LEN longer than its line, so writing
// never overtakes reading when that much room per line is free. False if it is not.
function textToPackets(start: u32): bool {
  const n = outLen() - start;
  let lines: u32 = 0;
  for (let q = outAt(start); q < outAt(start + n); q++) if (load<u8>(q) == 0x0a) lines++;
  const copyAt = outSize() - n;
  if (<u64>start + <u64>(lines + 1) * HEADER_LEN > <u64>copyAt) {
    outTruncate(start);
    return false;
  }
  memory.copy(outAt(copyAt), outAt(start), n);
  outTruncate(start);
  let q = outAt(copyAt);
  const end = q + n;
  while (q < end) {
    let nl = q;
    while (nl < end && load<u8>(nl) != 0x0a) nl++;
    const lineEnd = nl - <usize>(CRLF - 1);
    if (lineEnd - q == 3 && load<u16>(q) == 0x4e45 && load<u8>(q, 2) == 0x44) terminator(); // END
    else lineToPacket(q + LINE_STAT_PREFIX, lineEnd);
    q = nl + 1;
  }
  return true;
}

function lineToPacket(name: usize, end: usize): void {
  let sp = name;
  while (sp < end && load<u8>(sp) != 0x20) sp++;
  const nkey = <u32>(sp - name);
  const value = sp < end ? sp + 1 : end;
  const nvalue = <u32>(end - value);
  statHeader(nkey, nvalue);
  outBytes(name, nkey);
  outBytes(value, nvalue);
}

// memcached compares the group with strncmp(key, word, strlen(word)).
function hasPrefix(key: usize, nkey: u32, word: string): bool {
  const n = <u32>word.length;
  if (nkey < n) return false;
  for (let i: u32 = 0; i < n; i++) if (<u32>load<u8>(key + i) != <u32>word.charCodeAt(i)) return false;
  return true;
}

function isWord(key: usize, nkey: u32, word: string): bool {
  return nkey == <u32>word.length && hasPrefix(key, nkey, word);
}

// ── SASL ───────────────────────────────────────────────────────────────────────────────

function saslList(c: usize, dataAvail: u32): i64 {
  if (!settingOn(Setting.SASL)) return fail(Status.UNKNOWN_COMMAND, 0, dataAvail);
  saslLogout(c);
  return respondText(SASL_MECHS);
}

// SASL_AUTH / SASL_STEP: the key names the mechanism, the value carries the exchange.
function sasl(c: usize, step: bool, mech: usize, nmech: u32, vlen: u32, dataAvail: u32, bodylen: u32): i64 {
  if (!settingOn(Setting.SASL)) return fail(Status.UNKNOWN_COMMAND, vlen, dataAvail);
  if (nmech > SASL_MECH_MAX) return fail(Status.EINVAL, vlen, dataAvail);
  // memcached stages the exchange in an unchunked item: anything larger is out of memory.
  if (<u64>vlen + nmech > <u64>settingU32(Setting.SLAB_CHUNK_MAX)) return fail(Status.ENOMEM, vlen, dataAvail);
  if (dataAvail < vlen) {
    needBytes(HEADER_LEN + bodylen);
    return BIN_NEED_MORE;
  }
  const r = saslAuthenticate(c, step, mech, nmech, mech + nmech, vlen);
  if (r == SaslResult.OK) return respondText("Authenticated") + vlen;
  if (r == SaslResult.CONTINUE) {
    header(Status.AUTH_CONTINUE, 0, 0, 0);
    transmitPoint();
    return vlen;
  }
  return fail(Status.AUTH_ERROR, 0, 0) + vlen;
}
