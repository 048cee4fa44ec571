// The slab allocator (memcached's slabs.c): size classes, 1 MiB pages, per-class free lists,
// the global page pool, and the arena that linear memory grows into.
//
// Slab class record (SLABCLASS + id × 64):
//   0  size     u32  chunk size of the class
//   4  perslab  u32  chunks per 1 MiB page
//   8  slots    u32  free list head
//  12  sl_curr  u32  chunks on the free list
//  16  slabs    u32  pages owned
// Class 0 is the global page pool: `slots` heads a list of whole pages linked through their
// first word, `slabs` counts them.
//
// The page map has one byte per 1 MiB page of the 4 GiB address space: the owning class,
// PAGE_POOL, PAGE_HASH (a hash table lives there) or PAGE_UNUSED. The page mover and the
// invariant checker find a chunk's page and class from it.
//
// Everything here changes under the slabs lock (memcached's slabs_lock). The exported functions
// without `do` take it themselves; a `do` function expects its caller to hold it.
import {
  SLABCLASS, SLABCLASS_SIZE, MAX_CLASSES, PAGEMAP, MAX_PAGES, PAGE_SIZE, PAGE_SHIFT, WASM_PAGE,
  Global, global32, setGlobal32, global64, setGlobal64, setting, settingU32, alignUp,
} from "../layout/layout";
import { globalLock, globalUnlock, globalLockHeld, GlobalLock } from "../locks/locks";
import { Setting } from "../abi/settings";

// A free chunk, on its class's free list:
//
//   0       4       8                       24    26   27
//   ┌───────┬───────┬───────────────────────┬─────┬────┬───
//   │ next  │ prev  │                       │flags│cls │
//   └───────┴───────┴───────────────────────┴─────┴────┴───
//
// The fields sit where the item header (cache/item.ts) keeps its LRU links, flags and class, so
// any chunk's flags and class read the same whether it is free, an item or a value chunk: the
// page mover and the invariant checker walk pages that way. SLABBED is memcached's SLABBED.
export const CHUNK_NEXT: usize = 0;
export const CHUNK_PREV: usize = 4;
export const CHUNK_FLAGS: usize = 24;
export const CHUNK_CLSID: usize = 26;
export const SLABBED: u16 = 4;
// A chunk of the page being moved (background/slab_mover.ts) that was freed, or found free:
// it stays off the free list, so that nothing is allocated in a page on its way out.
export const EMPTIED: u16 = 0x2000;

const SC_SIZE: usize = 0;
const SC_PERSLAB: usize = 4;
const SC_SLOTS: usize = 8;
const SC_SL_CURR: usize = 12;
const SC_SLABS: usize = 16;

export const POWER_SMALLEST: u32 = 1;
export const SLAB_GLOBAL_PAGE_POOL: u32 = 0;
// Class 1 holds memcached's 48-byte header plus -n bytes, so our class table (and the
// chunk sizes `stats slabs` prints) is exactly memcached's.
const MEMCACHED_ITEM_HEADER: u32 = 48;
const CHUNK_ALIGN_BYTES: u32 = 8;

export const PAGE_POOL: u8 = 0;
export const PAGE_HASH: u8 = 0xfe;
export const PAGE_UNUSED: u8 = 0xff;

// Grow linear memory at least this much at a time: page-by-page growth costs ~2x on inserts.
const GROW_MIN: usize = 16 << 20;

@inline function sc(id: u32): usize { return SLABCLASS + <usize>id * SLABCLASS_SIZE; }
@inline export function classSize(id: u32): u32 { return load<u32>(sc(id), SC_SIZE); }
@inline export function classPerslab(id: u32): u32 { return load<u32>(sc(id), SC_PERSLAB); }
@inline export function classFreeHead(id: u32): usize { return load<u32>(sc(id), SC_SLOTS); }
@inline export function classFree(id: u32): u32 { return load<u32>(sc(id), SC_SL_CURR); }
@inline export function classPages(id: u32): u32 { return load<u32>(sc(id), SC_SLABS); }
@inline export function powerLargest(): u32 { return global32(Global.POWER_LARGEST); }

@inline export function pageOwner(addr: usize): u8 { return load<u8>(PAGEMAP + (addr >> PAGE_SHIFT)); }
@inline function setPageOwner(page: usize, owner: u8): void { store<u8>(PAGEMAP + (page >> PAGE_SHIFT), owner); }
@inline export function pageStart(addr: usize): usize { return addr & ~(PAGE_SIZE - 1); }

// memcached's slabs_init: class sizes grow by -f from 48 + -n, 8-byte aligned, until
// slab_chunk_max / factor; the last class is exactly slab_chunk_max.
export function slabsInit(): void {
  const factor = setting(Setting.GROWTH_FACTOR);
  const chunkMax = settingU32(Setting.SLAB_CHUNK_MAX);
  let size: u32 = MEMCACHED_ITEM_HEADER + settingU32(Setting.CHUNK_SIZE);
  let i: u32 = POWER_SMALLEST - 1;
  while (++i < MAX_CLASSES - 1) {
    if (<f64>size >= <f64>chunkMax / factor) break;
    if (size % CHUNK_ALIGN_BYTES) size += CHUNK_ALIGN_BYTES - (size % CHUNK_ALIGN_BYTES);
    store<u32>(sc(i), size, SC_SIZE);
    store<u32>(sc(i), <u32>(PAGE_SIZE / size), SC_PERSLAB);
    size = <u32>(<f64>size * factor);
  }
  store<u32>(sc(i), chunkMax, SC_SIZE);
  store<u32>(sc(i), <u32>(PAGE_SIZE / chunkMax), SC_PERSLAB);
  setGlobal32(Global.POWER_LARGEST, i);
  memory.fill(PAGEMAP, PAGE_UNUSED, MAX_PAGES);
}

// Smallest class whose chunks hold `size` bytes; 0 if larger than item_size_max.
export function slabsClsid(size: usize): u32 {
  if (size == 0 || size > <usize>settingU32(Setting.ITEM_SIZE_MAX)) return 0;
  const largest = powerLargest();
  let res = POWER_SMALLEST;
  while (size > <usize>classSize(res)) {
    if (res++ == largest) return largest;
  }
  return res;
}

// ── free lists ─────────────────────────────────────────────────────────────────────────

function freeListPush(id: u32, ptr: usize): void {
  const c = sc(id);
  const head = <usize>load<u32>(c, SC_SLOTS);
  store<u32>(ptr, 0, CHUNK_PREV);
  store<u32>(ptr, <u32>head, CHUNK_NEXT);
  if (head) store<u32>(head, <u32>ptr, CHUNK_PREV);
  store<u32>(c, <u32>ptr, SC_SLOTS);
  store<u16>(ptr, SLABBED, CHUNK_FLAGS);
  store<u8>(ptr, <u8>id, CHUNK_CLSID);
  store<u32>(c, load<u32>(c, SC_SL_CURR) + 1, SC_SL_CURR);
}

// Removes a chunk from anywhere on its class's free list (the page mover needs this).
export function doFreeListRemove(id: u32, ptr: usize): void {
  const c = sc(id);
  const next = <usize>load<u32>(ptr, CHUNK_NEXT);
  const prev = <usize>load<u32>(ptr, CHUNK_PREV);
  if (prev) store<u32>(prev, <u32>next, CHUNK_NEXT);
  else store<u32>(c, <u32>next, SC_SLOTS);
  if (next) store<u32>(next, <u32>prev, CHUNK_PREV);
  store<u16>(ptr, 0, CHUNK_FLAGS);
  store<u32>(c, load<u32>(c, SC_SL_CURR) - 1, SC_SL_CURR);
}

// ── memory: the arena grows at the frontier, never beyond MEM_CAP ──────────────────────

// Makes [0, end) addressable, growing in large steps. False if that would pass the cap.
function ensureMemory(end: u64): bool {
  const have = <u64>memory.size() * WASM_PAGE;
  if (end <= have) return true;
  const cap = global64(Global.MEM_CAP);
  if (end > cap) return false;
  let want = max<u64>(end, have + max<u64>(have >> 1, GROW_MIN));
  if (want > cap) want = cap;
  const pages = <i32>((alignUp(<usize>(want - have), WASM_PAGE)) / WASM_PAGE);
  if (memory.grow(pages) >= 0) return true;
  const need = <i32>(alignUp(<usize>(end - have), WASM_PAGE) / WASM_PAGE);
  return memory.grow(need) >= 0;
}

// `count` contiguous never-used pages at the frontier (fresh memory is already zero), owned by
// `owner` in the page map (PAGE_HASH: a hash table or the size histogram). 0 past the cap.
export function frontierPages(count: u32, owner: u8): usize {
  globalLock(GlobalLock.SLABS);
  const start = doFrontierPages(count);
  if (start) doMarkPages(start, count, owner);
  globalUnlock(GlobalLock.SLABS);
  return start;
}

function doFrontierPages(count: u32): usize {
  const start = <usize>global64(Global.FRONTIER);
  const end = <u64>start + (<u64>count << PAGE_SHIFT);
  if (!ensureMemory(end)) return 0;
  setGlobal64(Global.FRONTIER, end);
  // Below where the frontier stood before a reset (index.ts), pages are not fresh: zero them,
  // as the hash table and the size histogram expect.
  const high = global64(Global.FRONTIER_HIGH);
  if (<u64>start < high) memory.fill(start, 0, <usize>(min<u64>(end, high) - <u64>start));
  return start;
}

// One committed page that nobody owns: a spare (from a freed hash table) or a fresh one.
function takePage(): usize {
  const spare = <usize>global32(Global.SPARE_HEAD);
  if (spare) {
    setGlobal32(Global.SPARE_HEAD, load<u32>(spare));
    setGlobal32(Global.SPARE_COUNT, global32(Global.SPARE_COUNT) - 1);
    return spare;
  }
  return doFrontierPages(1);
}

// Pages a freed hash table leaves behind become spares for later slab pages.
export function releasePages(start: usize, count: u32): void {
  globalLock(GlobalLock.SLABS);
  doReleasePages(start, count);
  globalUnlock(GlobalLock.SLABS);
}

export function doReleasePages(start: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    const page = start + (<usize>i << PAGE_SHIFT);
    store<u32>(page, global32(Global.SPARE_HEAD));
    setGlobal32(Global.SPARE_HEAD, <u32>page);
    setPageOwner(page, PAGE_UNUSED);
  }
  setGlobal32(Global.SPARE_COUNT, global32(Global.SPARE_COUNT) + count);
}

function doMarkPages(start: usize, count: u32, owner: u8): void {
  for (let i: u32 = 0; i < count; i++) setPageOwner(start + (<usize>i << PAGE_SHIFT), owner);
}

export function doPoolTakePage(): usize {
  const pool = sc(SLAB_GLOBAL_PAGE_POOL);
  const page = <usize>load<u32>(pool, SC_SLOTS);
  if (!page) return 0;
  store<u32>(pool, load<u32>(page), SC_SLOTS);
  store<u32>(pool, load<u32>(pool, SC_SLABS) - 1, SC_SLABS);
  return page;
}

export function doPoolPut(page: usize): void {
  const pool = sc(SLAB_GLOBAL_PAGE_POOL);
  store<u32>(page, load<u32>(pool, SC_SLOTS));
  store<u32>(pool, <u32>page, SC_SLOTS);
  store<u32>(pool, load<u32>(pool, SC_SLABS) + 1, SC_SLABS);
  setPageOwner(page, PAGE_POOL);
}

// memcached's do_slabs_newslab: the limit is enforced only when the class already has a page
// and the global pool is empty, so every class can always get its first page.
function newSlab(id: u32): bool {
  const c = sc(id);
  const limit = <u64>setting(Setting.MAXBYTES);
  const malloced = global64(Global.MEM_MALLOCED);
  if (malloced + PAGE_SIZE > limit && load<u32>(c, SC_SLABS) > 0 && classPages(SLAB_GLOBAL_PAGE_POOL) == 0) {
    return false;
  }
  let page = doPoolTakePage();
  if (!page) {
    page = takePage();
    if (!page) return false;
    setGlobal64(Global.MEM_MALLOCED, malloced + PAGE_SIZE);
  }
  doAdoptPage(id, page);
  return true;
}

// A page joins class `id`: cut into chunks on its free list.
export function doAdoptPage(id: u32, page: usize): void {
  const c = sc(id);
  setPageOwner(page, <u8>id);
  const size = <usize>load<u32>(c, SC_SIZE);
  const perslab = load<u32>(c, SC_PERSLAB);
  for (let i: u32 = 0; i < perslab; i++) freeListPush(id, page + <usize>i * size);
  store<u32>(c, load<u32>(c, SC_SLABS) + 1, SC_SLABS);
}

// An emptied page leaves class `id` (the page mover hands it on).
export function doDropPage(id: u32, page: usize): void {
  store<u32>(sc(id), load<u32>(sc(id), SC_SLABS) - 1, SC_SLABS);
  setPageOwner(page, PAGE_UNUSED);
}

// A chunk of class `id`, or 0 when the class is out of chunks and may not take a page.
export function slabsAlloc(id: u32): usize {
  globalLock(GlobalLock.SLABS);
  const it = doSlabsAlloc(id);
  globalUnlock(GlobalLock.SLABS);
  return it;
}

export function doSlabsAlloc(id: u32): usize {
  if (!ASC_NO_ASSERT) assert(globalLockHeld(GlobalLock.SLABS), "slabs lock");
  const c = sc(id);
  if (load<u32>(c, SC_SL_CURR) == 0 && !newSlab(id)) return 0;
  const it = <usize>load<u32>(c, SC_SLOTS);
  doFreeListRemove(id, it);
  return it;
}

export function slabsFree(ptr: usize, id: u32): void {
  globalLock(GlobalLock.SLABS);
  doSlabsFree(ptr, id);
  globalUnlock(GlobalLock.SLABS);
}

// A chunk of the page being moved stays off the free list (EMPTIED); the mover gives the
// whole page away once every chunk is.
export function doSlabsFree(ptr: usize, id: u32): void {
  if (!ASC_NO_ASSERT) assert(globalLockHeld(GlobalLock.SLABS), "slabs lock");
  if (pageStart(ptr) == <usize>global32(Global.REASSIGN_PAGE)) {
    store<u16>(ptr, EMPTIED, CHUNK_FLAGS);
    store<u8>(ptr, <u8>id, CHUNK_CLSID);
    return;
  }
  freeListPush(id, ptr);
}

export function slabsLock(): void { globalLock(GlobalLock.SLABS); }
export function slabsUnlock(): void { globalUnlock(GlobalLock.SLABS); }

// ── accounting helpers for stats and the checker ──────────────────────────────────────

export function classTotalChunks(id: u32): u32 {
  return classPages(id) * classPerslab(id);
}

export function memMalloced(): u64 {
  return global64(Global.MEM_MALLOCED);
}
