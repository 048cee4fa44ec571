// The cache as an image the host writes to the -e file and reads back (memcached's restart.c
// keeps the same memory in an mmap'ed file and fixes pointers up on start; ours is one linear
// memory at fixed addresses, so the arena comes back where it was and nothing is fixed up).
//
// Sections, in file order (abi/image.ts ImageSection):
//
//   GLOBALS  Global.COUNT × u64        layout.ts globals; on load staged in the caller's
//                                      VALBUF, and only CARRIED ones are adopted
//   CLASSES  SLABCLASS .. EVICTED_TIMES slab classes (free lists, page counts) and LRU records
//   PAGEMAP  MAX_PAGES × u8            owner of each 1 MiB page
//   ARENA    ARENA_BASE .. FRONTIER    slab pages, hash tables, spare pages, sizes histogram
//
// Not in the image: the settings (the flags give them, the host checks they match), lock
// words, connection records, thread blocks (the call in progress, per-thread counters), the
// crawlers and their schedule, automove windows, the prefix table. They start fresh, as they
// do in memcached, whose counters restart from zero but for the item counts.
import {
  GLOBALS, GLOBALS_SIZE, SLABCLASS, SLABCLASS_SIZE, LRUS, LRU_SIZE, EVICTED_TIMES, CRAWLERS, PAGEMAP,
  MAX_PAGES, MAX_CLASSES, LRU_IDS, STATE_END, PAGE_SIZE, Global, global64, setGlobal64, settingOn, setSetting,
} from "../layout/layout";
import { thread32, ThreadGlobal } from "../layout/thread";
import { Setting } from "../abi/settings";
import { ImageSection, ImageAdopt, IMAGE_FORMAT } from "../abi/image";
import { checksumRange } from "./checksum";
import { crawlerHalt } from "../background/crawler";
import { abandonMove } from "../background/slab_mover";
import { lruHead, lruCount, lruBytes } from "../cache/lru";
import { itNext, itCas, itMcTotal, ITEM_HEADER } from "../cache/item";
import { clockSet } from "../cache/clock";
import { Stat, statAdd } from "../counters/counters";
import { sizesEnable, sizesAdd } from "../counters/sizes";

// The globals that are cache state; every other one belongs to this process (addresses of
// per-process areas, lock and recovery words, crawler and mover progress, counters' places).
const CARRIED: StaticArray<Global> = [
  Global.CURRENT_TIME, Global.PROCESS_STARTED, Global.CAS_ID, Global.OLDEST_LIVE, Global.OLDEST_CAS,
  Global.MEM_MALLOCED, Global.FRONTIER, Global.SPARE_HEAD, Global.SPARE_COUNT, Global.HASHPOWER,
  Global.HASH_PRIMARY, Global.HASH_OLD, Global.HASH_EXPANDING, Global.EXPAND_BUCKET, Global.LOG_GID,
  Global.SIZES, Global.SIZES_BUCKETS, Global.SIZES_CAS_MIN,
];

@inline function staged(g: Global): u64 { return load<u64>(stagingArea() + (<usize>g << 3)); }
@inline function stagingArea(): usize { return thread32(ThreadGlobal.VALBUF); }
@inline function arenaBase(): usize { return <usize>global64(Global.ARENA_BASE); }

// IMAGE_FORMAT mixed with the sizes and places an image depends on: a core whose records moved
// refuses an older image even if nobody bumped the format. The same for debug and release
// builds of one source, and on every runtime.
export function imageFingerprint(): u32 {
  let h: u64 = IMAGE_FORMAT;
  h = mix(h, <u64>Global.COUNT);
  h = mix(h, <u64>SLABCLASS);
  h = mix(h, <u64>SLABCLASS_SIZE);
  h = mix(h, <u64>LRUS);
  h = mix(h, <u64>LRU_SIZE);
  h = mix(h, <u64>CRAWLERS);
  h = mix(h, <u64>PAGEMAP);
  h = mix(h, <u64>MAX_CLASSES);
  h = mix(h, <u64>STATE_END);
  h = mix(h, <u64>PAGE_SIZE);
  h = mix(h, <u64>ITEM_HEADER);
  return <u32>(h ^ (h >> 32));
}

@inline function mix(h: u64, v: u64): u64 { return checksumRange(0, 0, h ^ v); }

// With every other thread out of the core: what is half-done between calls is finished or
// given back, so that the image holds nothing but items, free chunks and pages.
export function imageQuiesce(): void {
  crawlerHalt();
  abandonMove();
}

// Where section `s` is read from when saving, or written to when loading.
export function imageSectionAddr(s: ImageSection, loading: bool): usize {
  if (s == ImageSection.GLOBALS) return loading ? stagingArea() : GLOBALS;
  if (s == ImageSection.CLASSES) return SLABCLASS;
  if (s == ImageSection.PAGEMAP) return PAGEMAP;
  return arenaBase();
}

// The length of section `s` in this process (the arena: as far as it is in use).
export function imageSectionLength(s: ImageSection): usize {
  if (s == ImageSection.GLOBALS) return GLOBALS_SIZE;
  if (s == ImageSection.CLASSES) return EVICTED_TIMES - SLABCLASS;
  if (s == ImageSection.PAGEMAP) return <usize>MAX_PAGES;
  return <usize>global64(Global.FRONTIER) - arenaBase();
}

// The checksum over every section, chained in file order; `arenaLength` is the arena's.
export function imageChecksum(loading: bool, arenaLength: usize): u64 {
  let h: u64 = 0;
  for (let s: i32 = 0; s < ImageSection.COUNT; s++) {
    const len = s == ImageSection.ARENA ? arenaLength : imageSectionLength(<ImageSection>s);
    h = checksumRange(imageSectionAddr(<ImageSection>s, loading), len, h);
  }
  return h;
}

// After the host loaded every section: adopts them if their checksum is `expected` and the
// staged globals place the arena exactly where it was loaded. On anything else nothing is
// adopted, and the caller starts the cache over (imageLoadedUpTo tells it how far to clean).
export function imageAdopt(arenaLength: usize, expected: u64, unixNow: u32): ImageAdopt {
  if (imageChecksum(true, arenaLength) != expected) return ImageAdopt.CHECKSUM;
  if (staged(Global.ARENA_BASE) != <u64>arenaBase() || staged(Global.FRONTIER) != <u64>(arenaBase() + arenaLength)) {
    return ImageAdopt.LAYOUT;
  }
  const freshFrontier = global64(Global.FRONTIER);
  for (let i = 0; i < CARRIED.length; i++) setGlobal64(CARRIED[i], staged(CARRIED[i]));
  // Pages the old process used past its frontier, or this one's fresh hash table, hold bytes.
  const high = max<u64>(max<u64>(staged(Global.FRONTIER_HIGH), staged(Global.FRONTIER)), freshFrontier);
  setGlobal64(Global.FRONTIER_HIGH, high);
  // memcached starts its table at the saved power, and `stats settings` says so.
  setSetting(Setting.HASHPOWER_INIT, <f64>global64(Global.HASHPOWER));
  clockSet(unixNow);
  countLinkedItems();
  if (settingOn(Setting.TRACK_SIZES)) recountSizes();
  return ImageAdopt.OK;
}

// The highest arena address a failed load may have written: the cache must start over
// knowing those pages are not fresh.
export function imageLoadedUpTo(arenaLength: usize): void {
  const end = <u64>(arenaBase() + arenaLength);
  if (end > global64(Global.FRONTIER_HIGH)) setGlobal64(Global.FRONTIER_HIGH, end);
}

// memcached counts every item it links back in as one more curr_items and total_items; the
// LRU records already hold those counts.
function countLinkedItems(): void {
  let items: u64 = 0;
  let bytes: u64 = 0;
  for (let id: u32 = 0; id < LRU_IDS; id++) {
    items += lruCount(id);
    bytes += lruBytes(id);
  }
  statAdd(Stat.CURR_ITEMS, items);
  statAdd(Stat.TOTAL_ITEMS, items);
  statAdd(Stat.CURR_BYTES, bytes);
}

// -o track_sizes: the histogram counts every item linked back in, as memcached's fixup does.
function recountSizes(): void {
  setSetting(Setting.TRACK_SIZES, 0);
  if (!sizesEnable(0)) return;
  for (let id: u32 = 0; id < LRU_IDS; id++) {
    for (let it = lruHead(id); it; it = itNext(it)) sizesAdd(itMcTotal(it), itCas(it));
  }
}
