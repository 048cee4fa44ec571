// delete (memcached's process_delete_command; the binary protocol's, which carries a CAS).
import { itClsid, itCas } from "../cache/item";
import { hash } from "../util/hash";
import { itemGet, itemUnlink } from "../cache/items";
import { Stat, statIncr, SlabStat, slabStatIncr } from "../counters/counters";

export enum DeleteResult { DELETED = 0, NOT_FOUND = 1, EXISTS = 2 }

export function deleteCommand(key: usize, nkey: u32): bool {
  return deleteIfCas(key, nkey, 0) == DeleteResult.DELETED;
}

// A non-zero `cas` must be the item's (EXISTS otherwise, counted as neither hit nor miss, as
// in memcached).
export function deleteIfCas(key: usize, nkey: u32, cas: u64): DeleteResult {
  const hv = hash(key, nkey);
  const it = itemGet(key, nkey, hv, false);
  if (!it) {
    statIncr(Stat.DELETE_MISSES);
    return DeleteResult.NOT_FOUND;
  }
  if (cas != 0 && itCas(it) != cas) return DeleteResult.EXISTS;
  slabStatIncr(itClsid(it), SlabStat.DELETE_HITS);
  itemUnlink(it, hv);
  return DeleteResult.DELETED;
}
