// The item size histogram (memcached's item_stats_sizes*): `stats sizes`.
//
// Counts linked items per 32-byte bucket of their size, measured with memcached's own item size
// formula so the buckets read the same. Tracking is on with -o track_sizes or after
// `stats sizes_enable`; items stored before tracking began (CAS below SIZES_CAS_MIN) are not
// counted, then or when they go, as in memcached. The histogram (item_size_max / 32 + 1 u32
// buckets, memory/memlimit.ts) is taken from the arena the first time tracking starts. Items
// are described by their memcached size and CAS, so this file needs no item header.
import {
  Global, GLOBALS, global32, setGlobal32, global64, setGlobal64, settingOn, SETTINGS, PAGE_SIZE, PAGE_SHIFT,
} from "../layout/layout";
import { Setting } from "../abi/settings";
import { frontierPages, releasePages, PAGE_HASH } from "../memory/slabs";
import { sizesBytes, SIZES_BUCKET_BYTES } from "../memory/memlimit";

function bucketOf(total: u64): usize {
  let b = total / SIZES_BUCKET_BYTES;
  if (total % SIZES_BUCKET_BYTES) b++;
  return <usize>min<u64>(b, <u64>global32(Global.SIZES_BUCKETS) - 1);
}

@inline function tracked(cas: u64): bool {
  return settingOn(Setting.TRACK_SIZES) && global32(Global.SIZES) != 0 && cas >= global64(Global.SIZES_CAS_MIN);
}

// An item of memcached size `total` and CAS `cas` was linked.
export function sizesAdd(total: u64, cas: u64): void {
  if (!tracked(cas)) return;
  atomic.add<u32>(<usize>global32(Global.SIZES) + bucketOf(total) * 4, 1);
}

export function sizesRemove(total: u64, cas: u64): void {
  if (!tracked(cas)) return;
  // Never below zero: an item counted before tracking was last restarted may go uncounted.
  const p = <usize>global32(Global.SIZES) + bucketOf(total) * 4;
  let v = atomic.load<u32>(p);
  while (v != 0) {
    const seen = atomic.cmpxchg<u32>(p, v, v - 1);
    if (seen == v) return;
    v = seen;
  }
}

// Turns tracking on; false if the histogram cannot be had.
export function sizesEnable(nextCas: u64): bool {
  if (!global32(Global.SIZES)) {
    const pages = <u32>((sizesBytes() + PAGE_SIZE - 1) >> PAGE_SHIFT);
    const at = frontierPages(pages, PAGE_HASH);
    if (!at) return false;
    setGlobal32(Global.SIZES_BUCKETS, <u32>(sizesBytes() / 4));
    // Two threads enabling at once: the first histogram in place stays, the other goes back.
    if (atomic.cmpxchg<u32>(GLOBALS + (<usize>Global.SIZES << 3), 0, <u32>at) != 0) releasePages(at, pages);
  }
  if (!settingOn(Setting.TRACK_SIZES)) {
    memory.fill(<usize>global32(Global.SIZES), 0, sizesBytes());
    setGlobal64(Global.SIZES_CAS_MIN, nextCas);
  }
  store<f64>(SETTINGS + (<usize>Setting.TRACK_SIZES << 3), 1);
  return true;
}

export function sizesDisable(): void {
  store<f64>(SETTINGS + (<usize>Setting.TRACK_SIZES << 3), 0);
}

export function sizesTracking(): bool {
  return settingOn(Setting.TRACK_SIZES) && global32(Global.SIZES) != 0;
}

// Items counted in bucket b (sizes from b × 32 - 31 to b × 32 bytes).
export function sizesBucket(b: u32): u32 { return load<u32>(<usize>global32(Global.SIZES) + <usize>b * 4); }
export function sizesBucketCount(): u32 { return global32(Global.SIZES_BUCKETS); }
