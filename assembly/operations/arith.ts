// incr / decr (memcached's do_add_delta): 64-bit unsigned counters kept as decimal text.
import { scratch, SCRATCH_DIGITS } from "../layout/thread";
import { strtoull, formatU64 } from "../util/numbers";
import { ArithResult, StoreOp, StoreResult } from "../abi/results";
import {
  itNbytes, itData, itClsid, itCas, itKey, itNkey, itClientFlags, itExptime, hasFlag, setCas,
  ITEM_CHUNKED,
} from "../cache/item";
import { hash } from "../util/hash";
import { doItemGet, itemAlloc, itemFree, doItemReplace, doItemNewCas } from "../cache/items";
import { doItemUpdate } from "../cache/lru";
import { lockForItem, unlockItem, handOver, itemRelease } from "./hold";
import { valueWrite } from "../cache/chunk";
import { Stat, statIncr, SlabStat, slabStatIncr } from "../counters/counters";
import { setResultCas, setResultNumber, setResultItem } from "./result";
import { doStoreItem } from "./storage";


const SPACE: u8 = 0x20;

export function countArithMiss(incr: bool): void {
  statIncr(incr ? Stat.INCR_MISSES : Stat.DECR_MISSES);
}

// incr / decr; the item now holding the counter is left in RESULT. Callers count a miss
// (ma's vivify does not).
export function arithCommand(key: usize, nkey: u32, incr: bool, delta: u64, casIn: u64): ArithResult {
  const r = arithHold(key, nkey, incr, delta, casIn);
  itemRelease();
  return r;
}

// The same, handing the counter's item over locked on OK (release it with itemRelease): meta's
// ma reads and sets its CAS and TTL.
export function arithHold(key: usize, nkey: u32, incr: bool, delta: u64, casIn: u64): ArithResult {
  const hv = hash(key, nkey);
  lockForItem(hv);
  const r = doAddDelta(key, nkey, hv, incr, delta, casIn);
  if (r == ArithResult.OK) handOver(hv);
  else unlockItem(hv);
  return r;
}

// memcached's do_add_delta, the item lock of hv held.
function doAddDelta(key: usize, nkey: u32, hv: u32, incr: bool, delta: u64, casIn: u64): ArithResult {
  const it = doItemGet(key, nkey, hv, false);
  if (!it) return ArithResult.NOT_FOUND;
  const len = itNbytes(it);
  if (len == 0 || hasFlag(it, ITEM_CHUNKED)) return ArithResult.NON_NUMERIC;
  if (casIn != 0 && itCas(it) != casIn) return ArithResult.EXISTS;
  // The counter is parsed into SCRATCH_DIGITS, then its new decimal text replaces it there.
  if (!strtoull(itData(it), len, scratch(SCRATCH_DIGITS))) return ArithResult.NON_NUMERIC;
  let value = load<u64>(scratch(SCRATCH_DIGITS));
  if (incr) value += delta;
  else value = delta > value ? 0 : value - delta;
  slabStatIncr(itClsid(it), incr ? SlabStat.INCR_HITS : SlabStat.DECR_HITS);
  const digits = formatU64(scratch(SCRATCH_DIGITS), value);
  setResultNumber(value);
  if (digits <= len) {
    // In place, right-padded with spaces: the length (and the item) stay.
    doItemNewCas(it);
    memory.copy(itData(it), scratch(SCRATCH_DIGITS), digits);
    memory.fill(itData(it) + digits, SPACE, len - digits);
    doItemUpdate(it);
    setResultCas(itCas(it));
    setResultItem(it, false);
    return ArithResult.OK;
  }
  // The number outgrew its item. Allocating may evict, but not `it`: its item lock is held.
  const fresh = itemAlloc(itKey(it), itNkey(it), itClientFlags(it), itExptime(it), digits);
  if (!fresh) return ArithResult.NO_MEMORY;
  memory.copy(itData(fresh), scratch(SCRATCH_DIGITS), digits);
  doItemReplace(it, fresh, hv);
  setResultCas(itCas(fresh));
  setResultItem(fresh, true);
  return ArithResult.OK;
}

// A missed counter created holding `initial` (the delta not applied), as an add: the binary
// protocol's incr/decr with an expiration other than 0xffffffff, and meta's ma with N. It is
// not a storage command: memcached counts cmd_set only for data blocks read from a client.
// STORED hands the new item over locked (release it with itemRelease) and leaves it in RESULT;
// NO_MEMORY, or NOT_STORED when another client added the key first.
export function createCounter(key: usize, nkey: u32, initial: u64, exptimeRel: u32): StoreResult {
  const digits = formatU64(scratch(SCRATCH_DIGITS), initial);
  const it = itemAlloc(key, nkey, 0, exptimeRel, digits);
  if (!it) return StoreResult.NO_MEMORY;
  setCas(it, 0);
  valueWrite(it, 0, scratch(SCRATCH_DIGITS), digits);
  const hv = hash(key, nkey);
  lockForItem(hv);
  if (doStoreItem(it, StoreOp.ADD, hv, false) != StoreResult.STORED) {
    unlockItem(hv);
    itemFree(it);
    return StoreResult.NOT_STORED;
  }
  handOver(hv);
  setResultItem(it, false);
  return StoreResult.STORED;
}

