// Storage commands: set / add / replace / append / prepend / cas (memcached's
// process_update_command, complete_nread and do_store_item).
import { LogType } from "../abi/log";
import { StoreOp, StoreResult } from "../abi/results";
import {
  itCas, itClsid, itNbytes, itNkey, itKey, itExptime, itClientFlags, hasFlag, addFlag,
  ITEM_STALE, ITEM_TOKEN_SENT, ITEM_KEY_BINARY, setExptime, setCas,
} from "../cache/item";
import { hash } from "../util/hash";
import { itemAlloc, itemFree, doItemGet, doItemLink, doItemReplace, doItemUnlink, itemSizeOk, logItemEnd } from "../cache/items";
import { doItemUpdate } from "../cache/lru";
import { lockForItem, unlockItem } from "./hold";
import { valueWrite, valueCopy } from "../cache/chunk";
import { Stat, statIncr, SlabStat, slabStatIncr } from "../counters/counters";
import { setResultCas } from "./result";
import { logWanted, logBegin, logStr, logKey, logU64 } from "../logger/logger";
import { currentTime } from "../cache/clock";

export { itemSizeOk } from "../cache/items";

// How a storage command's data block arrived and what the new item carries besides its value.
export const STORE_BAD_DATA: u32 = 1;   // the block did not end in "\r\n": memcached still
                                        // allocates and counts the set, then stores nothing
export const STORE_CAS_STALE: u32 = 2;  // meta's I: a lower CAS stores the value, marked stale
export const STORE_KEY_BINARY: u32 = 4; // meta's b: the key was given in base64

// A whole storage command: `value` holds nbytes of data, `exptimeRel` is already relative
// (cache/clock.ts realtime()), `casIn` is the cas command's unique (0 otherwise), `opts` the STORE_*
// bits. On STORED the new CAS is in RESULT.
export function storeCommand(
  op: StoreOp, key: usize, nkey: u32, clientFlags: u32, exptimeRel: u32,
  value: usize, nbytes: u32, casIn: u64, opts: u32,
): StoreResult {
  const hv = hash(key, nkey);
  if (!itemSizeOk(nkey, clientFlags, nbytes)) {
    statIncr(Stat.STORE_TOO_LARGE);
    logStore(key, nkey, StoreResult.TOO_LARGE, op, 0);
    if (op == StoreOp.SET) deleteStale(key, nkey, hv);
    return StoreResult.TOO_LARGE;
  }
  const it = itemAlloc(key, nkey, clientFlags, exptimeRel, nbytes);
  if (!it) {
    statIncr(Stat.STORE_NO_MEMORY);
    logStore(key, nkey, StoreResult.NO_MEMORY, op, 0);
    if (op == StoreOp.SET) deleteStale(key, nkey, hv);
    return StoreResult.NO_MEMORY;
  }
  slabStatIncr(itClsid(it), SlabStat.SET_CMDS);
  if (opts & STORE_KEY_BINARY) addFlag(it, ITEM_KEY_BINARY);
  if (opts & STORE_BAD_DATA) {
    itemFree(it);
    return StoreResult.BAD_DATA;
  }
  valueWrite(it, 0, value, nbytes);
  setCas(it, casIn);
  lockForItem(hv);
  const res = doStoreItem(it, op, hv, (opts & STORE_CAS_STALE) != 0);
  unlockItem(hv);
  if (res != StoreResult.STORED) {
    logStore(key, nkey, res, op, it);
    itemFree(it);
  }
  return res;
}

const STORE_STATUS: StaticArray<string> = ["stored", "not_stored", "exists", "not_found", "too_large", "no_memory"];
const STORE_CMD: StaticArray<string> = ["", "set", "add", "replace", "append", "prepend", "cas"];

// `watch mutations`: memcached's item_store line. `it` is the item stored or refused (0 when
// none could be allocated).
export function logStore(key: usize, nkey: u32, res: StoreResult, op: StoreOp, it: usize): void {
  if (!logWanted(LogType.MUTATIONS)) return;
  const e = logBegin(LogType.MUTATIONS);
  logStr(e, "type=item_store key=");
  logKey(e, key, nkey);
  logStr(e, " status=");
  logStr(e, STORE_STATUS[<i32>res]);
  logStr(e, " cmd=");
  logStr(e, STORE_CMD[<i32>op]);
  logStr(e, " ttl=");
  const exptime = it ? itExptime(it) : 0;
  logU64(e, exptime == 0 ? 0 : <u64>(exptime - currentTime()));
  logItemEnd(e, it);
}

export function deleteStaleKey(key: usize, nkey: u32): void {
  deleteStale(key, nkey, hash(key, nkey));
}

// A failed set must not leave the previous value readable.
function deleteStale(key: usize, nkey: u32, hv: u32): void {
  lockForItem(hv);
  const old = doItemGet(key, nkey, hv, false);
  if (old) doItemUnlink(old, hv);
  unlockItem(hv);
}

enum CasCheck { NONE, MATCH, BADVAL, STALE }

function casCheck(it: usize, old: usize, casStale: bool): CasCheck {
  const itCasv = itCas(it);
  const oldCas = itCas(old);
  if (itCasv == 0) return CasCheck.NONE;
  if (itCasv == oldCas) return CasCheck.MATCH;
  if (casStale && itCasv < oldCas) return CasCheck.STALE;
  return CasCheck.BADVAL;
}

// memcached's do_store_item, the item lock of hv held. `it` is unlinked and carries the
// requested CAS; on anything but STORED the caller frees it. Append/prepend build a third item
// and free `it` themselves.
export function doStoreItem(it: usize, op: StoreOp, hv: u32, casStale: bool): StoreResult {
  const old = doItemGet(itKey(it), itNkey(it), hv, false);
  if (!old) return storeNew(it, op, hv);
  const check = casCheck(it, old, casStale);
  switch (op) {
    case StoreOp.ADD:
      doItemUpdate(old); // a refused add still counts as a use of the existing item
      return StoreResult.NOT_STORED;
    case StoreOp.CAS:
      if (check == CasCheck.MATCH) {
        slabStatIncr(itClsid(old), SlabStat.CAS_HITS);
      } else if (check == CasCheck.STALE) {
        setExptime(it, itExptime(old));
        addFlag(it, ITEM_STALE);
        if (hasFlag(old, ITEM_TOKEN_SENT)) addFlag(it, ITEM_TOKEN_SENT);
        slabStatIncr(itClsid(old), SlabStat.CAS_HITS);
      } else {
        slabStatIncr(itClsid(old), SlabStat.CAS_BADVAL);
        return StoreResult.EXISTS;
      }
      break;
    case StoreOp.APPEND:
    case StoreOp.PREPEND:
      if (check != CasCheck.NONE && check != CasCheck.MATCH) return StoreResult.EXISTS;
      return storeJoined(it, old, op, hv);
  }
  doItemReplace(old, it, hv);
  setResultCas(itCas(it));
  logStore(itKey(it), itNkey(it), StoreResult.STORED, op, it);
  return StoreResult.STORED;
}

function storeNew(it: usize, op: StoreOp, hv: u32): StoreResult {
  if (op == StoreOp.CAS) {
    statIncr(Stat.CAS_MISSES);
    return StoreResult.NOT_FOUND;
  }
  if (op != StoreOp.SET && op != StoreOp.ADD) return StoreResult.NOT_STORED;
  doItemLink(it, hv);
  setResultCas(itCas(it));
  logStore(itKey(it), itNkey(it), StoreResult.STORED, op, it);
  return StoreResult.STORED;
}

// Append / prepend: a new item holding both values, with the old item's flags and exptime.
function storeJoined(it: usize, old: usize, op: StoreOp, hv: u32): StoreResult {
  const oldLen = itNbytes(old);
  const addLen = itNbytes(it);
  const total = <u64>oldLen + <u64>addLen;
  const flags = itClientFlags(old);
  if (!itemSizeOk(itNkey(old), flags, total)) return StoreResult.NOT_STORED;
  // Allocation may evict, but not `old`: its item lock, held, makes evictors pass it by, as
  // memcached's reference does.
  const joined = itemAlloc(itKey(it), itNkey(it), flags, itExptime(old), <u32>total);
  if (!joined) return StoreResult.NOT_STORED;
  if (op == StoreOp.APPEND) {
    valueCopy(joined, 0, old);
    valueCopy(joined, oldLen, it);
  } else {
    valueCopy(joined, 0, it);
    valueCopy(joined, addLen, old);
  }
  doItemReplace(old, joined, hv);
  itemFree(it);
  setResultCas(itCas(joined));
  logStore(itKey(joined), itNkey(joined), StoreResult.STORED, op, joined);
  return StoreResult.STORED;
}

