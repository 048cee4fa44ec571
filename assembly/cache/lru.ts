// The segmented LRU (memcached's items.c LRU half and doc/new_lru.txt).
//
// Each slab class has four lists, HOT, WARM, COLD and TEMP, addressed by LRU id =
// class | lru (lru in the top two bits, as in the item's class byte). Head = newest.
//
// LRU record (LRUS + id × 32):
//   0  head   u32
//   4  tail   u32
//   8  count  u32   items on the list (memcached's sizes[])
//  16  bytes  u64   their itMcTotal() sum (sizes_bytes[])
//
// New items enter HOT (TEMP for short TTLs with -o temporary_ttl; COLD in flat mode). Items
// only move at the tails, by lruPullTail(): the maintainer step pushes HOT and WARM tails to
// COLD when a list is over its share of the class or older than COLD's tail by a factor,
// moves ACTIVE (fetched twice) items up to WARM, and reclaims expired tail items; allocation
// under memory pressure evicts from the COLD tail.
//
// Locks: each list has its own (memcached's lru_locks). A list changes only under its lock;
// an item moves between lists under its item lock, leaving one list under that list's lock
// and joining the other under the other's, never holding two. A `do` function expects the
// lock of the list it touches held; functions without it take it themselves.
import { LogType } from "../abi/log";
import { LRUS, LRU_SIZE, setting, settingOn, settingU32, Global, setGlobal32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import {
  itNext, itPrev, setNext, setPrev, itLruId, setLruId, itClsid, itLru, itTime, setTime,
  itExptime, itMcTotal, itNbytes, hasFlag, addFlag, clearFlag, itFlags, itKey, itNkey,
  ITEM_ACTIVE, ITEM_FETCHED, ITEM_LINKED, ITEM_CRAWLER,
  HOT_LRU, WARM_LRU, COLD_LRU, TEMP_LRU, CLSID_MASK,
} from "./item";
import { currentTime } from "./clock";
import { LruStat, lruStatIncr, setEvictedTime } from "../counters/counters";
import { itemIsFlushed, doItemUnlinkLruHeld, itemHash } from "./items";
import { lruLock, lruUnlock, lruLockHeld, itemTrylock, itemUnlock } from "../locks/locks";
import { logWanted, logBegin, logStr, logKey, logU64, logI64, logEnd } from "../logger/logger";

const LRU_HEAD: usize = 0;
const LRU_TAIL: usize = 4;
const LRU_COUNT: usize = 8;
const LRU_BYTES: usize = 16;

// lruPullTail flags
export const PULL_EVICT: u32 = 1;
export const PULL_CRAWL_BLOCKS: u32 = 2;

const TAIL_TRIES: i32 = 5;            // items a pull looks at before giving up
const ITEM_UPDATE_INTERVAL: u32 = 60; // flat mode: bump at most once a minute
const AUTOMOVE_ON_EVICTION: u32 = 2;  // slab_automove=2
// What tailAct did with a live tail item, when it did not pick a list for it to move to.
const NOTHING: u32 = 0x100;
const DONE: u32 = 0x200;

@inline function lru(id: u32): usize { return LRUS + <usize>id * LRU_SIZE; }
@inline export function lruHead(id: u32): usize { return load<u32>(lru(id), LRU_HEAD); }
@inline export function lruTail(id: u32): usize { return load<u32>(lru(id), LRU_TAIL); }
@inline export function lruCount(id: u32): u32 { return load<u32>(lru(id), LRU_COUNT); }
@inline export function lruBytes(id: u32): u64 { return load<u64>(lru(id), LRU_BYTES); }

@inline function assertLruLocked(id: u32): void {
  if (!ASC_NO_ASSERT) assert(lruLockHeld(id), "the LRU lock of this list");
}

// Links at the head without touching counts.
function doLruLinkRaw(it: usize, id: u32): void {
  const l = lru(id);
  const head = <usize>load<u32>(l, LRU_HEAD);
  setPrev(it, 0);
  setNext(it, head);
  if (head) setPrev(head, it);
  else store<u32>(l, <u32>it, LRU_TAIL);
  store<u32>(l, <u32>it, LRU_HEAD);
}

// Links at the tail, without counts: where a crawler pseudo-item starts its walk.
export function doLruLinkTail(it: usize, id: u32): void {
  assertLruLocked(id);
  const l = lru(id);
  const tail = <usize>load<u32>(l, LRU_TAIL);
  setNext(it, 0);
  setPrev(it, tail);
  if (tail) setNext(tail, it);
  else store<u32>(l, <u32>it, LRU_HEAD);
  store<u32>(l, <u32>it, LRU_TAIL);
}

// Puts `it` (already unlinked) just head-side of `at`, without counts.
export function doLruInsertBefore(it: usize, at: usize, id: u32): void {
  assertLruLocked(id);
  const prev = itPrev(at);
  setNext(it, at);
  setPrev(it, prev);
  setPrev(at, it);
  if (prev) setNext(prev, it);
  else store<u32>(lru(id), <u32>it, LRU_HEAD);
}

// `fresh` (a byte copy of `old`, links included) takes `old`'s place in the list.
export function doLruReplace(old: usize, fresh: usize, id: u32): void {
  assertLruLocked(id);
  const l = lru(id);
  const next = itNext(fresh);
  const prev = itPrev(fresh);
  if (prev) setNext(prev, fresh);
  else store<u32>(l, <u32>fresh, LRU_HEAD);
  if (next) setPrev(next, fresh);
  else store<u32>(l, <u32>fresh, LRU_TAIL);
}

// Unlinks without counts: crawler pseudo-items.
export function doLruUnlinkRaw(it: usize, id: u32): void {
  assertLruLocked(id);
  const l = lru(id);
  const next = itNext(it);
  const prev = itPrev(it);
  if (prev) setNext(prev, next);
  else store<u32>(l, <u32>next, LRU_HEAD);
  if (next) setPrev(next, prev);
  else store<u32>(l, <u32>prev, LRU_TAIL);
  setNext(it, 0);
  setPrev(it, 0);
}

export function doLruLink(it: usize): void {
  const id = itLruId(it);
  assertLruLocked(id);
  doLruLinkRaw(it, id);
  const l = lru(id);
  store<u32>(l, load<u32>(l, LRU_COUNT) + 1, LRU_COUNT);
  store<u64>(l, load<u64>(l, LRU_BYTES) + itMcTotal(it), LRU_BYTES);
}

export function doLruUnlink(it: usize): void {
  const id = itLruId(it);
  doLruUnlinkRaw(it, id);
  const l = lru(id);
  store<u32>(l, load<u32>(l, LRU_COUNT) - 1, LRU_COUNT);
  store<u64>(l, load<u64>(l, LRU_BYTES) - itMcTotal(it), LRU_BYTES);
}

// memcached's item_link_q / item_unlink_q: the item's list under its lock.
export function lruLink(it: usize): void {
  const id = itLruId(it);
  lruLock(id);
  doLruLink(it);
  lruUnlock(id);
}

export function lruUnlink(it: usize): void {
  const id = itLruId(it);
  lruLock(id);
  doLruUnlink(it);
  lruUnlock(id);
}

// The item (its item lock held) changes lists: out of one under its lock, into the other.
function moveTo(it: usize, target: u32): void {
  lruUnlink(it);
  setLruId(it, itClsid(it) | target);
  lruLink(it);
}

// The LRU a new item with this relative exptime enters (memcached's do_item_alloc).
export function initialLru(exptime: u32): u32 {
  // Unsigned on purpose, as in memcached: exptime 0 (never) wraps to a huge value.
  if (settingOn(Setting.TEMP_LRU) && exptime - currentTime() <= settingU32(Setting.TEMPORARY_TTL)) {
    return TEMP_LRU;
  }
  return settingOn(Setting.LRU_SEGMENTED) ? HOT_LRU : COLD_LRU;
}

// A fetch (memcached's do_item_bump), the item lock held: the first marks FETCHED, the second
// ACTIVE. An ACTIVE item in COLD goes to WARM now, under the item lock the fetch holds anyway;
// memcached queues that move for its maintainer thread to spare the worker the LRU locks.
export function doItemBump(it: usize): void {
  if (!settingOn(Setting.LRU_SEGMENTED)) {
    addFlag(it, ITEM_FETCHED);
    doItemUpdate(it);
    return;
  }
  if (hasFlag(it, ITEM_ACTIVE)) return;
  if (!hasFlag(it, ITEM_FETCHED)) {
    addFlag(it, ITEM_FETCHED);
    return;
  }
  addFlag(it, ITEM_ACTIVE);
  if (itLru(it) != COLD_LRU) {
    setTime(it, currentTime());
    return;
  }
  clearFlag(it, ITEM_ACTIVE);
  setTime(it, currentTime());
  lruStatIncr(itLruId(it), LruStat.MOVES_TO_WARM);
  moveTo(it, WARM_LRU);
}

// memcached's do_item_update, the item lock held: refresh the access time at most once a
// minute; in flat mode that is also when the item moves to the head.
export function doItemUpdate(it: usize): void {
  const now = currentTime();
  if (itTime(it) >= now - ITEM_UPDATE_INTERVAL || !hasFlag(it, ITEM_LINKED)) return;
  setTime(it, now);
  if (settingOn(Setting.LRU_SEGMENTED)) return;
  const id = itLruId(it);
  lruLock(id);
  doLruUnlink(it);
  doLruLink(it);
  lruUnlock(id);
}

// memcached's lru_pull_tail: looks at up to five items at the tail of one LRU, under its lock,
// taking each one's item lock with a try: a busy item is skipped. Expired items are freed
// and the walk goes on; the first live one it acts on ends it. Returns how many items it
// removed or moved.
export function lruPullTail(clsid: u32, cur: u32, totalBytes: u64, flags: u32, maxAge: u32): i32 {
  const id = clsid | cur;
  let removed: i32 = 0;
  let moveTarget: u32 = 0;
  let moved: usize = 0;
  let movedHv: u32 = 0;
  const now = currentTime();
  lruLock(id);
  let search = lruTail(id);
  for (let tries = TAIL_TRIES; tries > 0 && search; tries--) {
    const next = itPrev(search);
    if (hasFlag(search, ITEM_CRAWLER)) {
      if (flags & PULL_CRAWL_BLOCKS) break;
      tries++;
      search = next;
      continue;
    }
    const hv = itemHash(search);
    if (!itemTrylock(hv)) {
      // In use elsewhere: memcached skips an item it cannot lock or that is referenced.
      lruStatIncr(id, LruStat.LRUTAIL_REFLOCKED);
      search = next;
      continue;
    }
    const exptime = itExptime(search);
    if ((exptime != 0 && exptime < now) || itemIsFlushed(search)) {
      lruStatIncr(id, LruStat.RECLAIMED);
      if (!hasFlag(search, ITEM_FETCHED)) lruStatIncr(id, LruStat.EXPIRED_UNFETCHED);
      doItemUnlinkLruHeld(search, hv);
      itemUnlock(hv, false);
      removed++;
      search = next;
      continue; // expired tail items: keep going
    }
    const act = tailAct(search, hv, id, cur, totalBytes, flags, maxAge, now);
    if (act == NOTHING) {
      itemUnlock(hv, false);
      break;
    }
    removed++;
    if (act == DONE) {
      itemUnlock(hv, false);
      break;
    }
    // To another list, once this one's lock is let go.
    doLruUnlink(search);
    moved = search;
    movedHv = hv;
    moveTarget = act;
    break;
  }
  lruUnlock(id);
  if (moved) {
    setLruId(moved, clsid | moveTarget);
    lruLink(moved);
    itemUnlock(movedHv, false);
  }
  return removed;
}

// What lru_pull_tail does with the live item at the tail of list `cur` (its LRU lock and item
// lock held): NOTHING, DONE in place (relinked within WARM, or evicted), or the list it moves to.
function tailAct(it: usize, hv: u32, id: u32, cur: u32, totalBytes: u64, flags: u32, maxAge: u32, now: u32): u32 {
  if (cur == HOT_LRU || cur == WARM_LRU) {
    if (hasFlag(it, ITEM_ACTIVE)) {
      clearFlag(it, ITEM_ACTIVE);
      if (cur == HOT_LRU) {
        lruStatIncr(id, LruStat.MOVES_TO_WARM);
        return WARM_LRU;
      }
      lruStatIncr(id, LruStat.MOVES_WITHIN_LRU);
      doLruUnlink(it);
      doLruLink(it);
      return DONE;
    }
    const pct = cur == HOT_LRU ? setting(Setting.HOT_LRU_PCT) : setting(Setting.WARM_LRU_PCT);
    const limit = <u64>(<f64>totalBytes * pct / 100);
    if (lruBytes(id) > limit || now - itTime(it) > maxAge) {
      lruStatIncr(id, LruStat.MOVES_TO_COLD);
      return COLD_LRU;
    }
    return NOTHING;
  }
  if (cur != COLD_LRU) return NOTHING; // TEMP: only reclaims
  if (flags & PULL_EVICT) {
    if (!settingOn(Setting.EVICT_TO_FREE)) return NOTHING;
    evict(it, hv, id, now);
    return DONE;
  }
  if (hasFlag(it, ITEM_ACTIVE) && settingOn(Setting.LRU_SEGMENTED)) {
    lruStatIncr(id, LruStat.MOVES_TO_WARM);
    clearFlag(it, ITEM_ACTIVE);
    return WARM_LRU;
  }
  return NOTHING;
}

function evict(it: usize, hv: u32, id: u32, now: u32): void {
  lruStatIncr(id, LruStat.EVICTED);
  setEvictedTime(id, now - itTime(it));
  if (itExptime(it) != 0) lruStatIncr(id, LruStat.EVICTED_NONZERO);
  const f = itFlags(it);
  if (!(f & ITEM_FETCHED)) lruStatIncr(id, LruStat.EVICTED_UNFETCHED);
  if (f & ITEM_ACTIVE) lruStatIncr(id, LruStat.EVICTED_ACTIVE);
  if (logWanted(LogType.EVICTIONS)) logEviction(it, now);
  doItemUnlinkLruHeld(it, hv);
  // slab_automove=2 moves a page to a class on every eviction: the maintainer's next automove
  // step (background/automove.ts) serves the request.
  if (settingU32(Setting.SLAB_AUTOMOVE) == AUTOMOVE_ON_EVICTION) setGlobal32(Global.AUTOMOVE_PENDING, id & CLSID_MASK);
}

// `watch evictions`: memcached's eviction line (ttl left, -1 for none; seconds since access).
function logEviction(it: usize, now: u32): void {
  const e = logBegin(LogType.EVICTIONS);
  logStr(e, "type=eviction key=");
  logKey(e, itKey(it), itNkey(it));
  logStr(e, hasFlag(it, ITEM_FETCHED) ? " fetch=yes ttl=" : " fetch=no ttl=");
  const exptime = itExptime(it);
  logI64(e, exptime == 0 ? -1 : <i64>(<i32>(exptime - now)));
  logStr(e, " la=");
  logU64(e, now - itTime(it));
  logStr(e, " clsid=");
  logU64(e, itClsid(it));
  logStr(e, " size=");
  logU64(e, itNbytes(it));
  logEnd(e);
}

export function classHasItems(c: u32): bool {
  return (lruCount(c | HOT_LRU) | lruCount(c | WARM_LRU) | lruCount(c | COLD_LRU) | lruCount(c | TEMP_LRU)) != 0;
}


