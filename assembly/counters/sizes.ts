// The item size histogram (memcached's item_stats_sizes*): `stats sizes`.
//
// Counts linked items per 32-byte bucket of their size, measured with memcached's own item size
// formula so the buckets read the same. Tracking is on with -o track_sizes or after
// `stats sizes_enable`; items stored before tracking began (CAS below SIZES_CAS_MIN) are not
// counted, then or when they go, as in memcached. The histogram (item_size_max / 32 + 1 u32
// buckets) is taken from the arena the first time tracking starts.
import { Global, global32, setGlobal32, global64, setGlobal64, settingOn, settingU32, SETTINGS, PAGE_SIZE, PAGE_SHIFT } from "../memory/layout";
import { Setting } from "../abi/settings";
import { itCas, itMcTotal } from "../cache/item";
import { frontierPages, markPages, PAGE_HASH } from "../memory/slabs";
import { outStr, outU64, outCrlf } from "../session/output";

const BUCKET_BYTES: u64 = 32;

export function sizesBytes(): usize {
  return (<usize>settingU32(Setting.ITEM_SIZE_MAX) / <usize>BUCKET_BYTES + 1) * 4;
}

function bucketOf(it: usize): usize {
  const total = itMcTotal(it);
  let b = total / BUCKET_BYTES;
  if (total % BUCKET_BYTES) b++;
  return <usize>min<u64>(b, <u64>global32(Global.SIZES_BUCKETS) - 1);
}

@inline function tracked(it: usize): bool {
  return settingOn(Setting.TRACK_SIZES) && global32(Global.SIZES) != 0 && itCas(it) >= global64(Global.SIZES_CAS_MIN);
}

export function sizesAdd(it: usize): void {
  if (!tracked(it)) return;
  const p = <usize>global32(Global.SIZES) + bucketOf(it) * 4;
  store<u32>(p, load<u32>(p) + 1);
}

export function sizesRemove(it: usize): void {
  if (!tracked(it)) return;
  const p = <usize>global32(Global.SIZES) + bucketOf(it) * 4;
  if (load<u32>(p)) store<u32>(p, load<u32>(p) - 1);
}

// Turns tracking on; false if the histogram cannot be had.
export function sizesEnable(nextCas: u64): bool {
  if (!global32(Global.SIZES)) {
    const pages = <u32>((sizesBytes() + PAGE_SIZE - 1) >> PAGE_SHIFT);
    const at = frontierPages(pages);
    if (!at) return false;
    markPages(at, pages, PAGE_HASH);
    setGlobal32(Global.SIZES, <u32>at);
    setGlobal32(Global.SIZES_BUCKETS, <u32>(sizesBytes() / 4));
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

export function sizesRender(): void {
  if (!settingOn(Setting.TRACK_SIZES) || !global32(Global.SIZES)) {
    outStr("STAT sizes_status disabled");
    outCrlf();
  } else {
    const base = <usize>global32(Global.SIZES);
    const n = global32(Global.SIZES_BUCKETS);
    for (let b: u32 = 0; b < n; b++) {
      const count = load<u32>(base + <usize>b * 4);
      if (!count) continue;
      outStr("STAT ");
      outU64(<u64>b * BUCKET_BYTES);
      outStr(" ");
      outU64(count);
      outCrlf();
    }
  }
  outStr("END");
  outCrlf();
}
