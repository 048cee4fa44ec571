// The meta protocol (memcached 1.6.18's mg, ms, md, ma, me, mn in proto_text.c).
//
// `<cmd> <key> [<datalen>] <flag>*`: every flag is one letter with its argument glued on.
// Flags are checked up front (memcached's _meta_flag_preparse) into the META block, then the
// command runs and echoes the flags that return something, in the order they were given.
//
// META block:
//   0    seen[128]    u8   letters already given (a repeat is an error)
//   128  bits         u8 × 12: no_update locked vivify la value set_stale no_reply has_cas
//                            new_ttl key_binary mode has_error
//   144  exptime      u32  T (relative)
//   148  autoviv      u32  N (relative)
//   152  recache      u32  R (relative)
//   156  client_flags u32  F
//   160  req_cas      u64  C
//   168  delta        u64  D (default 1)
//   176  initial      u64  J
//   184  errstr       u32  address of the first error's message (a static string)
//   188  nkey         u32  key length after base64 decoding
//   256  key[256]          the key, decoded when `b` was given
import { META, KEY_MAX_LENGTH, settingOn, settingU32, Global, setGlobal32 } from "../memory/layout";
import { Setting } from "../abi/settings";
import {
  itNbytes, itExptime, itCas, itClientFlags, itTime, itKey, itNkey, itData, itClsid,
  itLruId, hasFlag, addFlag, clearFlag, setExptime, setCas, itMcTotal,
  ITEM_TOKEN_SENT, ITEM_STALE, ITEM_FETCHED, ITEM_KEY_BINARY, ITEM_CHUNKED, ITEM_CFLAGS,
} from "../cache/item";
import { hash } from "../util/hash";
import { currentTime, realtime } from "../cache/clock";
import { itemGet, itemAlloc, itemFree, itemLink, itemUnlink, itemSizeOk, nextCas } from "../cache/items";
import { assocFind } from "../cache/assoc";
import { itemBump } from "../cache/lru";
import { valueRead, valueWrite } from "../cache/chunk";
import { storeCommandRel, storeItem, StoreOp, StoreResult, deleteStale, logStore } from "../operations/storage";
import { arithCommand, ArithResult, countArithMiss, formatU64 } from "../operations/arith";
import { base64Decode, base64Encode } from "../util/base64";
import { outItemTail } from "../background/crawler";
import { Stat, statIncr, SlabStat, slabStatIncr, LruStat, lruStatIncr } from "../counters/counters";
import { tokAt, tokLen, tokIs, cStrto, num } from "./tokens";
import {
  outStr, outBytes, outU64, outCrlf, outByte, outLen, outTruncate, outFree, outReserve, outLine, outAt,
} from "../session/output";
import { resultCas, resultNumber } from "../operations/result";
import { reply, setNoreply, noreply, swallow, error, procFlag, EXEC_NEED_MORE, EXEC_STOP, EXEC_STOP_AFTER } from "./text";
import { PF_NEED_MORE, PF_AGAIN } from "../session/conn";

const M_SEEN: usize = META;
const M_NO_UPDATE: usize = META + 128;
const M_LOCKED: usize = META + 129;
const M_VIVIFY: usize = META + 130;
const M_VALUE: usize = META + 132;
const M_SET_STALE: usize = META + 133;
const M_NO_REPLY: usize = META + 134;
const M_HAS_CAS: usize = META + 135;
const M_NEW_TTL: usize = META + 136;
const M_KEY_BINARY: usize = META + 137;
const M_MODE: usize = META + 138;
const M_HAS_ERROR: usize = META + 139;
const M_EXPTIME: usize = META + 144;
const M_AUTOVIV: usize = META + 148;
const M_RECACHE: usize = META + 152;
const M_CLIENT_FLAGS: usize = META + 156;
const M_REQ_CAS: usize = META + 160;
const M_DELTA: usize = META + 168;
const M_INITIAL: usize = META + 176;
const M_ERRSTR: usize = META + 184;
const M_NKEY: usize = META + 188;
const M_KEY: usize = META + 256;
const FLAGS_CLEARED: usize = 184; // bytes of META reset per command (seen + bits + values)

const MFLAG_MAX_OPT_LENGTH: u32 = 20;  // C ntokens above this: too many flags
const MFLAG_MAX_OPAQUE_LENGTH: u32 = 32;
const SEEN_LIMIT: u8 = 127;
const DEFAULT_DELTA: u64 = 1;
const INT_MAX: i64 = 2147483647;
const META_VALUE_SLACK: u32 = 1024;    // header line room next to a value

@inline function flag(at: usize): bool { return load<u8>(at) != 0; }
@inline function setFlagAt(at: usize): void { store<u8>(at, 1); }
@inline function metaKey(): usize { return M_KEY; }
@inline function metaNkey(): u32 { return load<u32>(M_NKEY); }

// As memcached's *errstr, the last error seen is the one reported.
function fail(msg: string): void {
  store<u32>(M_ERRSTR, <u32>changetype<usize>(msg));
  setFlagAt(M_HAS_ERROR);
}

function errstr(): string { return changetype<string>(<usize>load<u32>(M_ERRSTR)); }

// memcached's out_errstring: errors are sent even in quiet mode.
function errstring(msg: string): i64 {
  setNoreply(false);
  outLine(msg);
  return 0;
}

// A signed 32-bit TTL from a flag argument, already made relative (negative = expired).
function ttlArg(i: u32, at: usize): void {
  if (!cStrto(tokAt(i) + 1, tokLen(i) - 1, false)) {
    fail("CLIENT_ERROR bad token in command line format");
    return;
  }
  store<u32>(at, realtime(<i64><i32>num()));
}

function u64Arg(i: u32, at: usize, msg: string): bool {
  if (!cStrto(tokAt(i) + 1, tokLen(i) - 1, true)) {
    fail(msg);
    return false;
  }
  store<u64>(at, num());
  return true;
}

// memcached's _meta_flag_preparse over tokens [start, ntokens - 1). False on an error, whose
// message is errstr().
function preparse(start: u32, ntokens: u32): bool {
  memory.fill(META, 0, FLAGS_CLEARED);
  store<u64>(M_DELTA, DEFAULT_DELTA);
  // What memcached reports for an error that sets no message of its own (a bad F).
  store<u32>(M_ERRSTR, <u32>changetype<usize>("CLIENT_ERROR bad command line format"));
  const nkey = tokLen(1);
  memory.copy(M_KEY, tokAt(1), nkey);
  store<u32>(M_NKEY, nkey);
  for (let i = start; i < ntokens - 1; i++) {
    const o = load<u8>(tokAt(i));
    if (o >= SEEN_LIMIT || load<u8>(M_SEEN + o)) {
      fail("CLIENT_ERROR duplicate flag");
      return false;
    }
    store<u8>(M_SEEN + o, 1);
    switch (o) {
      case 0x62: { // b: base64 key
        const n = base64Decode(tokAt(1), nkey, M_KEY);
        if (n == 0) fail("CLIENT_ERROR error decoding key");
        store<u32>(M_NKEY, n);
        setFlagAt(M_KEY_BINARY);
        break;
      }
      case 0x4e: setFlagAt(M_LOCKED); setFlagAt(M_VIVIFY); ttlArg(i, M_AUTOVIV); break; // N
      case 0x54: setFlagAt(M_LOCKED); ttlArg(i, M_EXPTIME); setFlagAt(M_NEW_TTL); break; // T
      case 0x52: setFlagAt(M_LOCKED); ttlArg(i, M_RECACHE); break;                      // R
      case 0x6c: setFlagAt(M_LOCKED); break;                                             // l
      case 0x68: setFlagAt(M_LOCKED); break;                                             // h
      case 0x4f: case 0x50: case 0x4c: break;                                            // O P L
      case 0x6b: case 0x73: case 0x74: case 0x63: case 0x66: break;                      // k s t c f
      case 0x76: setFlagAt(M_VALUE); break;                                              // v
      case 0x75: setFlagAt(M_NO_UPDATE); break;                                          // u
      case 0x71: setFlagAt(M_NO_REPLY); break;                                           // q
      case 0x46: // F: client flags
        if (cStrto(tokAt(i) + 1, tokLen(i) - 1, true)) store<u32>(M_CLIENT_FLAGS, <u32>num());
        else setFlagAt(M_HAS_ERROR);
        break;
      case 0x43: // C: compare CAS
        if (u64Arg(i, M_REQ_CAS, "CLIENT_ERROR bad token in command line format")) setFlagAt(M_HAS_CAS);
        break;
      case 0x4d: // M: mode
        if (tokLen(i) != 2) fail("CLIENT_ERROR incorrect length for M token");
        else store<u8>(M_MODE, load<u8>(tokAt(i), 1));
        break;
      case 0x4a: u64Arg(i, M_INITIAL, "CLIENT_ERROR invalid numeric initial value"); break; // J
      case 0x44: u64Arg(i, M_DELTA, "CLIENT_ERROR invalid numeric delta value"); break;     // D
      case 0x49: setFlagAt(M_SET_STALE); break;                                             // I
      default:
        fail("CLIENT_ERROR invalid flag");
        return false;
    }
  }
  return !flag(M_HAS_ERROR);
}

// ` <token>` for O, or false when the opaque is longer than memcached allows.
function outOpaque(i: u32): bool {
  if (tokLen(i) > MFLAG_MAX_OPAQUE_LENGTH) return false;
  outByte(0x20);
  outBytes(tokAt(i), tokLen(i));
  return true;
}

// ` k<key>`, base64 again (then ` b`) for binary keys.
function outKey(key: usize, nkey: u32, binary: bool): void {
  outStr(" k");
  if (!binary) {
    outBytes(key, nkey);
    return;
  }
  const p = outReserve(((nkey + 2) / 3) * 4);
  if (p) base64Encode(key, nkey, p);
  outStr(" b");
}

@inline function outFlagU64(c: string, v: u64): void {
  outByte(0x20);
  outStr(c);
  outU64(v);
}

function outTtl(it: usize): void {
  outTtlOf(itExptime(it));
}

function outTtlOf(exptime: u32): void {
  outStr(" t");
  if (exptime == 0) outStr("-1");
  else outU64(<u64>(exptime - currentTime()));
}

// Echoes only O and k: what misses and non-item replies carry.
function outOpaqueAndKey(ntokens: u32, start: u32): bool {
  for (let i = start; i < ntokens - 1; i++) {
    const o = load<u8>(tokAt(i));
    if (o == 0x4f && !outOpaque(i)) return false;
    if (o == 0x6b) outKey(metaKey(), metaNkey(), flag(M_KEY_BINARY));
  }
  return true;
}

export function execMeta(c: usize, ntokens: u32, data: usize, dataAvail: u32): i64 {
  switch (load<u8>(tokAt(0), 1)) {
    case 0x67: return execMg(ntokens);                     // mg
    case 0x73: return execMs(c, ntokens, data, dataAvail); // ms
    case 0x64: return execMd(ntokens);                     // md
    case 0x6e: return execMn();                            // mn
    case 0x61: return execMa(ntokens);                     // ma
    case 0x65: return execMe(ntokens);                     // me
  }
  return error();
}

// memcached flushes the replies queued so far at every mn. Ending the batch here makes the
// host send them now, even if a later command in the same input starts swallowing a refused
// data block (the host holds a swallowing batch's replies until the block is gone).
function execMn(): i64 {
  reply("MN");
  return EXEC_STOP_AFTER;
}

// ── mg ─────────────────────────────────────────────────────────────────────────────────

function execMg(ntokens: u32): i64 {
  if (ntokens < 3) return error();
  if (tokLen(1) > KEY_MAX_LENGTH) return errstring("CLIENT_ERROR bad command line format");
  if (ntokens > MFLAG_MAX_OPT_LENGTH) return errstring("CLIENT_ERROR options flags are too long");
  if (!preparse(2, ntokens)) return errstring(errstr());
  // A value must fit whole; with a full reply area, let the host send it first.
  if (flag(M_VALUE) && outFree() < settingU32(Setting.ITEM_SIZE_MAX) + META_VALUE_SLACK) {
    procFlag(PF_AGAIN);
    return EXEC_STOP;
  }
  setNoreply(flag(M_NO_REPLY));
  const key = metaKey();
  const nkey = metaNkey();
  const hv = hash(key, nkey);
  let it = itemGet(key, nkey, hv, false);
  let created = false;
  if (!it && flag(M_VIVIFY)) {
    it = itemAlloc(key, nkey, 0, 0, 0);
    if (it) {
      itemLink(it, hv);
      created = true;
    }
  }
  if (!it) return mgMiss(ntokens);
  const start = outLen();
  const lruId = itLruId(it);
  let ttlSet = false;
  let won = created && flag(M_VIVIFY);
  if (flag(M_VALUE)) {
    outStr("VA ");
    outU64(itNbytes(it));
  } else {
    outStr("HD");
  }
  for (let i: u32 = 2; i < ntokens - 1; i++) {
    switch (load<u8>(tokAt(i))) {
      case 0x54: ttlSet = true; setExptime(it, load<u32>(M_EXPTIME)); break;            // T
      case 0x4e: if (created) setExptime(it, load<u32>(M_AUTOVIV)); break;              // N
      case 0x52:                                                                        // R
        if (!hasFlag(it, ITEM_TOKEN_SENT) && !created && itExptime(it) != 0 && itExptime(it) < load<u32>(M_RECACHE)) won = true;
        break;
      case 0x73: outFlagU64("s", itNbytes(it)); break;
      case 0x74: outTtl(it); break;
      case 0x63: outFlagU64("c", itCas(it)); break;
      case 0x66: outFlagU64("f", itClientFlags(it)); break;
      case 0x6c: outFlagU64("l", currentTime() - itTime(it)); break;
      case 0x68: outStr(hasFlag(it, ITEM_FETCHED) ? " h1" : " h0"); break;
      case 0x4f:
        if (!outOpaque(i)) {
          outTruncate(start);
          return errstring("CLIENT_ERROR opaque token too long");
        }
        break;
      case 0x6b: outKey(itKey(it), itNkey(it), hasFlag(it, ITEM_KEY_BINARY)); break;
    }
  }
  if (hasFlag(it, ITEM_TOKEN_SENT)) outStr(" Z");
  if (hasFlag(it, ITEM_STALE)) {
    outStr(" X");
    if (!hasFlag(it, ITEM_TOKEN_SENT)) won = true;
  }
  if (won) {
    outStr(" W");
    addFlag(it, ITEM_TOKEN_SENT);
  }
  outCrlf();
  if (flag(M_VALUE)) writeData(it);
  if (!flag(M_NO_UPDATE)) itemBump(it);
  if (ttlSet) {
    statIncr(Stat.CMD_TOUCH);
    slabStatIncr(itClsid(it), SlabStat.TOUCH_HITS);
  } else {
    statIncr(Stat.CMD_GET);
    lruStatIncr(lruId, LruStat.HITS);
    slabStatIncr(itClsid(it), SlabStat.GET_HITS);
  }
  return 0;
}

function writeData(it: usize): void {
  const n = itNbytes(it);
  const dst = outReserve(n);
  if (dst) {
    if (hasFlag(it, ITEM_CHUNKED)) valueRead(it, dst);
    else memory.copy(dst, itData(it), n);
  }
  outCrlf();
}

function mgMiss(ntokens: u32): i64 {
  statIncr(Stat.CMD_GET);
  statIncr(Stat.GET_MISSES);
  const start = outLen();
  outStr("EN");
  if (!outOpaqueAndKey(ntokens, 2)) {
    outTruncate(start);
    return errstring("CLIENT_ERROR opaque token too long");
  }
  outCrlf();
  if (noreply()) outTruncate(start); // q: a miss says nothing
  return 0;
}

// ── ms ─────────────────────────────────────────────────────────────────────────────────

function msMode(): StoreOp {
  switch (load<u8>(M_MODE)) {
    case 0: case 0x53: return StoreOp.SET;   // S
    case 0x45: return StoreOp.ADD;           // E
    case 0x41: return StoreOp.APPEND;        // A
    case 0x50: return StoreOp.PREPEND;       // P
    case 0x52: return StoreOp.REPLACE;       // R
  }
  return 0;
}

function execMs(c: usize, ntokens: u32, data: usize, dataAvail: u32): i64 {
  if (ntokens < 3) return error();
  if (tokLen(1) > KEY_MAX_LENGTH || ntokens == 3) return errstring("CLIENT_ERROR bad command line format");
  if (ntokens > MFLAG_MAX_OPT_LENGTH) return errstring("CLIENT_ERROR options flags too long");
  if (!cStrto(tokAt(2), tokLen(2), false)) return errstring("CLIENT_ERROR bad command line format");
  const vlen = <i64><i32>num();
  if (vlen < 0 || vlen > INT_MAX - 2) return errstring("CLIENT_ERROR bad command line format");
  const total = <u32>vlen + 2;
  // From here on an error also swallows the data block, as memcached does.
  if (!preparse(3, ntokens)) return msError(c, errstr(), total, dataAvail);
  for (let i: u32 = 3; i < ntokens - 1; i++) {
    if (load<u8>(tokAt(i)) == 0x4f && tokLen(i) > MFLAG_MAX_OPAQUE_LENGTH) {
      return msError(c, "CLIENT_ERROR opaque token too long", total, dataAvail);
    }
  }
  let op = msMode();
  if (op == 0) return msError(c, "CLIENT_ERROR invalid mode for ms M token", total, dataAvail);
  if (flag(M_HAS_CAS) && (op == StoreOp.SET || op == StoreOp.REPLACE)) op = StoreOp.CAS;
  const key = metaKey();
  const nkey = metaNkey();
  const clientFlags = load<u32>(M_CLIENT_FLAGS);
  if (!itemSizeOk(nkey, clientFlags, <u64>vlen)) {
    statIncr(Stat.STORE_TOO_LARGE);
    logStore(key, nkey, StoreResult.TOO_LARGE, op, 0);
    deleteStale(key, nkey, hash(key, nkey));
    return msError(c, "SERVER_ERROR object too large for cache", total, dataAvail);
  }
  if (dataAvail < total) {
    procFlag(PF_NEED_MORE);
    setGlobal32(Global.PROC_NEED, <u32>(data - tokAt(0)) + total);
    return EXEC_NEED_MORE;
  }
  setNoreply(flag(M_NO_REPLY));
  const valid = load<u16>(data + <usize>vlen) == 0x0a0d;
  const casIn = flag(M_HAS_CAS) ? load<u64>(M_REQ_CAS) : 0;
  const stale = flag(M_SET_STALE) && op == StoreOp.CAS;
  const binary: u16 = flag(M_KEY_BINARY) ? ITEM_KEY_BINARY : 0;
  const r = storeCommandRel(op, key, nkey, clientFlags, load<u32>(M_EXPTIME), data, <u32>vlen, casIn, stale, valid, binary);
  msReply(r, ntokens);
  return total;
}

function msError(c: usize, msg: string, total: u32, dataAvail: u32): i64 {
  errstring(msg);
  return swallow(c, total, dataAvail);
}

function msReply(r: StoreResult, ntokens: u32): void {
  if (r == StoreResult.BAD_DATA) {
    errstring("CLIENT_ERROR bad data chunk");
    return;
  }
  if (r == StoreResult.NO_MEMORY) {
    statIncr(Stat.STORE_NO_MEMORY);
    deleteStale(metaKey(), metaNkey(), hash(metaKey(), metaNkey()));
    errstring("SERVER_ERROR out of memory storing object");
    return;
  }
  if (r == StoreResult.STORED && noreply()) return;
  outStr(r == StoreResult.STORED ? "HD" : r == StoreResult.EXISTS ? "EX" : r == StoreResult.NOT_FOUND ? "NF" : "NS");
  const cas: u64 = r == StoreResult.STORED ? resultCas() : 0;
  for (let i: u32 = 3; i < ntokens - 1; i++) {
    const o = load<u8>(tokAt(i));
    if (o == 0x4f) outOpaque(i);
    else if (o == 0x6b) outKey(metaKey(), metaNkey(), flag(M_KEY_BINARY));
    else if (o == 0x63) outFlagU64("c", cas);
  }
  outCrlf();
}

// md and ma check their lines alike: memcached's out_string for the first errors (quiet
// mode is not known yet), then the flags. PROCEED when the command may run.
const PROCEED: i64 = -100;
function mdMaChecks(ntokens: u32): i64 {
  if (ntokens < 3) return error();
  if (tokLen(1) > KEY_MAX_LENGTH) {
    reply("CLIENT_ERROR bad command line format");
    return 0;
  }
  if (ntokens > MFLAG_MAX_OPT_LENGTH) {
    reply("CLIENT_ERROR options flags too long");
    return 0;
  }
  if (!preparse(2, ntokens)) return errstring("CLIENT_ERROR invalid or duplicate flag");
  setNoreply(flag(M_NO_REPLY));
  return PROCEED;
}

// ── md ─────────────────────────────────────────────────────────────────────────────────

function execMd(ntokens: u32): i64 {
  const checked = mdMaChecks(ntokens);
  if (checked != PROCEED) return checked;
  const start = outLen();
  outStr("HD");
  if (!outOpaqueAndKey(ntokens, 2)) {
    outTruncate(start);
    return errstring("CLIENT_ERROR opaque token too long");
  }
  outCrlf();
  const key = metaKey();
  const nkey = metaNkey();
  const hv = hash(key, nkey);
  const it = itemGet(key, nkey, hv, false);
  if (!it) {
    statIncr(Stat.DELETE_MISSES);
    setStatus(start, "NF");
    return 0;
  }
  if (flag(M_HAS_CAS) && itCas(it) != load<u64>(M_REQ_CAS)) {
    statIncr(Stat.DELETE_MISSES);
    setStatus(start, "EX");
    return 0;
  }
  if (flag(M_SET_STALE)) {
    if (flag(M_NEW_TTL)) setExptime(it, load<u32>(M_EXPTIME));
    addFlag(it, ITEM_STALE);
    clearFlag(it, ITEM_TOKEN_SENT);
    setCas(it, settingOn(Setting.USE_CAS) ? nextCas() : 0);
  } else {
    slabStatIncr(itClsid(it), SlabStat.DELETE_HITS);
    itemUnlink(it, hv);
  }
  if (noreply()) outTruncate(start);
  return 0;
}

// Overwrites the two-letter status a reply was started with.
function setStatus(start: u32, s: string): void {
  const p = outAt(start);
  store<u8>(p, <u8>load<u16>(changetype<usize>(s)));
  store<u8>(p, <u8>load<u16>(changetype<usize>(s), 2), 1);
}

// ── ma ─────────────────────────────────────────────────────────────────────────────────

function execMa(ntokens: u32): i64 {
  const checked = mdMaChecks(ntokens);
  if (checked != PROCEED) return checked;
  const mode = load<u8>(M_MODE);
  let incr = true;
  if (mode == 0x44 || mode == 0x2d) incr = false;            // D -
  else if (mode != 0 && mode != 0x49 && mode != 0x2b) {      // I +
    return errstring("CLIENT_ERROR invalid mode for ma M token");
  }
  const key = metaKey();
  const nkey = metaNkey();
  const casIn = flag(M_HAS_CAS) ? load<u64>(M_REQ_CAS) : 0;
  const before = assocFind(key, nkey, hash(key, nkey));
  const r = arithCommand(key, nkey, incr, load<u64>(M_DELTA), casIn);
  let number = resultNumber();
  let created = false;
  switch (r) {
    case ArithResult.NON_NUMERIC: return errstring("CLIENT_ERROR cannot increment or decrement non-numeric value");
    case ArithResult.NO_MEMORY: return errstring("SERVER_ERROR out of memory");
    case ArithResult.EXISTS: return maNoItem(ntokens, "EX");
    case ArithResult.NOT_FOUND:
      if (!flag(M_VIVIFY)) {
        countArithMiss(incr);
        return maNoItem(ntokens, "NF");
      }
      number = load<u64>(M_INITIAL);
      if (!vivifyCounter(key, nkey, number)) return errstring("SERVER_ERROR Out of memory allocating new item");
      created = true;
      break;
  }
  const it = assocFind(key, nkey, hash(key, nkey));
  // memcached applies T to the item do_add_delta hands back, which is the old, unlinked one
  // when the number outgrew it and a new item took its place: the new TTL is lost, though t
  // reports it. `oldExptime` stands in for that old item's.
  const replaced = !created && it != before;
  let oldExptime = itExptime(it);
  const digits = formatU64(SCRATCH_DIGITS, number);
  const start = outLen();
  if (flag(M_VALUE)) {
    outStr("VA ");
    outU64(digits);
  } else {
    outStr("HD");
  }
  for (let i: u32 = 2; i < ntokens - 1; i++) {
    switch (load<u8>(tokAt(i))) {
      case 0x63: outFlagU64("c", itCas(it)); break;
      case 0x74: outTtlOf(replaced ? oldExptime : itExptime(it)); break;
      case 0x54:
        if (replaced) oldExptime = load<u32>(M_EXPTIME);
        else setExptime(it, load<u32>(M_EXPTIME));
        break;
      case 0x4e: if (created) setExptime(it, load<u32>(M_AUTOVIV)); break;
      case 0x4f:
        if (!outOpaque(i)) {
          outTruncate(start);
          return errstring("CLIENT_ERROR opaque token too long");
        }
        break;
      case 0x6b: outKey(key, nkey, flag(M_KEY_BINARY)); break;
    }
  }
  outCrlf();
  if (flag(M_VALUE)) {
    outBytes(SCRATCH_DIGITS, digits);
    outCrlf();
  }
  // q silences a hit (a created counter still answers), after its flags have acted.
  if (noreply() && !created) outTruncate(start);
  return 0;
}

const SCRATCH_DIGITS: usize = META + 224; // 24 bytes for the counter's digits

// ma N: a missing counter is created holding J (the delta is not applied), as an add.
// Stored directly rather than through storeCommandRel: memcached counts cmd_set only for
// data blocks read from a client, and this one is not.
function vivifyCounter(key: usize, nkey: u32, initial: u64): bool {
  const digits = formatU64(SCRATCH_DIGITS, initial);
  const it = itemAlloc(key, nkey, 0, 0, digits);
  if (!it) return false;
  valueWrite(it, 0, SCRATCH_DIGITS, digits);
  setCas(it, 0);
  if (storeItem(it, StoreOp.ADD, hash(key, nkey), false) == StoreResult.STORED) return true;
  itemFree(it);
  return false;
}

function maNoItem(ntokens: u32, status: string): i64 {
  const start = outLen();
  outStr(status);
  if (!outOpaqueAndKey(ntokens, 2)) {
    outTruncate(start);
    return errstring("CLIENT_ERROR opaque token too long");
  }
  outCrlf();
  return 0;
}

// ── me ─────────────────────────────────────────────────────────────────────────────────

function execMe(ntokens: u32): i64 {
  if (ntokens < 3 || tokLen(1) > KEY_MAX_LENGTH) return errstring("CLIENT_ERROR bad command line format");
  let key = tokAt(1);
  let nkey = tokLen(1);
  if (ntokens >= 4 && tokIs(2, "b")) {
    nkey = base64Decode(key, nkey, M_KEY);
    if (nkey == 0) return errstring("CLIENT_ERROR bad command line format");
    key = M_KEY;
  }
  statIncr(Stat.CMD_META);
  const it = itemGet(key, nkey, hash(key, nkey), false);
  if (!it) {
    outLine("EN");
    return 0;
  }
  outStr("ME ");
  if (hasFlag(it, ITEM_KEY_BINARY)) {
    const p = outReserve(((itNkey(it) + 2) / 3) * 4);
    if (p) base64Encode(itKey(it), itNkey(it), p);
  } else {
    outBytes(itKey(it), itNkey(it));
  }
  outStr(" exp=");
  const exptime = itExptime(it);
  if (exptime == 0) outStr("-1");
  else outI32(<i32>(currentTime() - exptime));
  outStr(" la=");
  outU64(currentTime() - itTime(it));
  outItemTail(it);
  outCrlf();
  return 0;
}

function outI32(v: i32): void {
  if (v < 0) {
    outByte(0x2d);
    outU64(<u64>(-<i64>v));
    return;
  }
  outU64(<u64>v);
}

