// The hash table (memcached's assoc.c): 2^hashpower buckets of u32 item addresses, chains
// through IT_HNEXT, new items pushed at the bucket head.
//
// Expansion is incremental, as memcached's assoc maintenance thread does it. When items exceed
// 1.5 × buckets, a maintenance step takes a table twice the size at the arena frontier (fresh
// memory is already zero, so starting costs no memset); it becomes the primary and the old one
// stays until every old bucket has been migrated. Old bucket b (= hv & oldmask) is "migrated"
// once b < EXPAND_BUCKET; until then lookups and inserts for it use the old table. Every
// maintenance step migrates a bounded batch, so no single call pays in proportion to the table.
//
// Locks: a bucket is read and changed under the item lock of its keys' hash values. Item locks
// are fewer than buckets, so all the keys of old bucket b share the item lock of index b, and
// bucket b moves under it. Switching tables (the start and the end of an expansion) takes every
// item lock: memcached pauses its worker threads for the same moment.
import { Global, GLOBALS, global32, setGlobal32, setting, settingOn } from "../layout/layout";
import { itemLock, itemUnlock, itemLockAll, itemUnlockAll } from "../locks/locks";
import { Setting } from "../abi/settings";
import { hash } from "../util/hash";
import { itHNext, setHNext, itNkey, itKey, IT_HNEXT } from "./item";
import { frontierPages, releasePages, PAGE_HASH } from "../memory/slabs";
import { HASHPOWER_DEFAULT, HASHPOWER_MAX, BUCKET_SIZE, tablePages } from "../memory/memlimit";
import { stat, Stat } from "../counters/counters";

const EXPAND_BUCKET_WORD: usize = GLOBALS + (<usize>Global.EXPAND_BUCKET << 3);

@inline function hashsize(hp: u32): usize { return <usize>1 << hp; }
@inline function hashmask(hp: u32): u32 { return <u32>((<u64>1 << hp) - 1); }

export function assocInit(): bool {
  let hp = <u32>setting(Setting.HASHPOWER_INIT);
  if (hp == 0) hp = HASHPOWER_DEFAULT;
  const table = frontierPages(tablePages(hp), PAGE_HASH);
  if (!table) return false;
  setGlobal32(Global.HASHPOWER, hp);
  setGlobal32(Global.HASH_PRIMARY, <u32>table);
  setGlobal32(Global.HASH_OLD, 0);
  setGlobal32(Global.HASH_EXPANDING, 0);
  setGlobal32(Global.EXPAND_BUCKET, 0);
  return true;
}

// Address of the bucket slot that holds (or would hold) an item with hash value hv.
// The caller holds the item lock of hv.
@inline export function bucketFor(hv: u32): usize {
  const hp = global32(Global.HASHPOWER);
  if (global32(Global.HASH_EXPANDING)) {
    const oldBucket = hv & hashmask(hp - 1);
    if (oldBucket >= atomic.load<u32>(EXPAND_BUCKET_WORD)) {
      return <usize>global32(Global.HASH_OLD) + <usize>oldBucket * BUCKET_SIZE;
    }
  }
  return <usize>global32(Global.HASH_PRIMARY) + <usize>(hv & hashmask(hp)) * BUCKET_SIZE;
}

@inline function keyMatches(it: usize, key: usize, nkey: u32): bool {
  return itNkey(it) == nkey && bytesEqual(itKey(it), key, nkey);
}

// Keys sit at any alignment; wasm loads need none, so compare eight bytes at a time.
function bytesEqual(a: usize, b: usize, n: u32): bool {
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
  }
  for (; i < n; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}

export function assocFind(key: usize, nkey: u32, hv: u32): usize {
  let it = <usize>load<u32>(bucketFor(hv));
  while (it) {
    if (keyMatches(it, key, nkey)) return it;
    it = itHNext(it);
  }
  return 0;
}

export function assocInsert(it: usize, hv: u32): void {
  const slot = bucketFor(hv);
  setHNext(it, load<u32>(slot));
  store<u32>(slot, <u32>it);
}

export function assocDelete(key: usize, nkey: u32, hv: u32): void {
  let slot = bucketFor(hv);
  let it = <usize>load<u32>(slot);
  while (it) {
    if (keyMatches(it, key, nkey)) {
      store<u32>(slot, <u32>itHNext(it));
      setHNext(it, 0);
      return;
    }
    slot = it + IT_HNEXT;
    it = itHNext(it);
  }
}

function needsExpansion(): bool {
  const hp = global32(Global.HASHPOWER);
  return settingOn(Setting.HASH_EXPAND) && hp < HASHPOWER_MAX &&
    <u64>stat(Stat.CURR_ITEMS) > (<u64>hashsize(hp) * 3) / 2;
}

// Takes the doubled table; does nothing (and retries later) if memory cannot hold it.
export function assocStartExpand(): void {
  if (global32(Global.HASH_EXPANDING) || !needsExpansion()) return;
  const hp = global32(Global.HASHPOWER);
  const table = frontierPages(tablePages(hp + 1), PAGE_HASH);
  if (!table) return;
  itemLockAll();
  setGlobal32(Global.HASH_OLD, global32(Global.HASH_PRIMARY));
  setGlobal32(Global.HASH_PRIMARY, <u32>table);
  setGlobal32(Global.HASHPOWER, hp + 1);
  atomic.store<u32>(EXPAND_BUCKET_WORD, 0);
  setGlobal32(Global.HASH_EXPANDING, 1);
  itemUnlockAll();
}

// Migrates up to `buckets` old buckets; returns how many it moved.
export function assocExpandStep(buckets: u32): u32 {
  if (!global32(Global.HASH_EXPANDING)) return 0;
  const hp = global32(Global.HASHPOWER);
  const oldSize = <u32>hashsize(hp - 1);
  const old = <usize>global32(Global.HASH_OLD);
  const primary = <usize>global32(Global.HASH_PRIMARY);
  const mask = hashmask(hp);
  let b = global32(Global.EXPAND_BUCKET);
  let moved: u32 = 0;
  while (moved < buckets && b < oldSize) {
    itemLock(b);
    const slot = old + <usize>b * BUCKET_SIZE;
    let it = <usize>load<u32>(slot);
    while (it) {
      const next = itHNext(it);
      const dst = primary + <usize>(hash(itKey(it), itNkey(it)) & mask) * BUCKET_SIZE;
      setHNext(it, load<u32>(dst));
      store<u32>(dst, <u32>it);
      it = next;
    }
    store<u32>(slot, 0);
    b++;
    atomic.store<u32>(EXPAND_BUCKET_WORD, b);
    itemUnlock(b - 1, true);
    moved++;
  }
  if (b == oldSize) finishExpand(hp - 1);
  return moved;
}

function finishExpand(oldHp: u32): void {
  const old = <usize>global32(Global.HASH_OLD);
  itemLockAll();
  setGlobal32(Global.HASH_OLD, 0);
  setGlobal32(Global.HASH_EXPANDING, 0);
  atomic.store<u32>(EXPAND_BUCKET_WORD, 0);
  itemUnlockAll();
  releasePages(old, tablePages(oldHp));
}

export function hashpower(): u32 { return global32(Global.HASHPOWER); }
export function hashBytes(): u64 { return <u64>hashsize(global32(Global.HASHPOWER)) * BUCKET_SIZE; }
export function hashExpanding(): bool { return global32(Global.HASH_EXPANDING) != 0; }

// The raw tables, for the invariant checker.
export function oldTable(): usize { return <usize>global32(Global.HASH_OLD); }
export function primaryTable(): usize { return <usize>global32(Global.HASH_PRIMARY); }
export function expandBucket(): u32 { return global32(Global.EXPAND_BUCKET); }
export function bucketMask(hp: u32): u32 { return hashmask(hp); }
