// Retrieval, touch, delete and flush_all: what each does to the cache and which counters it
// moves (memcached's process_get_command, process_touch_command, process_delete_command,
// process_flush_all_command). Storage is in store.ts, incr/decr in arith.ts.
import { Global, setGlobal64, settingOn } from "../memory/layout";
import { Setting } from "../abi/settings";
import { itClsid, itLruId, itCas, setExptime } from "../cache/item";
import { hash } from "../util/hash";
import { currentTime, realtime } from "../cache/clock";
import { itemGet, itemUnlink, nextCas } from "../cache/items";
import { itemBump } from "../cache/lru";
import { Stat, statIncr, SlabStat, slabStatIncr, LruStat, lruStatIncr } from "../counters/counters";

// get / gets (touch = false) and gat / gats (touch = true): the live item or 0.
// A gat counts as a touch (cmd_touch, touch_hits), not a get, as in memcached.
export function getCommand(key: usize, nkey: u32, touch: bool, exptime: i64): usize {
  const hv = hash(key, nkey);
  const it = itemGet(key, nkey, hv, false);
  statIncr(touch ? Stat.CMD_TOUCH : Stat.CMD_GET);
  if (!it) {
    statIncr(touch ? Stat.TOUCH_MISSES : Stat.GET_MISSES);
    return 0;
  }
  if (touch) {
    slabStatIncr(itClsid(it), SlabStat.TOUCH_HITS);
  } else {
    lruStatIncr(itLruId(it), LruStat.HITS);
    slabStatIncr(itClsid(it), SlabStat.GET_HITS);
  }
  itemBump(it);
  if (touch) setExptime(it, realtime(exptime));
  return it;
}

export function touchCommand(key: usize, nkey: u32, exptime: i64): bool {
  return getCommand(key, nkey, true, exptime) != 0;
}

export function deleteCommand(key: usize, nkey: u32): bool {
  return deleteIfCas(key, nkey, 0) == DeleteResult.DELETED;
}

export enum DeleteResult { DELETED = 0, NOT_FOUND = 1, EXISTS = 2 }

// The binary protocol's delete carries a CAS: non-zero, it must be the item's (EXISTS otherwise,
// counted as neither hit nor miss, as in memcached).
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

// flush_all [delay]: everything last touched before the deadline dies at the deadline.
// Immediate flushes also kill by CAS, which makes them exact within the current second.
// (cmd_flush is counted by the caller: memcached counts refused flushes too.)
export function flushCommand(delay: i64): void {
  const newOldest = delay > 0 ? realtime(delay) : currentTime();
  if (!settingOn(Setting.USE_CAS)) {
    setGlobal64(Global.OLDEST_LIVE, newOldest);
    return;
  }
  const oldestLive = newOldest - 1;
  setGlobal64(Global.OLDEST_LIVE, oldestLive);
  if (oldestLive <= currentTime()) setGlobal64(Global.OLDEST_CAS, nextCas());
}
