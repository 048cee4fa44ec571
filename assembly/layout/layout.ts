// The memory map of the core: where every piece of engine state lives in linear memory.
//
// All mutable engine state is at fixed addresses (never in module globals, never from `new`):
// every thread instantiates the same module on one shared memory, and module globals are per
// instance. The one module global is each instance's thread block address (layout/thread.ts).
//
//   0x0000_0000 ┌──────────────────────────────┐
//               │ AssemblyScript static data   │ string literals, const tables (< STATE_BASE,
//               │                              │ checked by init())
//   STATE_BASE  ├──────────────────────────────┤ 64 KiB                        shared by all threads:
//               │ SETTINGS   Setting.COUNT×f64 │ written by the host before init() (abi/settings.ts)
//               │ GLOBALS    Global.COUNT×u64  │ clock, CAS counter, memory and hash state
//               │ SLABCLASS  64 × 64 B         │ memory/slabs.ts
//               │ LRUS       256 × 32 B        │ cache/lru.ts, one per (class | lru<<6)
//               │ EVICTED_TIMES 256 × u64      │ age of each LRU's last eviction (`stats items`)
//               │ CRAWLERS   256 × 64 B        │ background/crawler.ts pseudo-items, one per LRU
//               │ CRAWLSTATE 64 × 32 B         │ background/crawler.ts schedule per class
//               │ PAGEMAP    4096 × u8         │ owner of each 1 MiB page (memory/slabs.ts)
//               │ HOST_VERSION 64 B            │ runtime name shown as `libevent`
//               │ SETTINGS_DESC 4 KiB          │ how to print `stats settings` (host-written)
//               │ AUTOMOVE   64 × 512 B        │ background/automove.ts sample windows per class
//               │ AUTHDB     16 KiB            │ protocols/auth.ts: the credentials file (-Y, -S)
//               │ LOCKS      ~145 KiB          │ locks/locks.ts: every lock word
//   STATE_END   ├──────────────────────────────┤ the rest is placed by memory/areas.ts, 64-aligned:
//               │ CONNS (maxconns+T) × 32 B    │ session/conn.ts records (+T: each thread's UDP one)
//               │ THREADS    T × 128 KiB       │ layout/thread.ts: one block per thread
//               │ PREFIXES   ~289 KiB          │ counters/prefixes.ts: `stats detail` table
//               │ per thread: INBUF, OUTBUF,   │ received bytes, replies (abi/limits.ts sizes),
//               │   LOGBUF, VALBUF             │ log entries, value staging
//   ARENA_BASE  ├──────────────────────────────┤ 1 MiB aligned
//               │ slab pages and hash tables,  │ taken in 1 MiB pages at the frontier;
//               │ 1 MiB each                   │ reserved in one grow at init()
//               └──────────────────────────────┘ ≤ memory cap (memory/memlimit.ts)
//
// T is Setting.THREAD_BLOCKS: how many instances will attach (one per worker, the control
// thread and the background thread; 1 for a server or cache on one thread).
import { Setting } from "../abi/settings";
import * as Limits from "../abi/limits";

export const STATE_BASE: usize = 0x10000;

export const SETTINGS: usize = STATE_BASE;
export const SETTINGS_SIZE: usize = <usize>Setting.COUNT * 8;

// Shared scalars, one u64 slot each (u32 values use the low half). What one thread's call
// keeps (its reply length, its flags) is in its thread block instead (layout/thread.ts).
export enum Global {
  CURRENT_TIME = 0,     // memcached's current_time: seconds since process_started
  PROCESS_STARTED,      // unix time that relative time 0 stands for
  CAS_ID,               // last CAS handed out (atomic; pre-incremented: the first item gets 1)
  OLDEST_LIVE,          // flush_all: items last touched at or before this are dead
  OLDEST_CAS,           // flush_all: items with a smaller CAS are dead
  MEM_MALLOCED,         // bytes of slab pages handed to classes or the global pool (slabs lock)
  MEM_CAP,              // most linear memory the core may ever grow to
  ARENA_BASE,           // first page-aligned address after the fixed areas
  FRONTIER,             // lowest never-used arena address, 1 MiB aligned (slabs lock)
  FRONTIER_HIGH,        // the highest FRONTIER before a reset: pages below it are not fresh
  SPARE_HEAD,           // committed pages owned by nobody (freed hash tables), linked list
  SPARE_COUNT,
  POWER_LARGEST,        // id of the largest slab class
  CONNS,                // address of the connection table
  THREADS,              // address of the first thread block
  PREFIXES,             // counters/prefixes.ts table address, and entries in use
  PREFIX_COUNT,
  HASHPOWER,            // log2 of the primary table's bucket count
  HASH_PRIMARY,         // address of the primary bucket array
  HASH_OLD,             // address of the old array while expanding, else 0
  HASH_EXPANDING,       // 1 while buckets migrate from old to primary
  EXPAND_BUCKET,        // next old bucket to migrate
  ITEM_LOCK_MASK,       // item locks in use - 1 (locks/locks.ts)
  CRAWLER_LAST_KICK,    // current_time of the last automatic crawl schedule check
  CRAWLER_ACTIVE,       // number of LRUs with a crawler pseudo-item linked
  CRAWLER_MODE,         // what running crawlers do: background/crawler.ts CrawlMode
  METADUMP_CONN,        // connection a metadump streams to (valid while CRAWLER_MODE is METADUMP)
  LOG_GID,              // last log id handed out (atomic)
  CHECK_DETAIL,         // address the invariant checker complained about
  REASSIGN_PAGE,        // the page being emptied by a move (background/slab_mover.ts), else 0
  REASSIGN_CURSOR,      // slabs reassign -1: where the search for a source class resumes
  MOVER_PAUSE,          // a word the page mover sleeps on between passes (never notified)
  AUTOMOVE_LAST,        // current_time of the last automove decision
  AUTOMOVE_PENDING,     // slab_automove=2: class that evicted and wants a page (0 = none)
  AUTOMOVE_WINDOWS,     // automove decisions taken so far (a window must fill before moves)
  SIZES,                // counters/sizes.ts histogram address (0 until first enabled), bucket count
  SIZES_BUCKETS,
  SIZES_CAS_MIN,        // items with a smaller CAS were stored before tracking began
  RECOVERY,             // a thread trapped: the others stop at their next lock wait or call (locks/recovery.ts)
  COUNT,
}
export const GLOBALS: usize = SETTINGS + SETTINGS_SIZE;
export const GLOBALS_SIZE: usize = <usize>Global.COUNT * 8;

export const MAX_CLASSES: u32 = 64;       // class 0 is the global page pool, 1..63 real classes
export const SLABCLASS: usize = GLOBALS + GLOBALS_SIZE;
export const SLABCLASS_SIZE: usize = 64;

export const LRU_IDS: u32 = 256;          // class id | (lru << 6)
export const LRUS: usize = SLABCLASS + <usize>MAX_CLASSES * SLABCLASS_SIZE;
export const LRU_SIZE: usize = 32;

export const EVICTED_TIMES: usize = LRUS + <usize>LRU_IDS * LRU_SIZE;

export const CRAWLERS: usize = EVICTED_TIMES + <usize>LRU_IDS * 8;
export const CRAWLER_SIZE: usize = 64;

export const CRAWLSTATE: usize = CRAWLERS + <usize>LRU_IDS * CRAWLER_SIZE;
export const CRAWLSTATE_SIZE: usize = 32;

export const PAGE_SHIFT: u32 = 20;
export const PAGE_SIZE: usize = 1 << PAGE_SHIFT; // memcached's slab_page_size
export const MAX_PAGES: u32 = 4096;              // 4 GiB / 1 MiB
export const PAGEMAP: usize = CRAWLSTATE + <usize>MAX_CLASSES * CRAWLSTATE_SIZE;

export const HOST_VERSION: usize = PAGEMAP + <usize>MAX_PAGES; // runtime name for `libevent`
export const HOST_VERSION_SIZE: usize = 64;                   // length byte, then ASCII

export const SETTINGS_DESC: usize = HOST_VERSION + HOST_VERSION_SIZE; // `stats settings` lines
export const SETTINGS_DESC_SIZE: usize = 4096;

export const AUTOMOVE: usize = SETTINGS_DESC + SETTINGS_DESC_SIZE; // background/automove.ts windows
export const AUTOMOVE_SIZE: usize = 64 * 512;

export const AUTHDB: usize = AUTOMOVE + AUTOMOVE_SIZE; // protocols/auth.ts: `user:password` lines
export const AUTHDB_SIZE: usize = 16384;

export const LOCKS: usize = AUTHDB + AUTHDB_SIZE;     // locks/locks.ts draws it
export const LOCKS_SIZE: usize = 160 * 1024;

export const STATE_END: usize = LOCKS + LOCKS_SIZE;

export const KEY_MAX_LENGTH: u32 = <u32>Limits.KEY_MAX_LENGTH;
export const MAX_TOKENS: u32 = 24;                    // memcached's MAX_TOKENS
export const UDP_MARKS_MAX: u32 = 8192;

// The sizes both sides of the ABI agree on (abi/limits.ts), typed for the core.
export const OUT_RESERVE: usize = <usize>Limits.OUT_RESERVE;
export const IO_MIN: usize = <usize>Limits.IO_MIN;
export const LINE_ROOM: usize = <usize>Limits.LINE_ROOM;
export const WASM_PAGE: usize = 65536;
export const MEMORY_MAX: u64 = <u64>65536 * 65536; // 4 GiB: the most one wasm32 memory holds

@inline export function setting(id: Setting): f64 {
  return load<f64>(SETTINGS + (<usize>id << 3));
}

@inline export function settingU32(id: Setting): u32 {
  return <u32>load<f64>(SETTINGS + (<usize>id << 3));
}

@inline export function settingOn(id: Setting): bool {
  return load<f64>(SETTINGS + (<usize>id << 3)) != 0;
}

@inline export function setSetting(id: Setting, v: f64): void {
  store<f64>(SETTINGS + (<usize>id << 3), v);
}

@inline export function global32(id: Global): u32 {
  return load<u32>(GLOBALS + (<usize>id << 3));
}

@inline export function setGlobal32(id: Global, v: u32): void {
  store<u32>(GLOBALS + (<usize>id << 3), v);
}

@inline export function global64(id: Global): u64 {
  return load<u64>(GLOBALS + (<usize>id << 3));
}

@inline export function setGlobal64(id: Global, v: u64): void {
  store<u64>(GLOBALS + (<usize>id << 3), v);
}

@inline export function alignUp(v: usize, a: usize): usize {
  return (v + a - 1) & ~(a - 1);
}
