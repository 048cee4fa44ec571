// Item lifecycle (memcached's items.c item half): allocate under memory pressure, link into
// hash table and LRU, unlink, replace, look up with lazy expiry and flush checks.
//
// Locks: allocation takes none of its own (the slabs and LRU code take theirs, and evict only
// what they can try-lock). A `do` function expects the item lock of its hash value held, as
// memcached's do_item_* do; `LruHeld` also the LRU lock of the item's list.
import { LogType } from "../abi/log";
import { Global, GLOBALS, global64, settingOn, settingU32 } from "../layout/layout";
import { itemLockHeld } from "../locks/locks";
import { Setting } from "../abi/settings";
import {
  ITEM_HEADER, IT_NKEY, IT_CLSID, IT_TIME, IT_EXPTIME, IT_NBYTES, IT_CAS, ITEM_LINKED, ITEM_CFLAGS,
  ITEM_CHUNKED, ITEM_CAS, itKey, itNkey, itTime, itCas, itExptime, itClsid, itMcTotal, itNbytes,
  setFlags, setTime, setCas, addFlag, clearFlag, hasFlag, setNext, setPrev, setHNext, itemTotal,
  chunkedHeadTotal, COLD_LRU, HOT_LRU,
} from "./item";
import { slabsAlloc, slabsFree, slabsClsid } from "../memory/slabs";
import { assocFind, assocInsert, assocDelete } from "./assoc";
import { hash } from "../util/hash";
import { currentTime } from "./clock";
import { lruLink, lruUnlink, doLruUnlink, lruPullTail, initialLru, doItemBump, PULL_EVICT } from "./lru";
import { Stat, statIncr, statDecr, statAdd, LruStat, lruStatAdd } from "../counters/counters";
import { chunkChainAlloc, chunkChainFree } from "./chunk";
import { sizesAdd, sizesRemove } from "../counters/sizes";
import { logWanted, logBegin, logStr, logKey, logU64, logEnd, connFd } from "../logger/logger";
import { copyDisjoint } from "../util/copy";

const ALLOC_TRIES: u32 = 10; // memcached's do_item_alloc_pull retry count

export function itemHash(it: usize): u32 {
  return hash(itKey(it), itNkey(it));
}

// memcached's do_item_alloc_pull: try the slab; on failure evict from the COLD tail, and if
// nothing there could go, push the HOT tail down to COLD and try again.
function allocPull(clsid: u32): usize {
  const segmented = settingOn(Setting.LRU_SEGMENTED);
  let it: usize = 0;
  let i: u32 = 0;
  for (; i < ALLOC_TRIES; i++) {
    if (!segmented) lruPullTail(clsid, COLD_LRU, 0, 0, 0);
    it = slabsAlloc(clsid);
    if (it) break;
    if (lruPullTail(clsid, COLD_LRU, 0, PULL_EVICT, 0) <= 0) {
      if (!segmented) break;
      lruPullTail(clsid, HOT_LRU, 0, 0, 0);
    }
  }
  if (i > 0) lruStatAdd(clsid | COLD_LRU, LruStat.DIRECT_RECLAIMS, i);
  if (!it) lruStatAdd(clsid | COLD_LRU, LruStat.OUTOFMEMORY, 1);
  return it;
}

// Exported to chunk.ts: a chunk of class `clsid`, evicting from that class if needed.
export function allocChunkPull(clsid: u32): usize {
  return allocPull(clsid);
}

// A new unlinked item with key copied in and `nbytes` of uninitialised value space (for a
// chunked item, a chunk chain of that capacity). `exptime` is relative. 0 when out of memory.
// The caller checks item_size_max first (itemSizeOk).
export function itemAlloc(key: usize, nkey: u32, clientFlags: u32, exptime: u32, nbytes: u32): usize {
  const total = itemTotal(nkey, nbytes, clientFlags);
  const clsid = slabsClsid(total);
  if (clsid == 0) return 0;
  const chunked = total > <usize>settingU32(Setting.SLAB_CHUNK_MAX);
  const it = allocPull(chunked ? chunkedHeadClass(nkey, clientFlags) : clsid);
  if (!it) return 0;
  setNext(it, 0);
  setPrev(it, 0);
  setHNext(it, 0);
  store<u32>(it, 0, IT_TIME);
  store<u32>(it, exptime, IT_EXPTIME);
  store<u32>(it, nbytes, IT_NBYTES);
  store<u8>(it, <u8>nkey, IT_NKEY);
  store<u64>(it, 0, IT_CAS);
  // The item is accounted in the class of its full size (the largest class when chunked):
  // that is the LRU it lives on and gets evicted from.
  store<u8>(it, <u8>(clsid | initialLru(exptime)), IT_CLSID);
  let flags: u16 = settingOn(Setting.USE_CAS) ? ITEM_CAS : 0;
  if (clientFlags != 0) {
    flags |= ITEM_CFLAGS;
    store<u32>(it, clientFlags, ITEM_HEADER);
  }
  if (chunked) flags |= ITEM_CHUNKED;
  setFlags(it, flags);
  copyDisjoint(itKey(it), key, nkey);
  if (chunked && !chunkChainAlloc(it, nbytes)) {
    slabsFree(it, chunkedHeadClass(nkey, clientFlags));
    return 0;
  }
  return it;
}

// Returns an unlinked item's memory to the slabs.
export function itemFree(it: usize): void {
  if (hasFlag(it, ITEM_CHUNKED)) {
    chunkChainFree(it);
    slabsFree(it, chunkedHeadClass(itNkey(it), clientFlagsOf(it)));
    return;
  }
  slabsFree(it, itClsid(it));
}

@inline function clientFlagsOf(it: usize): u32 {
  return hasFlag(it, ITEM_CFLAGS) ? load<u32>(it, ITEM_HEADER) : 0;
}

// The class of a chunked item's header chunk, chosen by memcached's own header size (item,
// CAS, key, flags and one item_chunk) so `stats slabs` shows the same classes in use; our
// header needs less and fits.
const MC_ITEM_CHUNK: usize = 48;
export function chunkedHeadClass(nkey: u32, clientFlags: u32): u32 {
  let total = <usize>MC_HEADER + <usize>nkey + <usize>MC_KEY_NUL + MC_ITEM_CHUNK;
  if (clientFlags != 0) total += <usize>MC_CFLAGS;
  if (settingOn(Setting.USE_CAS)) total += <usize>MC_CAS;
  return max<u32>(slabsClsid(total), slabsClsid(chunkedHeadTotal(nkey, clientFlags)));
}

// An item changed in place (incr/decr) gets a fresh CAS. The size histogram tells tracked
// items by CAS, so the item leaves it and comes back.
export function doItemNewCas(it: usize): void {
  sizesRemove(itMcTotal(it), itCas(it));
  setCas(it, settingOn(Setting.USE_CAS) ? nextCas() : 0);
  sizesAdd(itMcTotal(it), itCas(it));
}

// memcached's get_cas_id: one sequence for every thread.
export function nextCas(): u64 {
  return atomic.add<u64>(GLOBALS + (<usize>Global.CAS_ID << 3), 1) + 1;
}

@inline function assertItemLocked(hv: u32): void {
  if (!ASC_NO_ASSERT) assert(itemLockHeld(hv), "the item lock of this hash value");
}

// memcached's do_item_link: time stamp, fresh CAS, hash table, LRU, counters.
export function doItemLink(it: usize, hv: u32): void {
  assertItemLocked(hv);
  addFlag(it, ITEM_LINKED);
  setTime(it, currentTime());
  statAdd(Stat.CURR_BYTES, itMcTotal(it));
  statIncr(Stat.CURR_ITEMS);
  statIncr(Stat.TOTAL_ITEMS);
  setCas(it, settingOn(Setting.USE_CAS) ? nextCas() : 0);
  assocInsert(it, hv);
  lruLink(it);
  sizesAdd(itMcTotal(it), itCas(it));
}

// memcached's do_item_unlink + the final release: the item's memory is free afterwards.
export function doItemUnlink(it: usize, hv: u32): void {
  assertItemLocked(hv);
  if (!unlinkFromTable(it, hv)) return;
  lruUnlink(it);
  itemFree(it);
}

// The same from an LRU walker (lru_pull_tail, the crawler) that holds the item's LRU lock:
// memcached's do_item_unlink_nolock.
export function doItemUnlinkLruHeld(it: usize, hv: u32): void {
  assertItemLocked(hv);
  if (!unlinkFromTable(it, hv)) return;
  doLruUnlink(it);
  itemFree(it);
}

function unlinkFromTable(it: usize, hv: u32): bool {
  if (!hasFlag(it, ITEM_LINKED)) return false;
  sizesRemove(itMcTotal(it), itCas(it));
  clearFlag(it, ITEM_LINKED);
  statAdd(Stat.CURR_BYTES, <u64>-<i64>itMcTotal(it));
  statDecr(Stat.CURR_ITEMS);
  assocDelete(itKey(it), itNkey(it), hv);
  return true;
}

export function doItemReplace(old: usize, it: usize, hv: u32): void {
  doItemUnlink(old, hv);
  doItemLink(it, hv);
}

// memcached's item_is_flushed: dead if flush_all's deadline has passed and the item was last
// touched at or before it, or (immediate flush) has a CAS older than the flush.
export function itemIsFlushed(it: usize): bool {
  const oldestLive = <u32>global64(Global.OLDEST_LIVE);
  if (oldestLive == 0 || oldestLive > currentTime()) return false;
  if (itTime(it) <= oldestLive) return true;
  const oldestCas = global64(Global.OLDEST_CAS);
  const cas = itCas(it);
  return oldestCas != 0 && cas != 0 && cas < oldestCas;
}

// memcached's do_item_get: lookup with lazy removal of flushed and expired items (counted in
// get_flushed / get_expired whatever command asked); a live item is bumped if `bump`.
export function doItemGet(key: usize, nkey: u32, hv: u32, bump: bool): usize {
  assertItemLocked(hv);
  const it = assocFind(key, nkey, hv);
  if (!it) return logFetch(key, nkey, 0, "not_found");
  if (itemIsFlushed(it)) {
    doItemUnlink(it, hv);
    statIncr(Stat.GET_FLUSHED);
    return logFetch(key, nkey, 0, "flushed");
  }
  const exptime = itExptime(it);
  if (exptime != 0 && exptime <= currentTime()) {
    doItemUnlink(it, hv);
    statIncr(Stat.GET_EXPIRED);
    return logFetch(key, nkey, 0, "expired");
  }
  if (bump) doItemBump(it);
  return logFetch(key, nkey, it, "found");
}

// `watch fetchers`: every lookup, whatever command made it, as memcached's do_item_get logs.
function logFetch(key: usize, nkey: u32, it: usize, status: string): usize {
  if (!logWanted(LogType.FETCHERS)) return it;
  const e = logBegin(LogType.FETCHERS);
  logStr(e, "type=item_get key=");
  logKey(e, key, nkey);
  logStr(e, " status=");
  logStr(e, status);
  logItemEnd(e, it);
  return it;
}

// The tail fetchers and mutations lines share: the item's class, the client's fd and the size.
export function logItemEnd(e: usize, it: usize): void {
  logStr(e, " clsid=");
  logU64(e, it ? itClsid(it) : 0);
  logStr(e, " cfd=");
  logU64(e, connFd());
  logStr(e, " size=");
  logU64(e, it ? itNbytes(it) : 0);
  logEnd(e);
}

// memcached's item_size_ok, with memcached's own item size formula (48-byte header, CAS,
// key NUL, "\r\n") so that exactly the same values are refused as "too large".
const MC_HEADER: u64 = 48;
const MC_CAS: u64 = 8;
const MC_CFLAGS: u64 = 4;
const MC_KEY_NUL: u64 = 1;
const MC_CRLF: u64 = 2;
export function itemSizeOk(nkey: u32, clientFlags: u32, nbytes: u64): bool {
  let total = MC_HEADER + <u64>nkey + MC_KEY_NUL + nbytes + MC_CRLF;
  if (clientFlags != 0) total += MC_CFLAGS;
  if (settingOn(Setting.USE_CAS)) total += MC_CAS;
  return total <= <u64>settingU32(Setting.ITEM_SIZE_MAX);
}

