// The page mover (memcached's slab_rebalance_* in slabs.c): `slabs reassign <src> <dst>` and
// automove take one page from class src and give it to class dst (or the global page pool).
//
// memcached moves pages on a background thread; here a move is one bounded call (a page holds
// at most 1 MiB of chunks). Every chunk of the page is emptied first:
//   free chunk        taken off the free list before anything else, so no rescue lands there
//   expired/flushed   reclaimed (slab_reassign_inline_reclaim)
//   live item         copied into a free chunk of the same class and relinked in place: same
//                     hash chain slot, same LRU position, same CAS (slab_reassign_rescues)
//   value chunk       copied likewise and relinked into its chain (slab_reassign_chunk_rescues)
//   no free chunk     the item is evicted (slab_reassign_evictions_nomem); like memcached, a
//                     rescue never takes a new page
import { Global, global32, setGlobal32, PAGEMAP, MAX_PAGES, PAGE_SHIFT } from "../memory/layout";
import {
  itFlags, itKey, itNkey, itExptime, itLruId, hasFlag, setFlags, itData, IT_HNEXT,
  ITEM_SLABBED, ITEM_LINKED, ITEM_CHUNK, ITEM_CHUNKED, chunkedHeadTotal, itClientFlags, itTotal,
} from "../cache/item";
import {
  powerLargest, classPages, classSize, classPerslab, classFree, freeListRemove, slabsAlloc,
  poolPut, poolTakePage, pageStart, SLAB_GLOBAL_PAGE_POOL, adoptPage, dropPage,
} from "../memory/slabs";
import { bucketFor } from "../cache/assoc";
import { hash } from "../util/hash";
import { currentTime } from "../cache/clock";
import { itemUnlink, itemIsFlushed, itemHash, isPinned } from "../cache/items";
import { lruReplaceRaw } from "../cache/lru";
import { chunkNext, chunkPrev, chunkHead, firstChunk, CH_NEXT, CH_PREV, CH_HEAD } from "../cache/chunk";
import { Stat, statIncr } from "../counters/counters";
import { memoryRelease } from "../memory/memlimit";

export enum ReassignResult { OK = 0, RUNNING = 1, BADCLASS = 2, NOSPARE = 3, SAME = 4 }

const PICK_ANY: i32 = -1;

export function slabsReassign(src: i32, dst: i32): ReassignResult {
  if (src == dst) return ReassignResult.SAME;
  if (src == PICK_ANY) src = pickAny(dst);
  const largest = <i32>powerLargest();
  if (src < 0 || src > largest || dst < 0 || dst > largest) return ReassignResult.BADCLASS;
  if (classPages(<u32>src) < 2) return ReassignResult.NOSPARE;
  if (!movePage(<u32>src, <u32>dst)) return ReassignResult.RUNNING;
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

// False only when the page holds the item an operation has pinned (cannot happen between
// commands; the mover then reports busy rather than move memory under a reader).
function movePage(src: u32, dst: u32): bool {
  const page = src == SLAB_GLOBAL_PAGE_POOL ? poolTakePage() : firstPageOf(src);
  if (!page) return true;
  if (src != SLAB_GLOBAL_PAGE_POOL && !emptyPage(page, src)) return false;
  if (dst == SLAB_GLOBAL_PAGE_POOL) {
    poolPut(page);
    memoryRelease();
  } else adoptPage(dst, page);
  statIncr(Stat.SLABS_MOVED);
  return true;
}

function emptyPage(page: usize, cls: u32): bool {
  const size = <usize>classSize(cls);
  const n = classPerslab(cls);
  for (let i: u32 = 0; i < n; i++) {
    const ch = page + <usize>i * size;
    if (isPinned(ch)) return false;
  }
  sweepFree(page, cls);
  for (let i: u32 = 0; i < n; i++) emptyChunk(page + <usize>i * size, cls, page);
  // Evictions free whole chains, so chunks of this page may have gone back on the list.
  sweepFree(page, cls);
  dropPage(cls, page);
  return true;
}

function sweepFree(page: usize, cls: u32): void {
  const size = <usize>classSize(cls);
  const n = classPerslab(cls);
  for (let i: u32 = 0; i < n; i++) {
    const ch = page + <usize>i * size;
    if (hasFlag(ch, ITEM_SLABBED)) freeListRemove(cls, ch);
  }
}

function emptyChunk(ch: usize, cls: u32, page: usize): void {
  const flags = itFlags(ch);
  if (flags & ITEM_SLABBED) {
    freeListRemove(cls, ch);
    return;
  }
  if (flags & ITEM_CHUNK) {
    if (!rescueChunk(ch, cls, page)) evictFromPage(chunkHead(ch), ch, cls);
    return;
  }
  if (!(flags & ITEM_LINKED)) return;
  const exptime = itExptime(ch);
  if ((exptime != 0 && exptime <= currentTime()) || itemIsFlushed(ch)) {
    statIncr(Stat.SLAB_REASSIGN_INLINE_RECLAIM);
    unlinkInPage(ch, ch, cls);
    return;
  }
  if (!rescueItem(ch, cls, page)) evictFromPage(ch, ch, cls);
}

// Unlinking frees the item's chunks onto their free lists; the ones in the moving page must
// come straight back off.
function unlinkInPage(it: usize, ch: usize, cls: u32): void {
  itemUnlink(it, itemHash(it));
  if (hasFlag(ch, ITEM_SLABBED)) freeListRemove(cls, ch);
  setFlags(ch, 0);
}

function evictFromPage(it: usize, ch: usize, cls: u32): void {
  statIncr(Stat.SLAB_REASSIGN_EVICTIONS_NOMEM);
  unlinkInPage(it, ch, cls);
}

// A free chunk of the class outside the moving page, never a new page (memcached's
// slab_rebalance_alloc). Chunks of the moving page found on the list stay off it.
function spareChunk(cls: u32, page: usize): usize {
  while (classFree(cls) > 0) {
    const c = slabsAlloc(cls);
    if (pageStart(c) != page) return c;
    setFlags(c, 0);
  }
  return 0;
}

function rescueItem(it: usize, cls: u32, page: usize): bool {
  const fresh = spareChunk(cls, page);
  if (!fresh) return false;
  memory.copy(fresh, it, hasFlag(it, ITEM_CHUNKED) ? chunkedHeadTotal(itNkey(it), itClientFlags(it)) : itTotal(it));
  relinkHash(it, fresh);
  lruReplaceRaw(it, fresh, itLruId(it));
  if (hasFlag(fresh, ITEM_CHUNKED)) {
    for (let ch = firstChunk(fresh); ch; ch = chunkNext(ch)) store<u32>(ch, <u32>fresh, CH_HEAD);
  }
  setFlags(it, 0);
  statIncr(Stat.SLAB_REASSIGN_RESCUES);
  return true;
}

// The hash chain slot that points at `it` now points at `fresh` (h_next was copied along).
function relinkHash(it: usize, fresh: usize): void {
  let slot = bucketFor(hash(itKey(it), itNkey(it)));
  while (load<u32>(slot) != <u32>it) slot = <usize>load<u32>(slot) + IT_HNEXT;
  store<u32>(slot, <u32>fresh);
}

function rescueChunk(ch: usize, cls: u32, page: usize): bool {
  const fresh = spareChunk(cls, page);
  if (!fresh) return false;
  memory.copy(fresh, ch, <usize>classSize(cls));
  const prev = chunkPrev(ch);
  const next = chunkNext(ch);
  if (prev) store<u32>(prev, <u32>fresh, CH_NEXT);
  else store<u32>(itData(chunkHead(ch)), <u32>fresh);
  if (next) store<u32>(next, <u32>fresh, CH_PREV);
  setFlags(ch, 0);
  statIncr(Stat.SLAB_REASSIGN_CHUNK_RESCUES);
  return true;
}

