// An item an operation hands to its caller stays locked until the caller has read what it
// needs and calls itemRelease(): the item lock stands in for the reference memcached's
// item_get takes (thread.c takes the item lock, do_item_get adds a reference, item_remove drops
// it). While held, no other thread changes or frees the item, and the LRU walkers, the crawler
// and the page mover skip it (they only try-lock). A protocol copies the value out under it.
import { ThreadGlobal, thread32, setThread32 } from "../layout/thread";
import { itemLock, itemUnlock } from "../locks/locks";

// The item lock of hv, for an operation that may hand its item over.
export function lockForItem(hv: u32): void { itemLock(hv); }

// The operation is done with the lock without handing anything over.
export function unlockItem(hv: u32): void { itemUnlock(hv, true); }

// The operation hands its item, still locked by hv, to the caller.
export function handOver(hv: u32): void {
  setThread32(ThreadGlobal.HELD_ITEM_HV, hv);
  setThread32(ThreadGlobal.HELD_ITEM, 1);
}

// The caller is done with the item an operation handed it.
export function itemRelease(): void {
  if (!thread32(ThreadGlobal.HELD_ITEM)) return;
  setThread32(ThreadGlobal.HELD_ITEM, 0);
  itemUnlock(thread32(ThreadGlobal.HELD_ITEM_HV), true);
}

export function holdsItem(): bool { return thread32(ThreadGlobal.HELD_ITEM) != 0; }
