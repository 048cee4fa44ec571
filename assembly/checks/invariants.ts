// The invariant checker: walks every free list, LRU and hash chain and cross-checks counts,
// links, ownership and sizes. Returns 0 when everything holds, else a static message (the
// offending address is left in GLOBALS.CHECK_DETAIL). Tests call it after randomized work.
import { Global, global32, setGlobal64, PAGE_SIZE, MAX_CLASSES, settingU32, setting } from "../layout/layout";
import { Setting } from "../abi/settings";
import {
  itNext, itPrev, itHNext, itFlags, itLruId, itClsid, itNkey, itKey, itMcTotal, hasFlag,
  ITEM_LINKED, ITEM_SLABBED, ITEM_CRAWLER, ITEM_CHUNKED, ITEM_CHUNK, CLSID_MASK, itNbytes,
  itClientFlags,
} from "../cache/item";
import {
  powerLargest, classSize, classPerslab, classPages, classFree, classFreeHead, pageOwner,
  pageStart, SLAB_GLOBAL_PAGE_POOL, memMalloced, EMPTIED,
} from "../memory/slabs";
import { lruHead, lruTail, lruCount, lruBytes } from "../cache/lru";
import { hashpower, oldTable, primaryTable, expandBucket, hashExpanding, bucketMask } from "../cache/assoc";
import { hash } from "../util/hash";
import { chunkedHeadClass } from "../cache/items";
import { Stat, stat } from "../counters/counters";
import { worldLock, worldUnlock } from "../locks/locks";
import { recovering } from "../locks/recovery";
import { firstChunk, chunkNext, chunkUsed, chunkClass, chunkCapacity } from "../cache/chunk";

@inline function fail(msg: string, at: usize): usize {
  setGlobal64(Global.CHECK_DETAIL, at);
  return changetype<usize>(msg);
}

// Where an item's header chunk really lives (a chunked item's head is in a small class).
function realClass(it: usize): u32 {
  if (!hasFlag(it, ITEM_CHUNKED)) return itClsid(it);
  return chunkedHeadClass(itNkey(it), itClientFlags(it));
}

function chunkAligned(p: usize, c: u32): bool {
  if (<u32>pageOwner(p) != c) return false;
  const off = p - pageStart(p);
  return off % <usize>classSize(c) == 0 && off / <usize>classSize(c) < <usize>classPerslab(c);
}

@inline function tallyAdd(tally: usize, c: u32): void {
  store<u32>(tally + (<usize>c << 2), load<u32>(tally + (<usize>c << 2)) + 1);
}

// Chunks of class c's page being moved (background/slab_mover.ts) that are neither free nor used.
function emptiedChunks(c: u32): u32 {
  const page = <usize>global32(Global.REASSIGN_PAGE);
  if (!page || <u32>pageOwner(page) != c) return 0;
  let n: u32 = 0;
  for (let i: u32 = 0; i < classPerslab(c); i++) {
    if (hasFlag(page + <usize>i * <usize>classSize(c), EMPTIED)) n++;
  }
  return n;
}

// `tally` is 256 bytes of scratch: chunks in use per class, counted during the walk. The walk
// needs every structure still: it holds every lock, except during trap recovery, when every
// other thread is out of the core and a trapped one's locks still read as held.
export function checkInvariants(tally: usize): usize {
  if (recovering()) return checkWorldStill(tally);
  worldLock();
  const found = checkWorldStill(tally);
  worldUnlock();
  return found;
}

function checkWorldStill(tally: usize): usize {
  memory.fill(tally, 0, <usize>MAX_CLASSES * 4);
  const largest = powerLargest();
  const limit = stat(Stat.CURR_ITEMS) + 1;

  // Free lists and page ownership.
  let pages: u64 = 0;
  for (let c: u32 = 1; c <= largest; c++) {
    let n: u32 = 0;
    let prev: usize = 0;
    let p = classFreeHead(c);
    while (p) {
      if (itPrev(p) != prev) return fail("free list: broken prev link", p);
      if (itFlags(p) != ITEM_SLABBED) return fail("free list: chunk not marked SLABBED", p);
      if (!chunkAligned(p, c)) return fail("free list: chunk not in a page of its class", p);
      if (++n > classPages(c) * classPerslab(c)) return fail("free list: longer than the class", p);
      prev = p;
      p = itNext(p);
    }
    if (n != classFree(c)) return fail("free list: count differs from sl_curr", c);
    pages += classPages(c);
  }
  pages += classPages(SLAB_GLOBAL_PAGE_POOL);
  const counted = <u64>setting(Setting.INITIAL_MALLOCED);
  if (pages * PAGE_SIZE + counted != memMalloced()) return fail("slabs: pages differ from total_malloced", <usize>pages);

  // LRUs.
  let items: u64 = 0;
  let bytes: u64 = 0;
  for (let id: u32 = 0; id < 256; id++) {
    const c = id & CLSID_MASK;
    if (c == 0 || c > largest) {
      if (lruHead(id) || lruCount(id)) return fail("lru: list for a class that does not exist", id);
      continue;
    }
    let n: u32 = 0;
    let b: u64 = 0;
    let prev: usize = 0;
    let it = lruHead(id);
    while (it) {
      if (itPrev(it) != prev) return fail("lru: broken prev link", it);
      if (!hasFlag(it, ITEM_CRAWLER)) {
        if (!hasFlag(it, ITEM_LINKED) || hasFlag(it, ITEM_SLABBED)) return fail("lru: item not LINKED or on a free list", it);
        if (itLruId(it) != id) return fail("lru: item on the wrong list", it);
        const rc = realClass(it);
        if (!chunkAligned(it, rc)) return fail("lru: item not in a chunk of its class", it);
        if (itNkey(it) == 0 || itNkey(it) > 250) return fail("lru: bad key length", it);
        tallyAdd(tally, rc);
        const e = checkChunks(it, tally);
        if (e) return e;
        n++;
        b += itMcTotal(it);
        if (<u64>n > limit) return fail("lru: cycle or more items than curr_items", it);
      }
      prev = it;
      it = itNext(it);
    }
    if (lruTail(id) != prev) return fail("lru: tail is not the last item", id);
    if (n != lruCount(id)) return fail("lru: count differs", id);
    if (b != lruBytes(id)) return fail("lru: byte total differs", id);
    items += n;
    bytes += b;
  }
  if (items != stat(Stat.CURR_ITEMS)) return fail("lru: items differ from curr_items", <usize>items);
  if (bytes != stat(Stat.CURR_BYTES)) return fail("lru: bytes differ from the bytes stat", <usize>bytes);

  // Chunks in use per class = chunks owned − chunks free − chunks emptied by a page move.
  for (let c: u32 = 1; c <= largest; c++) {
    const used = classPages(c) * classPerslab(c) - classFree(c) - emptiedChunks(c);
    if (load<u32>(tally + (<usize>c << 2)) != used) return fail("slabs: used chunks differ from linked items", c);
  }

  // Hash tables.
  const hp = hashpower();
  let hashed: u64 = 0;
  const buckets: u32 = 1 << hp;
  for (let b: u32 = 0; b < buckets; b++) {
    const r = checkChain(load<u32>(primaryTable() + (<usize>b << 2)), b, bucketMask(hp), limit);
    if (r == <u64>-1) return fail("hash: item in the wrong primary bucket or not linked", b);
    hashed += r;
  }
  if (hashExpanding()) {
    const oldBuckets: u32 = 1 << (hp - 1);
    for (let b: u32 = 0; b < oldBuckets; b++) {
      const head = load<u32>(oldTable() + (<usize>b << 2));
      if (b < expandBucket() && head) return fail("hash: migrated old bucket not empty", b);
      const r = checkChain(head, b, bucketMask(hp - 1), limit);
      if (r == <u64>-1) return fail("hash: item in the wrong old bucket or not linked", b);
      hashed += r;
    }
  }
  if (hashed != stat(Stat.CURR_ITEMS)) return fail("hash: items differ from curr_items", <usize>hashed);
  return 0;
}

// Items on one chain, or -1 if one is misplaced or not linked.
function checkChain(it: usize, bucket: u32, mask: u32, limit: u64): u64 {
  let n: u64 = 0;
  while (it) {
    if (!hasFlag(it, ITEM_LINKED)) return <u64>-1;
    if ((hash(itKey(it), itNkey(it)) & mask) != bucket) return <u64>-1;
    if (++n > limit) return <u64>-1;
    it = itHNext(it);
  }
  return n;
}

function checkChunks(it: usize, tally: usize): usize {
  if (!hasFlag(it, ITEM_CHUNKED)) return 0;
  let total: u64 = 0;
  let ch = firstChunk(it);
  const chunkMax = settingU32(Setting.SLAB_CHUNK_MAX);
  while (ch) {
    if (!hasFlag(ch, ITEM_CHUNK) || hasFlag(ch, ITEM_SLABBED)) return fail("chunk: not marked CHUNK", ch);
    if (!chunkAligned(ch, chunkClass(ch))) return fail("chunk: not in a chunk of its class", ch);
    if (classSize(chunkClass(ch)) > chunkMax) return fail("chunk: larger than slab_chunk_max", ch);
    if (chunkUsed(ch) > chunkCapacity(ch)) return fail("chunk: used beyond capacity", ch);
    tallyAdd(tally, chunkClass(ch));
    total += chunkUsed(ch);
    ch = chunkNext(ch);
  }
  if (total != itNbytes(it)) return fail("chunk: chain holds a different length", it);
  return 0;
}

