// The meta protocol (memcached 1.6.18's mg, ms, md, ma, me, mn in proto_text.c).
//
// `<cmd> <key> [<datalen>] <flag>*`: every flag is one letter with its argument glued on.
// Flags are checked up front (memcached's _meta_flag_preparse) into the META block, then the
// command runs and echoes the flags that return something, in the order they were given.
//
// META block (per command; the first FLAGS_CLEARED bytes are zeroed before each):
//   0    seen[128]    u8   letters already given (a repeat is an error)
//   128  no_update    u8   u
//   129  locked       u8   N, T, R, l or h: memcached takes the item lock for these
//   130  vivify       u8   N
//   131  value        u8   v
//   132  set_stale    u8   I
//   133  no_reply     u8   q
//   134  has_cas      u8   C
//   135  new_ttl      u8   T
//   136  key_binary   u8   b
//   137  mode         u8   M's letter
//   138  has_error    u8   a flag was refused
//   144  exptime      u32  T (relative)
//   148  autoviv      u32  N (relative)
//   152  recache      u32  R (relative)
//   156  client_flags u32  F
//   160  req_cas      u64  C
//   168  delta        u64  D (default 1)
//   176  initial      u64  J
//   184  errstr       u32  address of the last error's message (a static string)
//   188  nkey         u32  key length after base64 decoding
//   256  key[256]          the key, decoded when `b` was given
import { settingU32, KEY_MAX_LENGTH } from "../layout/layout";
import { metaBlock, scratch, SCRATCH_DIGITS } from "../layout/thread";
import { Setting } from "../abi/settings";
import { ProcFlag } from "../abi/proc_flags";
import { StoreOp, StoreResult, ArithResult } from "../abi/results";
import {
  itNbytes, itExptime, itCas, itClientFlags, itTime, itKey, itNkey, itLruId, hasFlag,
  ITEM_TOKEN_SENT, ITEM_STALE, ITEM_FETCHED, ITEM_KEY_BINARY, currentTime, realtime, valueCopyOut,
} from "../operations/item_view";
import {
  metaFetch, metaCreated, metaPeek, metaSetExptime, metaWin, metaHit, metaMiss, metaDelete,
  MetaDeleteResult, MD_COMPARE_CAS, MD_STALE, MD_NEW_TTL,
} from "../operations/meta";
import {
  storeCommand, deleteStaleKey, logStore, itemSizeOk, STORE_BAD_DATA, STORE_CAS_STALE, STORE_KEY_BINARY,
} from "../operations/storage";
import { arithHold, countArithMiss, createCounter } from "../operations/arith";
import { itemRelease } from "../operations/hold";
import { resultCas, resultNumber, resultItem, resultReplaced } from "../operations/result";
import { Stat, statIncr } from "../counters/counters";
import { formatU64 } from "../util/numbers";
import { base64Decode, base64Encode } from "../util/base64";
import {
  outStr, outBytes, outU64, outCrlf, outByte, outLen, outTruncate, outFree, outReserve, outLine, outAt,
} from "../session/output";
import { procFlag, needBytes } from "../session/call";
import { tokAt, tokLen, tokIs, parseSigned, parseUnsigned, num } from "./tokens";
import { reply, setNoreply, noreply, swallow, error, EXEC_NEED_MORE, EXEC_STOP, EXEC_STOP_AFTER } from "./replies";
import { outItemTail } from "./metadump";

const M_SEEN: usize = 0;
const M_NO_UPDATE: usize = 128;
const M_LOCKED: usize = 129;
const M_VIVIFY: usize = 130;
const M_VALUE: usize = 131;
const M_SET_STALE: usize = 132;
const M_NO_REPLY: usize = 133;
const M_HAS_CAS: usize = 134;
const M_NEW_TTL: usize = 135;
const M_KEY_BINARY: usize = 136;
const M_MODE: usize = 137;
const M_HAS_ERROR: usize = 138;
const M_EXPTIME: usize = 144;
const M_AUTOVIV: usize = 148;
const M_RECACHE: usize = 152;
const M_CLIENT_FLAGS: usize = 156;
const M_REQ_CAS: usize = 160;
const M_DELTA: usize = 168;
const M_INITIAL: usize = 176;
const M_ERRSTR: usize = 184;
const M_NKEY: usize = 188;
const M_KEY: usize = 256;
const FLAGS_CLEARED: usize = 184; // seen, the bits and the values

@inline function m(offset: usize): usize { return metaBlock() + offset; }

// The letters, as bytes: commands (m + one of these), flags, and the M modes of ms and ma.
enum Letter {
  // commands
  GET = 0x67, SET = 0x73, DELETE = 0x64, NOOP = 0x6e, ARITH = 0x61, DEBUG = 0x65, // g s d n a e
  // flags
  BASE64 = 0x62, VIVIFY = 0x4e, TTL = 0x54, RECACHE = 0x52, LAST_ACCESS = 0x6c,    // b N T R l
  HIT_BEFORE = 0x68, OPAQUE = 0x4f, PROXY_P = 0x50, PROXY_L = 0x4c, KEY = 0x6b,    // h O P L k
  SIZE = 0x73, TTL_LEFT = 0x74, CAS = 0x63, CLIENT_FLAGS = 0x66, VALUE = 0x76,     // s t c f v
  NO_UPDATE = 0x75, QUIET = 0x71, SET_FLAGS = 0x46, COMPARE_CAS = 0x43,            // u q F C
  MODE = 0x4d, INITIAL = 0x4a, DELTA = 0x44, INVALIDATE = 0x49,                    // M J D I
  // ms modes: S E A P R; ma modes: I + (incr), D - (decr)
  MODE_SET = 0x53, MODE_ADD = 0x45, MODE_APPEND = 0x41, MODE_PREPEND = 0x50, MODE_REPLACE = 0x52,
  MODE_INCR = 0x49, MODE_PLUS = 0x2b, MODE_DECR = 0x44, MODE_MINUS = 0x2d,
}

@inline function letterAt(i: u32): i32 { return <i32>load<u8>(tokAt(i)); }

const SPACE: u8 = 0x20;
const CRLF: u16 = 0x0a0d; // "\r\n" read as a little-endian u16
const MINUS_SIGN: u8 = 0x2d;
const MFLAG_MAX_OPT_LENGTH: u32 = 20;  // C ntokens above this: too many flags
const MFLAG_MAX_OPAQUE_LENGTH: u32 = 32;
const SEEN_LIMIT: u8 = 127;
const DEFAULT_DELTA: u64 = 1;
const INT_MAX: i64 = 2147483647;
const META_VALUE_SLACK: u32 = 1024;    // header line room next to a value

@inline function flag(at: usize): bool { return load<u8>(at) != 0; }
@inline function setFlagAt(at: usize): void { store<u8>(at, 1); }
@inline function metaKey(): usize { return m(M_KEY); }
@inline function metaNkey(): u32 { return load<u32>(m(M_NKEY)); }

// As memcached's *errstr, the last error seen is the one reported.
function fail(msg: string): void {
  store<u32>(m(M_ERRSTR), <u32>changetype<usize>(msg));
  setFlagAt(m(M_HAS_ERROR));
}

function errstr(): string { return changetype<string>(<usize>load<u32>(m(M_ERRSTR))); }

// memcached's out_errstring: errors are sent even in quiet mode.
function errstring(msg: string): i64 {
  setNoreply(false);
  outLine(msg);
  return 0;
}

// A signed 32-bit TTL from a flag argument, already made relative (negative = expired).
function ttlArg(i: u32, at: usize): void {
  if (!parseSigned(tokAt(i) + 1, tokLen(i) - 1)) {
    fail("CLIENT_ERROR bad token in command line format");
    return;
  }
  store<u32>(at, realtime(<i64><i32>num()));
}

function u64Arg(i: u32, at: usize, msg: string): bool {
  if (!parseUnsigned(tokAt(i) + 1, tokLen(i) - 1)) {
    fail(msg);
    return false;
  }
  store<u64>(at, num());
  return true;
}

// memcached's _meta_flag_preparse over tokens [start, ntokens - 1). False on an error, whose
// message is errstr().
function preparse(start: u32, ntokens: u32): bool {
  memory.fill(metaBlock(), 0, FLAGS_CLEARED);
  store<u64>(m(M_DELTA), DEFAULT_DELTA);
  // What memcached reports for an error that sets no message of its own (a bad F).
  store<u32>(m(M_ERRSTR), <u32>changetype<usize>("CLIENT_ERROR bad command line format"));
  const nkey = tokLen(1);
  memory.copy(m(M_KEY), tokAt(1), nkey);
  store<u32>(m(M_NKEY), nkey);
  for (let i = start; i < ntokens - 1; i++) {
    const o = load<u8>(tokAt(i));
    if (o >= SEEN_LIMIT || load<u8>(m(M_SEEN) + o)) {
      fail("CLIENT_ERROR duplicate flag");
      return false;
    }
    store<u8>(m(M_SEEN) + o, 1);
    switch (<i32>o) {
      case Letter.BASE64: {
        const n = base64Decode(tokAt(1), nkey, m(M_KEY));
        if (n == 0) fail("CLIENT_ERROR error decoding key");
        store<u32>(m(M_NKEY), n);
        setFlagAt(m(M_KEY_BINARY));
        break;
      }
      case Letter.VIVIFY: setFlagAt(m(M_LOCKED)); setFlagAt(m(M_VIVIFY)); ttlArg(i, m(M_AUTOVIV)); break;
      case Letter.TTL: setFlagAt(m(M_LOCKED)); ttlArg(i, m(M_EXPTIME)); setFlagAt(m(M_NEW_TTL)); break;
      case Letter.RECACHE: setFlagAt(m(M_LOCKED)); ttlArg(i, m(M_RECACHE)); break;
      case Letter.LAST_ACCESS: case Letter.HIT_BEFORE: setFlagAt(m(M_LOCKED)); break;
      case Letter.OPAQUE: case Letter.PROXY_P: case Letter.PROXY_L: break;
      case Letter.KEY: case Letter.SIZE: case Letter.TTL_LEFT: case Letter.CAS: case Letter.CLIENT_FLAGS: break;
      case Letter.VALUE: setFlagAt(m(M_VALUE)); break;
      case Letter.NO_UPDATE: setFlagAt(m(M_NO_UPDATE)); break;
      case Letter.QUIET: setFlagAt(m(M_NO_REPLY)); break;
      case Letter.SET_FLAGS:
        if (parseUnsigned(tokAt(i) + 1, tokLen(i) - 1)) store<u32>(m(M_CLIENT_FLAGS), <u32>num());
        else setFlagAt(m(M_HAS_ERROR));
        break;
      case Letter.COMPARE_CAS:
        if (u64Arg(i, m(M_REQ_CAS), "CLIENT_ERROR bad token in command line format")) setFlagAt(m(M_HAS_CAS));
        break;
      case Letter.MODE:
        if (tokLen(i) != 2) fail("CLIENT_ERROR incorrect length for M token");
        else store<u8>(m(M_MODE), load<u8>(tokAt(i), 1));
        break;
      case Letter.INITIAL: u64Arg(i, m(M_INITIAL), "CLIENT_ERROR invalid numeric initial value"); break;
      case Letter.DELTA: u64Arg(i, m(M_DELTA), "CLIENT_ERROR invalid numeric delta value"); break;
      case Letter.INVALIDATE: setFlagAt(m(M_SET_STALE)); break;
      default:
        fail("CLIENT_ERROR invalid flag");
        return false;
    }
  }
  return !flag(m(M_HAS_ERROR));
}

// ` <token>` for O, or false when the opaque is longer than memcached allows.
function outOpaque(i: u32): bool {
  if (tokLen(i) > MFLAG_MAX_OPAQUE_LENGTH) return false;
  outByte(SPACE);
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
  outByte(SPACE);
  outStr(c);
  outU64(v);
}

function outTtlOf(exptime: u32): void {
  outStr(" t");
  if (exptime == 0) outStr("-1");
  else outU64(<u64>(exptime - currentTime()));
}

// Echoes only O and k: what misses and non-item replies carry.
function outOpaqueAndKey(ntokens: u32, start: u32): bool {
  for (let i = start; i < ntokens - 1; i++) {
    const o = letterAt(i);
    if (o == Letter.OPAQUE && !outOpaque(i)) return false;
    if (o == Letter.KEY) outKey(metaKey(), metaNkey(), flag(m(M_KEY_BINARY)));
  }
  return true;
}

export function execMeta(c: usize, ntokens: u32, data: usize, dataAvail: u32): i64 {
  switch (<i32>load<u8>(tokAt(0), 1)) {
    case Letter.GET: return execMg(ntokens);
    case Letter.SET: return execMs(c, ntokens, data, dataAvail);
    case Letter.DELETE: return execMd(ntokens);
    case Letter.NOOP: return execMn();
    case Letter.ARITH: return execMa(ntokens);
    case Letter.DEBUG: return execMe(ntokens);
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
  if (flag(m(M_VALUE)) && outFree() < settingU32(Setting.ITEM_SIZE_MAX) + META_VALUE_SLACK) {
    procFlag(ProcFlag.AGAIN);
    return EXEC_STOP;
  }
  setNoreply(flag(m(M_NO_REPLY)));
  const it = metaFetch(metaKey(), metaNkey(), flag(m(M_VIVIFY)));
  if (!it) return mgMiss(ntokens);
  const r = mgHit(it, ntokens);
  itemRelease();
  return r;
}

// mg's reply for the item metaFetch handed over (still held).
function mgHit(it: usize, ntokens: u32): i64 {
  const created = metaCreated();
  const start = outLen();
  const lruId = itLruId(it);
  let ttlSet = false;
  let won = created;
  if (flag(m(M_VALUE))) {
    outStr("VA ");
    outU64(itNbytes(it));
  } else {
    outStr("HD");
  }
  for (let i: u32 = 2; i < ntokens - 1; i++) {
    switch (letterAt(i)) {
      case Letter.TTL: ttlSet = true; metaSetExptime(it, load<u32>(m(M_EXPTIME))); break;
      case Letter.VIVIFY: if (created) metaSetExptime(it, load<u32>(m(M_AUTOVIV))); break;
      case Letter.RECACHE:
        if (!hasFlag(it, ITEM_TOKEN_SENT) && !created && itExptime(it) != 0 && itExptime(it) < load<u32>(m(M_RECACHE))) won = true;
        break;
      case Letter.SIZE: outFlagU64("s", itNbytes(it)); break;
      case Letter.TTL_LEFT: outTtlOf(itExptime(it)); break;
      case Letter.CAS: outFlagU64("c", itCas(it)); break;
      case Letter.CLIENT_FLAGS: outFlagU64("f", itClientFlags(it)); break;
      case Letter.LAST_ACCESS: outFlagU64("l", currentTime() - itTime(it)); break;
      case Letter.HIT_BEFORE: outStr(hasFlag(it, ITEM_FETCHED) ? " h1" : " h0"); break;
      case Letter.OPAQUE:
        if (!outOpaque(i)) {
          outTruncate(start);
          return errstring("CLIENT_ERROR opaque token too long");
        }
        break;
      case Letter.KEY: outKey(itKey(it), itNkey(it), hasFlag(it, ITEM_KEY_BINARY)); break;
    }
  }
  if (hasFlag(it, ITEM_TOKEN_SENT)) outStr(" Z");
  if (hasFlag(it, ITEM_STALE)) {
    outStr(" X");
    if (!hasFlag(it, ITEM_TOKEN_SENT)) won = true;
  }
  if (won) {
    outStr(" W");
    metaWin(it);
  }
  outCrlf();
  if (flag(m(M_VALUE))) writeData(it);
  metaHit(it, lruId, ttlSet, !flag(m(M_NO_UPDATE)));
  return 0;
}

function writeData(it: usize): void {
  const dst = outReserve(itNbytes(it));
  if (dst) valueCopyOut(it, dst);
  outCrlf();
}

function mgMiss(ntokens: u32): i64 {
  metaMiss();
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
  switch (<i32>load<u8>(m(M_MODE))) {
    case 0: case Letter.MODE_SET: return StoreOp.SET;
    case Letter.MODE_ADD: return StoreOp.ADD;
    case Letter.MODE_APPEND: return StoreOp.APPEND;
    case Letter.MODE_PREPEND: return StoreOp.PREPEND;
    case Letter.MODE_REPLACE: return StoreOp.REPLACE;
  }
  return 0;
}

function execMs(c: usize, ntokens: u32, data: usize, dataAvail: u32): i64 {
  if (ntokens < 3) return error();
  if (tokLen(1) > KEY_MAX_LENGTH || ntokens == 3) return errstring("CLIENT_ERROR bad command line format");
  if (ntokens > MFLAG_MAX_OPT_LENGTH) return errstring("CLIENT_ERROR options flags too long");
  if (!parseSigned(tokAt(2), tokLen(2))) return errstring("CLIENT_ERROR bad command line format");
  const vlen = <i64><i32>num();
  if (vlen < 0 || vlen > INT_MAX - 2) return errstring("CLIENT_ERROR bad command line format");
  const total = <u32>vlen + 2;
  // From here on an error also swallows the data block, as memcached does.
  if (!preparse(3, ntokens)) return msError(c, errstr(), total, dataAvail);
  for (let i: u32 = 3; i < ntokens - 1; i++) {
    if (letterAt(i) == Letter.OPAQUE && tokLen(i) > MFLAG_MAX_OPAQUE_LENGTH) {
      return msError(c, "CLIENT_ERROR opaque token too long", total, dataAvail);
    }
  }
  let op = msMode();
  if (op == 0) return msError(c, "CLIENT_ERROR invalid mode for ms M token", total, dataAvail);
  if (flag(m(M_HAS_CAS)) && (op == StoreOp.SET || op == StoreOp.REPLACE)) op = StoreOp.CAS;
  const key = metaKey();
  const nkey = metaNkey();
  const clientFlags = load<u32>(m(M_CLIENT_FLAGS));
  if (!itemSizeOk(nkey, clientFlags, <u64>vlen)) {
    statIncr(Stat.STORE_TOO_LARGE);
    logStore(key, nkey, StoreResult.TOO_LARGE, op, 0);
    deleteStaleKey(key, nkey);
    return msError(c, "SERVER_ERROR object too large for cache", total, dataAvail);
  }
  if (dataAvail < total) {
    needBytes(<u32>(data - tokAt(0)) + total);
    return EXEC_NEED_MORE;
  }
  setNoreply(flag(m(M_NO_REPLY)));
  let opts: u32 = load<u16>(data + <usize>vlen) == CRLF ? 0 : STORE_BAD_DATA;
  if (flag(m(M_SET_STALE)) && op == StoreOp.CAS) opts |= STORE_CAS_STALE;
  if (flag(m(M_KEY_BINARY))) opts |= STORE_KEY_BINARY;
  const casIn = flag(m(M_HAS_CAS)) ? load<u64>(m(M_REQ_CAS)) : 0;
  const r = storeCommand(op, key, nkey, clientFlags, load<u32>(m(M_EXPTIME)), data, <u32>vlen, casIn, opts);
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
    deleteStaleKey(metaKey(), metaNkey());
    errstring("SERVER_ERROR out of memory storing object");
    return;
  }
  if (r == StoreResult.STORED && noreply()) return;
  outStr(r == StoreResult.STORED ? "HD" : r == StoreResult.EXISTS ? "EX" : r == StoreResult.NOT_FOUND ? "NF" : "NS");
  const cas: u64 = r == StoreResult.STORED ? resultCas() : 0;
  for (let i: u32 = 3; i < ntokens - 1; i++) {
    const o = letterAt(i);
    if (o == Letter.OPAQUE) outOpaque(i);
    else if (o == Letter.KEY) outKey(metaKey(), metaNkey(), flag(m(M_KEY_BINARY)));
    else if (o == Letter.CAS) outFlagU64("c", cas);
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
  setNoreply(flag(m(M_NO_REPLY)));
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
  let opts: u32 = flag(m(M_HAS_CAS)) ? MD_COMPARE_CAS : 0;
  if (flag(m(M_SET_STALE))) opts |= MD_STALE;
  if (flag(m(M_NEW_TTL))) opts |= MD_NEW_TTL;
  const r = metaDelete(metaKey(), metaNkey(), opts, load<u64>(m(M_REQ_CAS)), load<u32>(m(M_EXPTIME)));
  if (r == MetaDeleteResult.NOT_FOUND) {
    setStatus(start, "NF");
    return 0;
  }
  if (r == MetaDeleteResult.EXISTS) {
    setStatus(start, "EX");
    return 0;
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
  const mode = <i32>load<u8>(m(M_MODE));
  let incr = true;
  if (mode == Letter.MODE_DECR || mode == Letter.MODE_MINUS) incr = false;
  else if (mode != 0 && mode != Letter.MODE_INCR && mode != Letter.MODE_PLUS) {
    return errstring("CLIENT_ERROR invalid mode for ma M token");
  }
  const key = metaKey();
  const nkey = metaNkey();
  const casIn = flag(m(M_HAS_CAS)) ? load<u64>(m(M_REQ_CAS)) : 0;
  let r = arithHold(key, nkey, incr, load<u64>(m(M_DELTA)), casIn);
  let number = resultNumber();
  let created = false;
  switch (r) {
    case ArithResult.NON_NUMERIC: return errstring("CLIENT_ERROR cannot increment or decrement non-numeric value");
    case ArithResult.NO_MEMORY: return errstring("SERVER_ERROR out of memory");
    case ArithResult.EXISTS: return maNoItem(ntokens, "EX");
    case ArithResult.NOT_FOUND:
      if (!flag(m(M_VIVIFY))) {
        countArithMiss(incr);
        return maNoItem(ntokens, "NF");
      }
      // N: the counter is created holding J; the delta is not applied. memcached holds the
      // item lock from the miss to the add; here another client may add it in between, and
      // then the delta goes to that counter.
      number = load<u64>(m(M_INITIAL));
      const made = createCounter(key, nkey, number, 0);
      if (made == StoreResult.NO_MEMORY) return errstring("SERVER_ERROR Out of memory allocating new item");
      if (made == StoreResult.STORED) {
        created = true;
        break;
      }
      r = arithHold(key, nkey, incr, load<u64>(m(M_DELTA)), casIn);
      if (r != ArithResult.OK) return errstring("SERVER_ERROR Out of memory allocating new item");
      number = resultNumber();
      break;
  }
  const reply = maHit(resultItem(), ntokens, number, created);
  itemRelease();
  return reply;
}

// ma's reply for the counter's item (handed over, still held): a new one when `created`.
function maHit(it: usize, ntokens: u32, number: u64, created: bool): i64 {
  const key = metaKey();
  const nkey = metaNkey();
  // memcached applies T to the item do_add_delta hands back, which is the old, unlinked one
  // when the number outgrew it and a new item took its place: the new TTL is lost, though t
  // reports it. `oldExptime` stands in for that old item's.
  const replaced = resultReplaced();
  let oldExptime = itExptime(it);
  const digits = formatU64(scratch(SCRATCH_DIGITS), number);
  const start = outLen();
  if (flag(m(M_VALUE))) {
    outStr("VA ");
    outU64(digits);
  } else {
    outStr("HD");
  }
  for (let i: u32 = 2; i < ntokens - 1; i++) {
    switch (letterAt(i)) {
      case Letter.CAS: outFlagU64("c", itCas(it)); break;
      case Letter.TTL_LEFT: outTtlOf(replaced ? oldExptime : itExptime(it)); break;
      case Letter.TTL:
        if (replaced) oldExptime = load<u32>(m(M_EXPTIME));
        else metaSetExptime(it, load<u32>(m(M_EXPTIME)));
        break;
      case Letter.VIVIFY: if (created) metaSetExptime(it, load<u32>(m(M_AUTOVIV))); break;
      case Letter.OPAQUE:
        if (!outOpaque(i)) {
          outTruncate(start);
          return errstring("CLIENT_ERROR opaque token too long");
        }
        break;
      case Letter.KEY: outKey(key, nkey, flag(m(M_KEY_BINARY))); break;
    }
  }
  outCrlf();
  if (flag(m(M_VALUE))) {
    outBytes(scratch(SCRATCH_DIGITS), digits);
    outCrlf();
  }
  // q silences a hit (a created counter still answers), after its flags have acted.
  if (noreply() && !created) outTruncate(start);
  return 0;
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
    nkey = base64Decode(key, nkey, m(M_KEY));
    if (nkey == 0) return errstring("CLIENT_ERROR bad command line format");
    key = m(M_KEY);
  }
  statIncr(Stat.CMD_META);
  const it = metaPeek(key, nkey);
  if (!it) {
    outLine("EN");
    return 0;
  }
  meLine(it);
  itemRelease();
  return 0;
}

// me's line for the item metaPeek handed over (still held).
function meLine(it: usize): void {
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
}

function outI32(v: i32): void {
  if (v < 0) {
    outByte(MINUS_SIGN);
    outU64(<u64>(-<i64>v));
    return;
  }
  outU64(<u64>v);
}

