// Per-prefix statistics (memcached's stats_prefix.c): `stats detail on|off|dump`.
//
// A key's prefix is what comes before the first stat_key_prefix byte (-D, default ':'); keys
// without one are not counted. Entries live in a fixed table in linear memory: 256 hash
// buckets (MurmurHash3 of the prefix, as memcached, so `dump` lists prefixes in memcached's
// order), each a list with the newest prefix first. memcached allocates entries as it goes;
// here a full table stops recording new prefixes (existing ones keep counting).
//
// Entry (PREFIXES + i × 288): next u32, nprefix u32, get u64, hit u64, set u64, del u64,
// prefix[250] at 40.
import { Global, global32, setGlobal32, settingOn, settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { hash } from "../util/hash";
import { GlobalLock, globalLock, globalUnlock } from "../locks/locks";

export const PREFIX_BUCKETS: u32 = 256;
export const PREFIX_ENTRIES: u32 = 1024;
export const PREFIX_ENTRY_SIZE: usize = 288;
export const PREFIX_TABLE_SIZE: usize = <usize>PREFIX_BUCKETS * 4 + <usize>PREFIX_ENTRIES * PREFIX_ENTRY_SIZE;
const E_NEXT: usize = 0;
const E_LEN: usize = 4;
const E_GET: usize = 8;
const E_HIT: usize = 16;
const E_SET: usize = 24;
const E_DEL: usize = 32;
const E_PREFIX: usize = 40;

@inline function buckets(): usize { return <usize>global32(Global.PREFIXES); }
@inline function entry(i: u32): usize { return buckets() + <usize>PREFIX_BUCKETS * 4 + <usize>i * PREFIX_ENTRY_SIZE; }

// The entry for key's prefix, created if there is room; 0 when not counted (the prefix lock held).
function find(key: usize, nkey: u32): usize {
  const delim = <u8>settingU32(Setting.DETAIL_DELIMITER);
  let n: u32 = 0;
  while (n < nkey && load<u8>(key + n) != delim) n++;
  if (n == nkey) return 0;
  const slot = buckets() + <usize>(hash(key, n) % PREFIX_BUCKETS) * 4;
  for (let e = <usize>load<u32>(slot); e; e = <usize>load<u32>(e, E_NEXT)) {
    if (load<u32>(e, E_LEN) == n && memory.compare(e + E_PREFIX, key, n) == 0) return e;
  }
  const count = global32(Global.PREFIX_COUNT);
  if (count == PREFIX_ENTRIES) return 0;
  setGlobal32(Global.PREFIX_COUNT, count + 1);
  const e = entry(count);
  memory.fill(e, 0, E_PREFIX);
  store<u32>(e, n, E_LEN);
  memory.copy(e + E_PREFIX, key, n);
  store<u32>(e, load<u32>(slot), E_NEXT);
  store<u32>(slot, <u32>e);
  return e;
}

@inline function bump(e: usize, field: usize): void {
  if (e) store<u64>(e + field, load<u64>(e + field) + 1);
}

// Each record takes the prefix lock (memcached's STATS_LOCK around stats_prefix_record_*).
export function prefixRecordGet(key: usize, nkey: u32, hit: bool): void {
  if (!settingOn(Setting.DETAIL_ENABLED)) return;
  globalLock(GlobalLock.PREFIXES);
  const e = find(key, nkey);
  bump(e, E_GET);
  if (hit) bump(e, E_HIT);
  globalUnlock(GlobalLock.PREFIXES);
}

export function prefixRecordSet(key: usize, nkey: u32): void { record(key, nkey, E_SET); }
export function prefixRecordDelete(key: usize, nkey: u32): void { record(key, nkey, E_DEL); }

function record(key: usize, nkey: u32, field: usize): void {
  if (!settingOn(Setting.DETAIL_ENABLED)) return;
  globalLock(GlobalLock.PREFIXES);
  bump(find(key, nkey), field);
  globalUnlock(GlobalLock.PREFIXES);
}

// `stats reset` forgets every prefix, as memcached's stats_prefix_clear does.
export function prefixReset(): void {
  globalLock(GlobalLock.PREFIXES);
  memory.fill(buckets(), 0, <usize>PREFIX_BUCKETS * 4);
  setGlobal32(Global.PREFIX_COUNT, 0);
  globalUnlock(GlobalLock.PREFIXES);
}

export function prefixesLock(): void { globalLock(GlobalLock.PREFIXES); }
export function prefixesUnlock(): void { globalUnlock(GlobalLock.PREFIXES); }

// The prefixes for `stats detail dump` (stats/detail.ts), in memcached's order: bucket by
// bucket, newest first. prefixFirst(b) starts bucket b; 0 ends it.
export function prefixFirst(b: u32): usize { return load<u32>(buckets() + <usize>b * 4); }
export function prefixNext(e: usize): usize { return load<u32>(e, E_NEXT); }
export function prefixKey(e: usize): usize { return e + E_PREFIX; }
export function prefixLength(e: usize): u32 { return load<u32>(e, E_LEN); }
export function prefixGets(e: usize): u64 { return load<u64>(e, E_GET); }
export function prefixHits(e: usize): u64 { return load<u64>(e, E_HIT); }
export function prefixSets(e: usize): u64 { return load<u64>(e, E_SET); }
export function prefixDeletes(e: usize): u64 { return load<u64>(e, E_DEL); }
