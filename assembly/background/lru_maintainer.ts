// The LRU maintainer (memcached's lru_maintainer_thread and lru_maintainer_juggle): per class,
// it reclaims expired TEMP items and pulls the HOT, WARM and COLD tails (cache/lru.ts
// lruPullTail) until nothing moves, so that HOT and WARM keep their shares and fetched items
// reach WARM. memcached runs it on its own thread with an adaptive sleep; here it is one
// bounded pass per maintenance step (maintenance.ts).
import { setting, settingOn } from "../layout/layout";
import { Setting } from "../abi/settings";
import { powerLargest } from "../memory/slabs";
import { HOT_LRU, WARM_LRU, COLD_LRU, TEMP_LRU, itTime } from "../cache/item";
import { currentTime } from "../cache/clock";
import { lruPullTail, lruTail, lruBytes, classHasItems, PULL_CRAWL_BLOCKS } from "../cache/lru";
import { Stat, statIncr } from "../counters/counters";

const JUGGLE_ROUNDS: u32 = 500; // per class per maintainer visit, as memcached

// memcached's lru_maintainer_juggle for one class: TEMP reclaims, then HOT/WARM/COLD tails
// until nothing moves or the round limit. Returns rounds that did something.
function lruJuggle(clsid: u32): u32 {
  let did: u32 = 0;
  if (settingOn(Setting.TEMP_LRU)) {
    for (let i: u32 = 0; i < JUGGLE_ROUNDS; i++) {
      if (lruPullTail(clsid, TEMP_LRU, 0, 0, 0) <= 0) break;
      did++;
    }
  }
  const segmented = settingOn(Setting.LRU_SEGMENTED);
  let hotAge: u32 = 0;
  let warmAge: u32 = 0;
  let totalBytes: u64 = 0;
  if (segmented) {
    const coldTail = lruTail(clsid | COLD_LRU);
    const coldAge = coldTail ? currentTime() - itTime(coldTail) : 0;
    hotAge = <u32>(<f64>coldAge * setting(Setting.HOT_MAX_FACTOR));
    warmAge = <u32>(<f64>coldAge * setting(Setting.WARM_MAX_FACTOR));
    totalBytes = lruBytes(clsid | HOT_LRU) + lruBytes(clsid | WARM_LRU) + lruBytes(clsid | COLD_LRU);
  }
  for (let i: u32 = 0; i < JUGGLE_ROUNDS; i++) {
    let more: i32 = 0;
    if (lruPullTail(clsid, HOT_LRU, totalBytes, PULL_CRAWL_BLOCKS, hotAge) > 0 ||
        lruPullTail(clsid, WARM_LRU, totalBytes, PULL_CRAWL_BLOCKS, warmAge) > 0) {
      more++;
    }
    if (segmented) more += lruPullTail(clsid, COLD_LRU, 0, PULL_CRAWL_BLOCKS, 0);
    if (more == 0) break;
    did++;
  }
  return did;
}

// One maintainer pass over every class with items (memcached's lru_maintainer_thread loop
// body). Each class is bounded by JUGGLE_ROUNDS, so a pass is bounded too. True when some
// class used every round: there is a backlog, and the host should come back at once, as
// memcached's maintainer shortens its sleep while it keeps finding work.
export function lruMaintain(): bool {
  let backlog = false;
  const largest = powerLargest();
  for (let c: u32 = 1; c <= largest; c++) {
    if (!classHasItems(c)) continue;
    if (lruJuggle(c) >= JUGGLE_ROUNDS) backlog = true;
  }
  statIncr(Stat.LRU_MAINTAINER_JUGGLES);
  return backlog;
}

