// `stats items` (memcached's item_stats): per class, the LRU sizes and ages and the per-LRU
// counters, in memcached 1.6.18's order.
import { Setting } from "../abi/settings";
import { settingOn } from "../layout/layout";
import { powerLargest } from "../memory/slabs";
import { LruStat, lruStat, evictedTime } from "../counters/counters";
import { HOT_LRU, WARM_LRU, COLD_LRU, TEMP_LRU, itTime } from "../cache/item";
import { lruCount, lruBytes, lruTail, classHasItems } from "../cache/lru";
import { currentTime } from "../cache/clock";
import { classLine } from "./lines";

@inline function sum4(c: u32, s: LruStat): u64 {
  return lruStat(c | HOT_LRU, s) + lruStat(c | WARM_LRU, s) + lruStat(c | COLD_LRU, s) + lruStat(c | TEMP_LRU, s);
}

function tailAge(id: u32): u64 {
  const t = lruTail(id);
  return t ? <u64>(currentTime() - itTime(t)) : 0;
}

export function renderItems(): void {
  const largest = powerLargest();
  const maintainer = settingOn(Setting.MAINTAINER);
  const p = "items:";
  for (let c: u32 = 1; c <= largest; c++) {
    if (!classHasItems(c)) continue;
    const n = <u64>lruCount(c | HOT_LRU) + lruCount(c | WARM_LRU) + lruCount(c | COLD_LRU) + lruCount(c | TEMP_LRU);
    classLine(p, c, "number", n);
    if (maintainer) {
      classLine(p, c, "number_hot", lruCount(c | HOT_LRU));
      classLine(p, c, "number_warm", lruCount(c | WARM_LRU));
      classLine(p, c, "number_cold", lruCount(c | COLD_LRU));
      if (settingOn(Setting.TEMP_LRU)) classLine(p, c, "number_temp", lruCount(c | TEMP_LRU));
      classLine(p, c, "age_hot", tailAge(c | HOT_LRU));
      classLine(p, c, "age_warm", tailAge(c | WARM_LRU));
    }
    classLine(p, c, "age", tailAge(c | COLD_LRU));
    classLine(p, c, "mem_requested", lruBytes(c | HOT_LRU) + lruBytes(c | WARM_LRU) + lruBytes(c | COLD_LRU) + lruBytes(c | TEMP_LRU));
    classLine(p, c, "evicted", sum4(c, LruStat.EVICTED));
    classLine(p, c, "evicted_nonzero", sum4(c, LruStat.EVICTED_NONZERO));
    classLine(p, c, "evicted_time", evictedTime(c | COLD_LRU));
    classLine(p, c, "outofmemory", sum4(c, LruStat.OUTOFMEMORY));
    classLine(p, c, "tailrepairs", sum4(c, LruStat.TAILREPAIRS));
    classLine(p, c, "reclaimed", sum4(c, LruStat.RECLAIMED));
    classLine(p, c, "expired_unfetched", sum4(c, LruStat.EXPIRED_UNFETCHED));
    classLine(p, c, "evicted_unfetched", sum4(c, LruStat.EVICTED_UNFETCHED));
    if (maintainer) classLine(p, c, "evicted_active", sum4(c, LruStat.EVICTED_ACTIVE));
    classLine(p, c, "crawler_reclaimed", sum4(c, LruStat.CRAWLER_RECLAIMED));
    classLine(p, c, "crawler_items_checked", sum4(c, LruStat.CRAWLER_ITEMS_CHECKED));
    classLine(p, c, "lrutail_reflocked", sum4(c, LruStat.LRUTAIL_REFLOCKED));
    if (!maintainer) continue;
    classLine(p, c, "moves_to_cold", sum4(c, LruStat.MOVES_TO_COLD));
    classLine(p, c, "moves_to_warm", sum4(c, LruStat.MOVES_TO_WARM));
    classLine(p, c, "moves_within_lru", sum4(c, LruStat.MOVES_WITHIN_LRU));
    classLine(p, c, "direct_reclaims", sum4(c, LruStat.DIRECT_RECLAIMS));
    classLine(p, c, "hits_to_hot", lruStat(c | HOT_LRU, LruStat.HITS));
    classLine(p, c, "hits_to_warm", lruStat(c | WARM_LRU, LruStat.HITS));
    classLine(p, c, "hits_to_cold", lruStat(c | COLD_LRU, LruStat.HITS));
    classLine(p, c, "hits_to_temp", lruStat(c | TEMP_LRU, LruStat.HITS));
  }
}

