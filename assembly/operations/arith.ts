// incr / decr (memcached's do_add_delta): 64-bit unsigned counters kept as decimal text.
import { settingOn, SCRATCH } from "../memory/layout";
import { Setting } from "../abi/settings";
import {
  itNbytes, itData, itClsid, itCas, itKey, itNkey, itClientFlags, itExptime, hasFlag, setCas,
  ITEM_CHUNKED,
} from "../cache/item";
import { hash } from "../util/hash";
import { itemGet, itemAlloc, itemReplace, nextCas, pin } from "../cache/items";
import { itemUpdate } from "../cache/lru";
import { sizesAdd, sizesRemove } from "../counters/sizes";
import { Stat, statIncr, SlabStat, slabStatIncr } from "../counters/counters";
import { setResultCas, setResultNumber } from "./result";

export enum ArithResult { OK = 0, NOT_FOUND = 1, NON_NUMERIC = 2, NO_MEMORY = 3, EXISTS = 4 }

const SPACE: u8 = 0x20;
const scratch = SCRATCH; // the parsed number, then its new decimal text (≤ 20 digits)

// strtoull's whitespace (isspace in the C locale).
@inline export function isSpace(c: u32): bool {
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

// memcached's safe_strtoull on bytes with no terminator of their own: the end of the bytes
// (or a NUL) ends the number as the "\r\n" memcached keeps after a value does. Stores the
// number at `out`; false if it is not one.
export function parseU64(p: usize, len: u32, out: usize): bool {
  let i: u32 = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  let negative = false;
  if (i < len && (load<u8>(p + i) == 0x2b || load<u8>(p + i) == 0x2d)) {
    negative = load<u8>(p + i) == 0x2d;
    i++;
  }
  const start = i;
  let v: u64 = 0;
  let overflow = false;
  while (i < len) {
    const c = <u32>load<u8>(p + i) - 0x30;
    if (c > 9) break;
    const next = v * 10 + c;
    if (v > 1844674407370955161 || next < v * 10) overflow = true;
    v = next;
    i++;
  }
  if (i == start || overflow) return false;
  if (i < len && load<u8>(p + i) != 0 && !isSpace(load<u8>(p + i))) return false;
  if (negative) {
    v = 0 - v;
    // strtoull negates; memcached only rejects the '-' when the result looks negative.
    if (<i64>v < 0) return false;
  }
  store<u64>(out, v);
  return true;
}

// Writes v in decimal at dst; returns the length.
export function formatU64(dst: usize, v: u64): u32 {
  let n: u32 = 0;
  let t = v;
  do { n++; t /= 10; } while (t != 0);
  let i = n;
  do { store<u8>(dst + --i, <u8>(0x30 + <u32>(v % 10))); v /= 10; } while (v != 0);
  return n;
}

export function countArithMiss(incr: bool): void {
  statIncr(incr ? Stat.INCR_MISSES : Stat.DECR_MISSES);
}

export function arithCommand(key: usize, nkey: u32, incr: bool, delta: u64, casIn: u64): ArithResult {
  const hv = hash(key, nkey);
  const it = itemGet(key, nkey, hv, false);
  if (!it) return ArithResult.NOT_FOUND; // callers count the miss: ma's vivify does not
  const len = itNbytes(it);
  if (len == 0 || hasFlag(it, ITEM_CHUNKED)) return ArithResult.NON_NUMERIC;
  if (casIn != 0 && itCas(it) != casIn) return ArithResult.EXISTS;
  if (!parseU64(itData(it), len, scratch)) return ArithResult.NON_NUMERIC;
  let value = load<u64>(scratch);
  if (incr) value += delta;
  else value = delta > value ? 0 : value - delta;
  slabStatIncr(itClsid(it), incr ? SlabStat.INCR_HITS : SlabStat.DECR_HITS);
  const digits = formatU64(scratch, value);
  setResultNumber(value);
  if (digits <= len) {
    // In place, right-padded with spaces: the length (and the item) stay.
    // The size histogram tells tracked items by CAS: take the item out and back in.
    sizesRemove(it);
    setCas(it, settingOn(Setting.USE_CAS) ? nextCas() : 0);
    sizesAdd(it);
    memory.copy(itData(it), scratch, digits);
    memory.fill(itData(it) + digits, SPACE, len - digits);
    itemUpdate(it);
    setResultCas(itCas(it));
    return ArithResult.OK;
  }
  pin(it);
  const fresh = itemAlloc(itKey(it), itNkey(it), itClientFlags(it), itExptime(it), digits);
  pin(0);
  if (!fresh) return ArithResult.NO_MEMORY;
  memory.copy(itData(fresh), scratch, digits);
  itemReplace(it, fresh, hv);
  setResultCas(itCas(fresh));
  return ArithResult.OK;
}

