// get, gets, gat, gats and touch: what each does to the cache and which counters it moves
// (memcached's process_get_command and process_touch_command over item_get / do_item_get).
import { itClsid, itLruId, setExptime } from "../cache/item";
import { hash } from "../util/hash";
import { realtime } from "../cache/clock";
import { doItemGet } from "../cache/items";
import { doItemBump } from "../cache/lru";
import { Stat, statIncr, SlabStat, slabStatIncr, LruStat, lruStatIncr } from "../counters/counters";
import { lockForItem, unlockItem, handOver, itemRelease } from "./hold";

// get / gets (touch = false) and gat / gats (touch = true): the live item, handed over locked
// (release it with itemRelease), or 0. A gat counts as a touch (cmd_touch, touch_hits), not a
// get, as in memcached.
export function getCommand(key: usize, nkey: u32, touch: bool, exptime: i64): usize {
  const hv = hash(key, nkey);
  lockForItem(hv);
  const it = doItemGet(key, nkey, hv, false);
  statIncr(touch ? Stat.CMD_TOUCH : Stat.CMD_GET);
  if (!it) {
    statIncr(touch ? Stat.TOUCH_MISSES : Stat.GET_MISSES);
    unlockItem(hv);
    return 0;
  }
  if (touch) {
    slabStatIncr(itClsid(it), SlabStat.TOUCH_HITS);
  } else {
    lruStatIncr(itLruId(it), LruStat.HITS);
    slabStatIncr(itClsid(it), SlabStat.GET_HITS);
  }
  doItemBump(it);
  if (touch) setExptime(it, realtime(exptime));
  handOver(hv);
  return it;
}

export function touchCommand(key: usize, nkey: u32, exptime: i64): bool {
  const found = getCommand(key, nkey, true, exptime) != 0;
  itemRelease();
  return found;
}
