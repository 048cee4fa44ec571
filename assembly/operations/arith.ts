// incr / decr (memcached's do_add_delta): 64-bit unsigned counters kept as decimal text.
import { SCRATCH_DIGITS } from "../memory/layout";
import { strtoull, formatU64 } from "../util/numbers";
import { ArithResult, StoreOp, StoreResult } from "../abi/results";
import {
  itNbytes, itData, itClsid, itCas, itKey, itNkey, itClientFlags, itExptime, hasFlag, setCas,
  ITEM_CHUNKED,
} from "../cache/item";
import { hash } from "../util/hash";
import { itemGet, itemAlloc, itemFree, itemReplace, itemNewCas, pin } from "../cache/items";
import { itemUpdate } from "../cache/lru";
import { valueWrite } from "../cache/chunk";
import { Stat, statIncr, SlabStat, slabStatIncr } from "../counters/counters";
import { setResultCas, setResultNumber, setResultItem } from "./result";
import { storeItem } from "./storage";


const SPACE: u8 = 0x20;
// The counter's value is parsed into SCRATCH_DIGITS, then its new decimal text replaces it.
const scratch = SCRATCH_DIGITS;

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
  if (!strtoull(itData(it), len, scratch)) return ArithResult.NON_NUMERIC;
  let value = load<u64>(scratch);
  if (incr) value += delta;
  else value = delta > value ? 0 : value - delta;
  slabStatIncr(itClsid(it), incr ? SlabStat.INCR_HITS : SlabStat.DECR_HITS);
  const digits = formatU64(scratch, value);
  setResultNumber(value);
  if (digits <= len) {
    // In place, right-padded with spaces: the length (and the item) stay.
    itemNewCas(it);
    memory.copy(itData(it), scratch, digits);
    memory.fill(itData(it) + digits, SPACE, len - digits);
    itemUpdate(it);
    setResultCas(itCas(it));
    setResultItem(it, false);
    return ArithResult.OK;
  }
  pin(it);
  const fresh = itemAlloc(itKey(it), itNkey(it), itClientFlags(it), itExptime(it), digits);
  pin(0);
  if (!fresh) return ArithResult.NO_MEMORY;
  memory.copy(itData(fresh), scratch, digits);
  itemReplace(it, fresh, hv);
  setResultCas(itCas(fresh));
  setResultItem(fresh, true);
  return ArithResult.OK;
}

// A missed counter created holding `initial` (the delta not applied), as an add: the binary
// protocol's incr/decr with an expiration other than 0xffffffff, and meta's ma with N. It is
// not a storage command: memcached counts cmd_set only for data blocks read from a client.
// STORED leaves the new item in RESULT; NO_MEMORY or NOT_STORED (someone added it first).
export function createCounter(key: usize, nkey: u32, initial: u64, exptimeRel: u32): StoreResult {
  const digits = formatU64(scratch, initial);
  const it = itemAlloc(key, nkey, 0, exptimeRel, digits);
  if (!it) return StoreResult.NO_MEMORY;
  setCas(it, 0);
  valueWrite(it, 0, scratch, digits);
  if (storeItem(it, StoreOp.ADD, hash(key, nkey), false) != StoreResult.STORED) {
    itemFree(it);
    return StoreResult.NOT_STORED;
  }
  setResultItem(it, false);
  return StoreResult.STORED;
}

