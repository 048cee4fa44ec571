// What the meta commands do to items beyond get/store/arith (memcached 1.6.18's
// process_mget_command and process_mdelete_command over do_item_get): mg's autovivify and its
// in-place changes (T, N, the win token), md's stale marking, me's look without a bump.
// metaFetch and metaPeek hand their item over locked (hold.ts): the changes below act on it
// until the protocol calls itemRelease().
import { settingOn } from "../layout/layout";
import { scratch, SCRATCH_CREATED } from "../layout/thread";
import { Setting } from "../abi/settings";
import { itCas, itClsid, setExptime, addFlag, clearFlag, setCas, ITEM_STALE, ITEM_TOKEN_SENT } from "../cache/item";
import { hash } from "../util/hash";
import { doItemGet, itemAlloc, doItemLink, doItemUnlink, nextCas } from "../cache/items";
import { doItemBump } from "../cache/lru";
import { lockForItem, unlockItem, handOver } from "./hold";
import { Stat, statIncr, SlabStat, slabStatIncr, LruStat, lruStatIncr } from "../counters/counters";

// mg: the live item, or with N (vivify) a new empty one linked in its place (metaCreated()
// says so). Nothing is counted: mg counts its hit or miss once it knows which.
export function metaFetch(key: usize, nkey: u32, vivify: bool): usize {
  store<u8>(scratch(SCRATCH_CREATED), 0);
  const hv = hash(key, nkey);
  lockForItem(hv);
  let it = doItemGet(key, nkey, hv, false);
  if (!it && vivify) {
    it = itemAlloc(key, nkey, 0, 0, 0);
    if (it) {
      doItemLink(it, hv);
      store<u8>(scratch(SCRATCH_CREATED), 1);
    }
  }
  return handOverIf(it, hv);
}

export function metaCreated(): bool { return load<u8>(scratch(SCRATCH_CREATED)) != 0; }

// me: the live item, not bumped (memcached's me counts only cmd_meta).
export function metaPeek(key: usize, nkey: u32): usize {
  const hv = hash(key, nkey);
  lockForItem(hv);
  return handOverIf(doItemGet(key, nkey, hv, false), hv);
}

function handOverIf(it: usize, hv: u32): usize {
  if (it) handOver(hv);
  else unlockItem(hv);
  return it;
}

// mg T / N: a new relative exptime.
export function metaSetExptime(it: usize, exptimeRel: u32): void { setExptime(it, exptimeRel); }

// mg W: this client won the right to recache; later fetchers see Z.
export function metaWin(it: usize): void { addFlag(it, ITEM_TOKEN_SENT); }

// mg's hit, counted once its reply is written: a touch with T, else a get (a hit to the LRU
// the item was in when fetched, `lruId`); then bumped unless u said not to.
export function metaHit(it: usize, lruId: u32, touched: bool, bump: bool): void {
  if (bump) doItemBump(it);
  if (touched) {
    statIncr(Stat.CMD_TOUCH);
    slabStatIncr(itClsid(it), SlabStat.TOUCH_HITS);
    return;
  }
  statIncr(Stat.CMD_GET);
  lruStatIncr(lruId, LruStat.HITS);
  slabStatIncr(itClsid(it), SlabStat.GET_HITS);
}

export function metaMiss(): void {
  statIncr(Stat.CMD_GET);
  statIncr(Stat.GET_MISSES);
}

export enum MetaDeleteResult { DELETED = 0, NOT_FOUND = 1, EXISTS = 2 }

// md's flags that change what it does.
export const MD_COMPARE_CAS: u32 = 1;  // C: the item's CAS must be `cas`
export const MD_STALE: u32 = 2;        // I: mark stale instead of deleting
export const MD_NEW_TTL: u32 = 4;      // T (with I): the stale item gets `exptimeRel`

// md: delete, or with I mark stale (a new CAS, the win token cleared, T's exptime if given).
// A CAS mismatch counts as a delete miss, as memcached counts it.
export function metaDelete(key: usize, nkey: u32, opts: u32, cas: u64, exptimeRel: u32): MetaDeleteResult {
  const hv = hash(key, nkey);
  lockForItem(hv);
  const r = doMetaDelete(key, nkey, hv, opts, cas, exptimeRel);
  unlockItem(hv);
  return r;
}

function doMetaDelete(key: usize, nkey: u32, hv: u32, opts: u32, cas: u64, exptimeRel: u32): MetaDeleteResult {
  const it = doItemGet(key, nkey, hv, false);
  if (!it || ((opts & MD_COMPARE_CAS) && itCas(it) != cas)) {
    statIncr(Stat.DELETE_MISSES);
    return it ? MetaDeleteResult.EXISTS : MetaDeleteResult.NOT_FOUND;
  }
  if (opts & MD_STALE) {
    if (opts & MD_NEW_TTL) setExptime(it, exptimeRel);
    addFlag(it, ITEM_STALE);
    clearFlag(it, ITEM_TOKEN_SENT);
    setCas(it, settingOn(Setting.USE_CAS) ? nextCas() : 0);
    return MetaDeleteResult.DELETED;
  }
  slabStatIncr(itClsid(it), SlabStat.DELETE_HITS);
  doItemUnlink(it, hv);
  return MetaDeleteResult.DELETED;
}
