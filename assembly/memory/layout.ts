// The memory map of the core: where every piece of engine state lives in linear memory.
//
// All mutable engine state is at fixed addresses (never in module globals, never from `new`):
// a later step shares one memory between worker instances, and module globals are per instance.
//
//   0x0000_0000 ┌──────────────────────────────┐
//               │ AssemblyScript static data   │ string literals, const tables (< STATE_BASE,
//               │                              │ checked by init())
//   STATE_BASE  ├──────────────────────────────┤ 64 KiB
//               │ SETTINGS   Setting.COUNT×f64 │ written by the host before init() (abi/settings.ts)
//               │ GLOBALS    Global.COUNT×u64  │ clock, CAS counter, memory and hash state
//               │ STATS      Stat.COUNT×u64    │ global counters (counters/counters.ts)
//               │ SLABCLASS  64 × 64 B         │ memory/slabs.ts
//               │ LRUS       256 × 32 B        │ cache/lru.ts, one per (class | lru<<6)
//               │ ITEMSTATS  256 × 160 B       │ per-LRU counters (`stats items`)
//               │ CLASSSTATS 64 × 64 B         │ per-class op counters (`stats slabs`)
//               │ CRAWLERS   256 × 64 B        │ background/crawler.ts pseudo-items, one per LRU
//               │ CRAWLSTATE 64 × 32 B         │ background/crawler.ts schedule per class
//               │ PAGEMAP    4096 × u8         │ owner of each 1 MiB page (memory/slabs.ts)
//               │ KEYBUF     256 B             │ key argument of the exported API
//               │ RESULT     64 B              │ results of the exported API (operations/result.ts)
//               │ SCRATCH    64 B              │ per-command scratch (drawn below)
//               │ HOSTSTATS  32 × u64          │ abi/host_stats.ts, kept current by the host
//               │ HOST_VERSION 64 B            │ runtime name shown as `libevent`
//               │ TOKENS     24 × 8 B          │ protocols/tokens.ts tokenizer output
//               │ META       512 B             │ protocols/meta.ts parsed flags, decoded key
//               │ SETTINGS_DESC 4 KiB          │ how to print `stats settings` (host-written)
//               │ AUTOMOVE   64 × 512 B        │ background/automove.ts sample windows per class
//               │ BINPKT     64 B              │ protocols/binary.ts: the packet being served
//               │ UDP        64 B              │ protocols/udp.ts: datagram and framing state
//               │ UDP_MARKS  8192 × u64        │ protocols/udp.ts: where each response object ends
//               │ AUTHDB     16 KiB            │ protocols/auth.ts: the credentials file (-Y, -S)
//   STATE_END   ├──────────────────────────────┤ the rest is placed by index.ts init(), 64-aligned:
//               │ CONNS  (maxconns+1) × 32 B   │ session/conn.ts records (+1: UDP's)
//               │ INBUF      INBUF_SIZE        │ received bytes the host hands in (abi/limits.ts)
//               │ OUTBUF     OUTBUF_SIZE       │ replies the host sends out (abi/limits.ts)
//               │ PREFIXES   ~289 KiB          │ counters/prefixes.ts: `stats detail` table
//               │ LOGBUF     256 KiB           │ logger/logger.ts: entries for watch and -vv
//               │ VALBUF     item_size_max + 2 │ value argument / large-value gather area
//   ARENA_BASE  ├──────────────────────────────┤ 1 MiB aligned
//               │ slab pages and hash tables,  │ taken in 1 MiB pages at the frontier;
//               │ 1 MiB each                   │ reserved in one grow at init()
//               └──────────────────────────────┘ ≤ memory cap (memory/memlimit.ts)
import { Setting } from "../abi/settings";
import * as Limits from "../abi/limits";

export const STATE_BASE: usize = 0x10000;

export const SETTINGS: usize = STATE_BASE;
export const SETTINGS_SIZE: usize = <usize>Setting.COUNT * 8;

// Scalars, one u64 slot each (u32 values use the low half).
export enum Global {
  CURRENT_TIME = 0,     // memcached's current_time: seconds since process_started
  PROCESS_STARTED,      // unix time that relative time 0 stands for
  CAS_ID,               // last CAS handed out (pre-incremented: the first item gets 1)
  OLDEST_LIVE,          // flush_all: items last touched at or before this are dead
  OLDEST_CAS,           // flush_all: items with a smaller CAS are dead
  MEM_MALLOCED,         // bytes of slab pages handed to classes or the global pool
  MEM_CAP,              // most linear memory the core may ever grow to
  ARENA_BASE,           // first page-aligned address after the fixed areas
  FRONTIER,             // lowest never-used arena address (1 MiB aligned)
  SPARE_HEAD,           // committed pages owned by nobody (freed hash tables), linked list
  SPARE_COUNT,
  POWER_LARGEST,        // id of the largest slab class
  OUTBUF,               // address / size of the reply area
  OUTBUF_SIZE,
  OUTBUF_LEN,           // bytes written into OUTBUF by the last call
  OUTBUF_SENT,          // of those, the ones memcached would have transmitted already (text get)
  OUTBUF_CUT,           // lowest length OUTBUF was cut back to since UDP last framed it
  INBUF,                // address / size of the receive area
  INBUF_SIZE,
  CONNS,                // address of the connection table
  PROC_FLAGS,           // what the last process() call asks of the host (session/conn.ts)
  PROC_NEED,            // bytes the next process() call needs before it can progress
  PROC_WATCH_MASK,      // with ProcFlag.WATCH: the LogType bits the new watcher asked for
  VALBUF,
  VALBUF_SIZE,
  HASHPOWER,            // log2 of the primary table's bucket count
  HASH_PRIMARY,         // address of the primary bucket array
  HASH_OLD,             // address of the old array while expanding, else 0
  HASH_EXPANDING,       // 1 while buckets migrate from old to primary
  EXPAND_BUCKET,        // next old bucket to migrate
  CRAWLER_LAST_KICK,    // current_time of the last automatic crawl schedule check
  CRAWLER_ACTIVE,       // number of LRUs with a crawler pseudo-item linked
  CRAWLER_MODE,         // what running crawlers do: background/crawler.ts CrawlMode
  METADUMP_CONN,        // connection a metadump streams to (valid while CRAWLER_MODE is METADUMP)
  CURRENT_CONN,         // connection the running process() call serves
  LOGBUF,               // logger/logger.ts: entry area, bytes used, last log id, entries dropped
  LOG_LEN,
  LOG_GID,
  LOG_DROPPED,
  CHECK_DETAIL,         // address the invariant checker complained about
  PINNED,               // item an operation is still reading: eviction and reclaim skip it
  REASSIGN_CURSOR,      // slabs reassign -1: where the search for a source class resumes
  AUTOMOVE_LAST,        // current_time of the last automove decision
  AUTOMOVE_PENDING,     // slab_automove=2: class that evicted and wants a page (0 = none)
  AUTOMOVE_WINDOWS,     // automove decisions taken so far (a window must fill before moves)
  PREFIXES,             // counters/prefixes.ts table address, and entries in use
  PREFIX_COUNT,
  SIZES,                // counters/sizes.ts histogram address (0 until first enabled), bucket count
  SIZES_BUCKETS,
  SIZES_CAS_MIN,        // items with a smaller CAS were stored before tracking began
  COUNT,
}
export const GLOBALS: usize = SETTINGS + SETTINGS_SIZE;
export const GLOBALS_SIZE: usize = <usize>Global.COUNT * 8;

export const STATS: usize = GLOBALS + GLOBALS_SIZE;
export const STATS_SIZE: usize = 128 * 8; // stats.ts asserts Stat.COUNT fits

export const MAX_CLASSES: u32 = 64;       // class 0 is the global page pool, 1..63 real classes
export const SLABCLASS: usize = STATS + STATS_SIZE;
export const SLABCLASS_SIZE: usize = 64;

export const LRU_IDS: u32 = 256;          // class id | (lru << 6)
export const LRUS: usize = SLABCLASS + <usize>MAX_CLASSES * SLABCLASS_SIZE;
export const LRU_SIZE: usize = 32;

export const ITEMSTATS: usize = LRUS + <usize>LRU_IDS * LRU_SIZE;
export const ITEMSTATS_SIZE: usize = 160;

export const CLASSSTATS: usize = ITEMSTATS + <usize>LRU_IDS * ITEMSTATS_SIZE;
export const CLASSSTATS_SIZE: usize = 64;

export const CRAWLERS: usize = CLASSSTATS + <usize>MAX_CLASSES * CLASSSTATS_SIZE;
export const CRAWLER_SIZE: usize = 64;

export const CRAWLSTATE: usize = CRAWLERS + <usize>LRU_IDS * CRAWLER_SIZE;
export const CRAWLSTATE_SIZE: usize = 32;

export const PAGE_SHIFT: u32 = 20;
export const PAGE_SIZE: usize = 1 << PAGE_SHIFT; // memcached's slab_page_size
export const MAX_PAGES: u32 = 4096;              // 4 GiB / 1 MiB
export const PAGEMAP: usize = CRAWLSTATE + <usize>MAX_CLASSES * CRAWLSTATE_SIZE;

export const KEY_MAX_LENGTH: u32 = <u32>Limits.KEY_MAX_LENGTH;
export const KEYBUF: usize = PAGEMAP + <usize>MAX_PAGES;
export const KEYBUF_SIZE: usize = 256;

export const RESULT: usize = KEYBUF + KEYBUF_SIZE;
export const RESULT_SIZE: usize = 64;

// SCRATCH: short-lived values of the command being served, one slot per use:
//   0  DIGITS   24 B  a number as decimal text (incr/decr's counter, ma's reply, vivified counters)
//  32  NUMBER   8 B   the last number the tokenizer parsed (u64, i64 or f64)
//  40  NOREPLY  u8    the text command being served said `noreply`
//  41  CREATED  u8    the meta fetch just served created (vivified) its item
export const SCRATCH: usize = RESULT + RESULT_SIZE;
export const SCRATCH_SIZE: usize = 64;
export const SCRATCH_DIGITS: usize = SCRATCH;
export const SCRATCH_DIGITS_SIZE: usize = 24;
export const SCRATCH_NUMBER: usize = SCRATCH + 32;
export const SCRATCH_NOREPLY: usize = SCRATCH + 40;
export const SCRATCH_CREATED: usize = SCRATCH + 41;

export const HOSTSTATS: usize = SCRATCH + SCRATCH_SIZE; // host_stats.ts slots
export const HOSTSTATS_SIZE: usize = 32 * 8;
export const HOST_VERSION: usize = HOSTSTATS + HOSTSTATS_SIZE; // runtime name for `libevent`
export const HOST_VERSION_SIZE: usize = 64;             // length byte, then ASCII

export const TOKENS: usize = HOST_VERSION + HOST_VERSION_SIZE; // tokenizer output, per call
export const MAX_TOKENS: u32 = 24;                             // memcached's MAX_TOKENS
export const TOKENS_SIZE: usize = <usize>MAX_TOKENS * 8;

export const META: usize = TOKENS + TOKENS_SIZE;  // protocols/meta.ts flag state, per command
export const META_SIZE: usize = 512;

export const SETTINGS_DESC: usize = META + META_SIZE; // `stats settings` lines (host/options.ts)
export const SETTINGS_DESC_SIZE: usize = 4096;

export const AUTOMOVE: usize = SETTINGS_DESC + SETTINGS_DESC_SIZE; // background/automove.ts windows
export const AUTOMOVE_SIZE: usize = 64 * 512;

export const BINPKT: usize = AUTOMOVE + AUTOMOVE_SIZE; // protocols/binary.ts per-packet state
export const BINPKT_SIZE: usize = 64;

export const UDP: usize = BINPKT + BINPKT_SIZE;     // protocols/udp.ts datagram state
export const UDP_SIZE: usize = 64;
export const UDP_MARKS: usize = UDP + UDP_SIZE;     // protocols/udp.ts response-object ends
export const UDP_MARKS_MAX: u32 = 8192;
export const UDP_MARKS_SIZE: usize = <usize>UDP_MARKS_MAX * 8;

export const AUTHDB: usize = UDP_MARKS + UDP_MARKS_SIZE; // protocols/auth.ts: `user:password` lines
export const AUTHDB_SIZE: usize = 16384;

export const STATE_END: usize = AUTHDB + AUTHDB_SIZE;

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
