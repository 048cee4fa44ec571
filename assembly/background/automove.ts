// Slab automove (memcached's slab_automove.c), run once a second by the maintenance step.
//
// slab_automove=1: each class keeps a window of the last slab_automove_window (default 30, at
// most WINDOW_MAX) one-second samples: its COLD age,
// whether it evicted (and its share of all evictions), whether it ran out of memory or took a
// page ("dirty"), and whether it had more than 2.5 pages of free chunks. A class with that much
// free memory and a clean window gives a page back to the global pool. Otherwise, once the
// window has filled, if the youngest class that keeps evicting is younger than the oldest
// class's age × slab_automove_ratio, a page moves from the oldest to the youngest.
// slab_automove=2: every eviction asks for a page for its class at the next step.
//
// Per-class record (AUTOMOVE + class × 512):
//   0   evicted      u64   counters at the previous sample
//   8   outofmemory  u64
//   16  pages        u32
//   20  (pad)
//   24  samples[WINDOW_MAX] each 16 bytes: age u32, evicted_ratio f32, dirty u8,
//                          evicted_seen u8, excess_free u8
import { AUTOMOVE, Global, global32, setGlobal32, setting, settingU32, settingOn } from "../layout/layout";
import { Setting } from "../abi/settings";
import { powerLargest, classPages, classFree, classPerslab, classSize } from "../memory/slabs";
import { lruTail } from "../cache/lru";
import { itTime, COLD_LRU, HOT_LRU, WARM_LRU, TEMP_LRU } from "../cache/item";
import { currentTime } from "../cache/clock";
import { LruStat, lruStat } from "../counters/counters";
import { slabsReassign } from "./slab_mover";

// The record's room for samples: (RECORD - SAMPLES) / SAMPLE_SIZE.
const WINDOW_MAX: u32 = 30;
const RECORD: usize = 512;
const SAMPLES: usize = 24;
const SAMPLE_SIZE: usize = 16;
const S_AGE: usize = 0;
const S_RATIO: usize = 4;
const S_DIRTY: usize = 8;
const S_EVICTED_SEEN: usize = 9;
const S_EXCESS_FREE: usize = 10;
const MIN_PAGES_FOR_RECLAIM: f64 = 2.5;
const MIN_PAGES_FOR_SOURCE: u32 = 2;
const EVICTING_SHARE: f32 = 0.25;
const GLOBAL_POOL: i32 = 0;

@inline function rec(c: u32): usize { return AUTOMOVE + <usize>c * RECORD; }
@inline function windowSize(): u32 { return min<u32>(settingU32(Setting.SLAB_AUTOMOVE_WINDOW), WINDOW_MAX); }
@inline function sample(c: u32, i: u32): usize { return rec(c) + SAMPLES + <usize>(i % windowSize()) * SAMPLE_SIZE; }

function evictions(c: u32): u64 {
  return lruStat(c | HOT_LRU, LruStat.EVICTED) + lruStat(c | WARM_LRU, LruStat.EVICTED) +
    lruStat(c | COLD_LRU, LruStat.EVICTED) + lruStat(c | TEMP_LRU, LruStat.EVICTED);
}

function outOfMemory(c: u32): u64 {
  return lruStat(c | HOT_LRU, LruStat.OUTOFMEMORY) + lruStat(c | COLD_LRU, LruStat.OUTOFMEMORY);
}

export function automoveStep(): void {
  const mode = settingOn(Setting.SLAB_REASSIGN) ? settingU32(Setting.SLAB_AUTOMOVE) : 0;
  const pending = global32(Global.AUTOMOVE_PENDING);
  if (pending) {
    setGlobal32(Global.AUTOMOVE_PENDING, 0);
    if (mode == 2) slabsReassign(-1, <i32>pending);
  }
  const now = currentTime();
  if (mode != 1 || now == global32(Global.AUTOMOVE_LAST)) return;
  // Like memcached's maintainer, a page given back to the global pool is followed by another
  // decision at the next step rather than the next second: freeing memory goes fast.
  if (!decide()) setGlobal32(Global.AUTOMOVE_LAST, now);
}

// True when a page went back to the global pool.
function decide(): bool {
  const largest = powerLargest();
  const window = windowSize();
  const round = global32(Global.AUTOMOVE_WINDOWS);
  setGlobal32(Global.AUTOMOVE_WINDOWS, round + 1);
  let evictedTotal: u64 = 0;
  for (let c: u32 = 1; c <= largest; c++) evictedTotal += evictions(c) - load<u64>(rec(c));
  let oldest: i32 = -1;
  let oldestAge: u64 = 0;
  let youngest: i32 = -1;
  let youngestAge: u64 = u64.MAX_VALUE;
  let youngestEvicting = false;
  for (let c: u32 = 1; c <= largest; c++) {
    const s = sample(c, round);
    const evictedDelta = evictions(c) - load<u64>(rec(c));
    const dirty = evictedDelta > 0 || outOfMemory(c) > load<u64>(rec(c), 8) || classPages(c) > load<u32>(rec(c), 16);
    store<f32>(s, evictedDelta > 0 ? <f32>(<f64>evictedDelta / <f64>evictedTotal) : 0, S_RATIO);
    store<u8>(s, evictedDelta > 0 ? 1 : 0, S_EVICTED_SEEN);
    store<u8>(s, dirty ? 1 : 0, S_DIRTY);
    const excessFree = <f64>classFree(c) > <f64>classPerslab(c) * MIN_PAGES_FOR_RECLAIM;
    store<u8>(s, excessFree ? 1 : 0, S_EXCESS_FREE);
    const tail = lruTail(c | COLD_LRU);
    store<u32>(s, tail ? currentTime() - itTime(tail) : 0, S_AGE);
    store<u64>(rec(c), evictions(c));
    store<u64>(rec(c), outOfMemory(c), 8);
    store<u32>(rec(c), classPages(c), 16);
    let ageSum: u64 = 0;
    let dirtySum: u32 = 0;
    let evictedSeen: u32 = 0;
    for (let i: u32 = 0; i < window; i++) {
      const w = sample(c, i);
      ageSum += load<u32>(w, S_AGE);
      dirtySum += load<u8>(w, S_DIRTY);
      evictedSeen += load<u8>(w, S_EVICTED_SEEN);
    }
    const age = ageSum / window;
    // Small-chunk classes with plenty free and a quiet window give a page back.
    if (excessFree && dirtySum == 0 && classSize(c) < settingU32(Setting.ITEM_SIZE_MAX) / 2) {
      slabsReassign(<i32>c, GLOBAL_POOL);
      return true;
    }
    if (age > oldestAge && classPages(c) > MIN_PAGES_FOR_SOURCE) {
      oldest = <i32>c;
      oldestAge = age;
    }
    if (age < youngestAge && (evictedSeen > window / 2 || load<f32>(s, S_RATIO) > EVICTING_SHARE)) {
      youngest = <i32>c;
      youngestAge = age;
      youngestEvicting = evictedSeen > 0;
    }
  }
  if (youngest == -1 || oldest == -1 || round < window) return false;
  if (youngestEvicting && <f64>youngestAge < <f64>oldestAge * setting(Setting.SLAB_AUTOMOVE_RATIO)) {
    slabsReassign(oldest, youngest);
  }
  return false;
}
