// The page mover (memcached's slab_rebalance_* in slabs.c): `slabs reassign <src> <dst>` and
// automove take one page from class src and give it to class dst (or the global page pool).
//
// A move is one call (a page holds at most 1 MiB of chunks), under the rebalance lock: a second
// request meanwhile is BUSY, as memcached's is. Every chunk of the page is emptied first:
//   free chunk        taken off the free list before anything else, so no rescue lands there
//                     and nothing is allocated there (memory/slabs.ts marks it EMPTIED)
//   expired/flushed   reclaimed (slab_reassign_inline_reclaim)
//   live item         copied into a free chunk of the same class and relinked in place: same
//                     hash chain slot, same LRU position, same CAS (slab_reassign_rescues)
//   value chunk       copied likewise and relinked into its chain (slab_reassign_chunk_rescues)
//   no free chunk     the item is evicted (slab_reassign_evictions_nomem); like memcached, a
//                     rescue never takes a new page
//   busy              an item another thread holds, or one being stored (allocated, not yet
//                     linked): the mover comes back to it (slab_reassign_busy_items), as
//                     memcached's does, until it is linked or freed
// An item is moved under its item lock, taken with a try; a value chunk under its item's.
import { Global, GLOBALS, global32, setGlobal32, PAGEMAP, MAX_PAGES, PAGE_SHIFT } from "../layout/layout";
import {
  itNkey, itExptime, itLruId, hasFlag, setFlags, itData, IT_HNEXT, IT_FLAGS,
  ITEM_LINKED, ITEM_CHUNK, ITEM_CHUNKED, chunkedHeadTotal, itClientFlags, itTotal,
} from "../cache/item";
import {
  powerLargest, classPages, classSize, classPerslab, classFree, doFreeListRemove, slabsAlloc,
  doPoolPut, doPoolTakePage, pageStart, SLAB_GLOBAL_PAGE_POOL, doAdoptPage, doDropPage,
  slabsLock, slabsUnlock, slabsFree, pageOwner, SLABBED, EMPTIED,
} from "../memory/slabs";
import { bucketFor } from "../cache/assoc";
import { currentTime } from "../cache/clock";
import { doItemUnlink, itemIsFlushed, itemHash } from "../cache/items";
import { doLruReplace } from "../cache/lru";
import { chunkNext, chunkPrev, chunkHead, firstChunk, CH_NEXT, CH_PREV, CH_HEAD } from "../cache/chunk";
import { Stat, statIncr } from "../counters/counters";
import {
  GlobalLock, globalTrylock, globalUnlock, itemTrylock, itemUnlock, lruLock, lruUnlock,
} from "../locks/locks";
import { doMemoryRelease } from "../memory/memlimit";

export enum ReassignResult { OK = 0, RUNNING = 1, BADCLASS = 2, NOSPARE = 3, SAME = 4 }

const PICK_ANY: i32 = -1;
// Between passes over a page with busy chunks, the mover sleeps this long (on a word nobody
// notifies: a plain timed sleep).
const BUSY_PAUSE_NS: i64 = 50_000;
const PAUSE_WORD: usize = GLOBALS + (<usize>Global.MOVER_PAUSE << 3);

export function slabsReassign(src: i32, dst: i32): ReassignResult {
  if (src == dst) return ReassignResult.SAME;
  if (!globalTrylock(GlobalLock.REBALANCE)) return ReassignResult.RUNNING;
  const r = reassign(src, dst);
  globalUnlock(GlobalLock.REBALANCE);
  return r;
}

// Whether a page is being moved right now (`stats`: slab_reassign_running).
export function reassignRunning(): bool { return global32(Global.REASSIGN_PAGE) != 0; }

function reassign(src: i32, dst: i32): ReassignResult {
  if (src == PICK_ANY) src = pickAny(dst);
  const largest = <i32>powerLargest();
  if (src < 0 || src > largest || dst < 0 || dst > largest) return ReassignResult.BADCLASS;
  if (classPages(<u32>src) < 2) return ReassignResult.NOSPARE;
  movePage(<u32>src, <u32>dst);
  return ReassignResult.OK;
}

// memcached's slabs_reassign_pick_any: the next class, round robin, with a page to spare.
function pickAny(dst: i32): i32 {
  const largest = powerLargest();
  let cur = global32(Global.REASSIGN_CURSOR);
  for (let tries = largest; tries > 0; tries--) {
    cur = cur >= largest ? 1 : cur + 1;
    if (<i32>cur == dst) continue;
    if (classPages(cur) > 1) {
      setGlobal32(Global.REASSIGN_CURSOR, cur);
      return <i32>cur;
    }
  }
  setGlobal32(Global.REASSIGN_CURSOR, cur);
  return PICK_ANY;
}

function firstPageOf(cls: u32): usize {
  for (let i: u32 = 0; i < MAX_PAGES; i++) {
    if (load<u8>(PAGEMAP + i) == <u8>cls) return <usize>i << PAGE_SHIFT;
  }
  return 0;
}

// The rebalance lock held.
function movePage(src: u32, dst: u32): void {
  slabsLock();
  const page = src == SLAB_GLOBAL_PAGE_POOL ? doPoolTakePage() : firstPageOf(src);
  if (page && src != SLAB_GLOBAL_PAGE_POOL) startEmptying(page, src);
  slabsUnlock();
  if (!page) return;
  if (src != SLAB_GLOBAL_PAGE_POOL) {
    while (!emptyPass(page, src)) atomic.wait<i32>(PAUSE_WORD, load<i32>(PAUSE_WORD), BUSY_PAUSE_NS);
  }
  slabsLock();
  if (src != SLAB_GLOBAL_PAGE_POOL) doDropPage(src, page);
  setGlobal32(Global.REASSIGN_PAGE, 0);
  if (dst == SLAB_GLOBAL_PAGE_POOL) {
    doPoolPut(page);
    doMemoryRelease();
  } else doAdoptPage(dst, page);
  slabsUnlock();
  statIncr(Stat.SLABS_MOVED);
}

// From now on a chunk of the page freed by anyone is EMPTIED, not listed; the free ones go now.
function startEmptying(page: usize, cls: u32): void {
  setGlobal32(Global.REASSIGN_PAGE, <u32>page);
  const size = <usize>classSize(cls);
  const n = classPerslab(cls);
  for (let i: u32 = 0; i < n; i++) {
    const ch = page + <usize>i * size;
    if (hasFlag(ch, SLABBED)) {
      doFreeListRemove(cls, ch);
      setFlags(ch, EMPTIED);
    }
  }
}

// One pass over the page. True when every chunk is EMPTIED.
function emptyPass(page: usize, cls: u32): bool {
  const size = <usize>classSize(cls);
  const n = classPerslab(cls);
  let done = true;
  for (let i: u32 = 0; i < n; i++) {
    const ch = page + <usize>i * size;
    if (!emptyChunk(ch, cls, page)) done = false;
  }
  return done;
}

// True when the chunk is empty now; false when it is busy and must be seen again.
function emptyChunk(ch: usize, cls: u32, page: usize): bool {
  const flags = atomic.load<u16>(ch + IT_FLAGS);
  if (flags & EMPTIED) return true;
  const item = flags & ITEM_CHUNK ? chunkHead(ch) : ch;
  // Not linked: an allocation on its way to being stored, or to being freed.
  if (!(flags & ITEM_CHUNK) && !(flags & ITEM_LINKED)) return busy();
  const hv = itemHash(item);
  if (!itemTrylock(hv)) return busy();
  // Under the lock: still what it was?
  const settled = flags & ITEM_CHUNK ? chunkHead(ch) == item && hasFlag(item, ITEM_LINKED) : hasFlag(ch, ITEM_LINKED);
  if (!settled) {
    itemUnlock(hv, false);
    return hasFlag(ch, EMPTIED) || busy();
  }
  if (flags & ITEM_CHUNK) {
    if (!rescueChunk(ch, cls, page)) evictFromPage(item, hv);
  } else if (expired(ch)) {
    statIncr(Stat.SLAB_REASSIGN_INLINE_RECLAIM);
    doItemUnlink(ch, hv);
  } else if (!rescueItem(ch, cls, page)) {
    evictFromPage(ch, hv);
  }
  itemUnlock(hv, false);
  return true;
}

function busy(): bool {
  statIncr(Stat.SLAB_REASSIGN_BUSY_ITEMS);
  return false;
}

function expired(it: usize): bool {
  const exptime = itExptime(it);
  return (exptime != 0 && exptime <= currentTime()) || itemIsFlushed(it);
}

// Unlinking frees the item's chunks: those of the moving page are EMPTIED (memory/slabs.ts).
function evictFromPage(it: usize, hv: u32): void {
  statIncr(Stat.SLAB_REASSIGN_EVICTIONS_NOMEM);
  doItemUnlink(it, hv);
}

// A free chunk of the class: never one of the moving page (none is on the list any more),
// never a new page (memcached's slab_rebalance_alloc).
function spareChunk(cls: u32): usize {
  return classFree(cls) > 0 ? slabsAlloc(cls) : 0;
}

// The item lock of `it` held.
function rescueItem(it: usize, cls: u32, page: usize): bool {
  const fresh = spareChunk(cls);
  if (!fresh) return false;
  memory.copy(fresh, it, hasFlag(it, ITEM_CHUNKED) ? chunkedHeadTotal(itNkey(it), itClientFlags(it)) : itTotal(it));
  relinkHash(it, fresh);
  const id = itLruId(it);
  lruLock(id);
  doLruReplace(it, fresh, id);
  lruUnlock(id);
  if (hasFlag(fresh, ITEM_CHUNKED)) {
    for (let ch = firstChunk(fresh); ch; ch = chunkNext(ch)) store<u32>(ch, <u32>fresh, CH_HEAD);
  }
  setFlags(it, EMPTIED);
  statIncr(Stat.SLAB_REASSIGN_RESCUES);
  return true;
}

// The hash chain slot that points at `it` now points at `fresh` (h_next was copied along).
function relinkHash(it: usize, fresh: usize): void {
  let slot = bucketFor(itemHash(it));
  while (load<u32>(slot) != <u32>it) slot = <usize>load<u32>(slot) + IT_HNEXT;
  store<u32>(slot, <u32>fresh);
}

// The item lock of the chunk's item held.
function rescueChunk(ch: usize, cls: u32, page: usize): bool {
  const fresh = spareChunk(cls);
  if (!fresh) return false;
  memory.copy(fresh, ch, <usize>classSize(cls));
  const prev = chunkPrev(ch);
  const next = chunkNext(ch);
  if (prev) store<u32>(prev, <u32>fresh, CH_NEXT);
  else store<u32>(itData(chunkHead(ch)), <u32>fresh);
  if (next) store<u32>(next, <u32>fresh, CH_PREV);
  setFlags(ch, EMPTIED);
  statIncr(Stat.SLAB_REASSIGN_CHUNK_RESCUES);
  return true;
}

// After a trap stopped a move half-way (locks/recovery.ts), with every thread out of the core:
// what it emptied goes back on the free list and the page stays with its class.
export function abandonMove(): void {
  const page = <usize>global32(Global.REASSIGN_PAGE);
  if (!page) return;
  const cls = <u32>pageOwner(page);
  setGlobal32(Global.REASSIGN_PAGE, 0);
  const size = <usize>classSize(cls);
  for (let i: u32 = 0; i < classPerslab(cls); i++) {
    const ch = page + <usize>i * size;
    if (hasFlag(ch, EMPTIED)) slabsFree(ch, cls);
  }
}
