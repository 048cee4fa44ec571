// delete (memcached's process_delete_command; the binary protocol's, which carries a CAS).
import { itClsid, itCas } from "../cache/item";
import { hash } from "../util/hash";
import { doItemGet, doItemUnlink } from "../cache/items";
import { Stat, statIncr, SlabStat, slabStatIncr } from "../counters/counters";
import { lockForItem, unlockItem } from "./hold";

export enum DeleteResult { DELETED = 0, NOT_FOUND = 1, EXISTS = 2 }

export function deleteCommand(key: usize, nkey: u32): bool {
  return deleteIfCas(key, nkey, 0) == DeleteResult.DELETED;
}

// A non-zero `cas` must be the item's (EXISTS otherwise, counted as neither hit nor miss, as
// in memcached).
export function deleteIfCas(key: usize, nkey: u32, cas: u64): DeleteResult {
  const hv = hash(key, nkey);
  lockForItem(hv);
  const r = doDelete(key, nkey, hv, cas);
  unlockItem(hv);
  return r;
}

function doDelete(key: usize, nkey: u32, hv: u32, cas: u64): DeleteResult {
  const it = doItemGet(key, nkey, hv, false);
  if (!it) {
    statIncr(Stat.DELETE_MISSES);
    return DeleteResult.NOT_FOUND;
  }
  if (cas != 0 && itCas(it) != cas) return DeleteResult.EXISTS;
  slabStatIncr(itClsid(it), SlabStat.DELETE_HITS);
  doItemUnlink(it, hv);
  return DeleteResult.DELETED;
}
