// The memory limit (-m, cache_memlimit) and the memory cap derived from it.
//
// Linear memory never grows past MEM_CAP: the fixed areas, -m of slab pages, one first page
// per class (memcached lets every class have one whatever the limit), and the two hash tables
// that exist at the end of the last expansion -m can cause. A limit whose cap cannot fit one
// wasm32 memory leaves the cap at 4 GiB: slab allocation then fails where memory can grow no
// further and the cache evicts, so running out of address space is never a trap.
import { Global, global64, setGlobal64, setting, settingU32, SETTINGS, PAGE_SIZE, PAGE_SHIFT, MEMORY_MAX, WASM_PAGE } from "../layout/layout";
import { Setting } from "../abi/settings";
import { powerLargest, classPages, SLAB_GLOBAL_PAGE_POOL, doPoolTakePage, doReleasePages, slabsLock, slabsUnlock } from "./slabs";

// The hash table (cache/assoc.ts) lives in arena pages too, so its sizes are known here.
export const HASHPOWER_DEFAULT: u32 = 16;
export const HASHPOWER_MAX: u32 = 30;   // a 2^30 table is all of wasm32 memory
export const BUCKET_SIZE: usize = 4;    // one u32 item address per bucket

export function tablePages(hp: u32): u32 {
  return <u32>(((<u64>1 << hp) * BUCKET_SIZE + PAGE_SIZE - 1) >> PAGE_SHIFT);
}

// The item size histogram (counters/sizes.ts): a u32 count per 32-byte bucket up to
// item_size_max, taken from the arena the first time `stats sizes` tracking starts.
export const SIZES_BUCKET_BYTES: u64 = 32;
export function sizesBytes(): usize {
  return (<usize>settingU32(Setting.ITEM_SIZE_MAX) / <usize>SIZES_BUCKET_BYTES + 1) * 4;
}

@inline function alignPage(v: u64): u64 { return (v + PAGE_SIZE - 1) & ~(<u64>PAGE_SIZE - 1); }
@inline function alignWasmPage(v: u64): u64 { return (v + WASM_PAGE - 1) & ~(<u64>WASM_PAGE - 1); }

// No chunk is smaller than memcached's 48-byte header plus -n.
const SMALLEST_HEADER: u64 = 48;

export function memoryNeeded(limit: u64): u64 {
  const firstPages = <u64>powerLargest() * PAGE_SIZE;
  const maxItems = (limit + firstPages) / (SMALLEST_HEADER + <u64>settingU32(Setting.CHUNK_SIZE));
  let hp = settingU32(Setting.HASHPOWER_INIT);
  if (hp == 0) hp = HASHPOWER_DEFAULT;
  while (hp < HASHPOWER_MAX && (<u64>1 << hp) * 3 / 2 < maxItems) hp++;
  const hashBytes = (<u64>tablePages(hp) + <u64>tablePages(hp - 1)) * PAGE_SIZE;
  const histogram = alignPage(<u64>sizesBytes());
  return global64(Global.ARENA_BASE) + limit + firstPages + hashBytes + histogram;
}

// The largest item limit whose memory fits one wasm32 memory, in whole pages: where a larger -m
// evicts (the hash table the items would need grows with the limit, hence the search).
export function itemCeiling(): u64 {
  let lo: u64 = 0;
  let hi: u64 = MEMORY_MAX / PAGE_SIZE;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (alignWasmPage(memoryNeeded(mid * PAGE_SIZE)) <= MEMORY_MAX) lo = mid;
    else hi = mid - 1;
  }
  return lo * PAGE_SIZE;
}

// Sets MEM_CAP for the current limit; false if it cannot fit one wasm32 memory.
export function updateCap(): bool {
  const need = alignWasmPage(memoryNeeded(<u64>setting(Setting.MAXBYTES)));
  setGlobal64(Global.MEM_CAP, need > MEMORY_MAX ? MEMORY_MAX : need);
  return need <= MEMORY_MAX;
}

// cache_memlimit: a new limit in bytes. memcached accepts any limit here, so do we: a limit
// beyond what one wasm32 memory holds leaves the cap at 4 GiB, and the cache then evicts when
// memory can grow no further.
export function adjustMemLimit(bytes: u64): void {
  store<f64>(SETTINGS + (<usize>Setting.MAXBYTES << 3), <f64>bytes);
  updateCap();
  memoryRelease();
}

// memcached's memory_release: while more is allocated than the limit allows, global-pool pages
// are handed back and total_malloced drops (the memory stays committed, as wasm memory cannot
// shrink, and later slab pages reuse it). Runs when the limit drops and whenever the page
// mover brings a page to the pool.
export function memoryRelease(): void {
  slabsLock();
  doMemoryRelease();
  slabsUnlock();
}

// The slabs lock held.
export function doMemoryRelease(): void {
  const limit = <u64>setting(Setting.MAXBYTES);
  while (global64(Global.MEM_MALLOCED) > limit && classPages(SLAB_GLOBAL_PAGE_POOL) > 0) {
    doReleasePages(doPoolTakePage(), 1);
    setGlobal64(Global.MEM_MALLOCED, global64(Global.MEM_MALLOCED) - PAGE_SIZE);
  }
}
