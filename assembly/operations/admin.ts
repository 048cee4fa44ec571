// The operator commands' way into the background machinery and the memory limit: crawls and
// metadumps (memcached's lru_crawler_start / crawler METADUMP), page moves (slabs_reassign),
// cache_memlimit and size tracking. The protocols parse the commands; these act.
export { crawlerStart, crawlerStartMetadump, crawlerRunning, crawlerLinked, metadumpAdvance, metadumpAbort } from "../background/crawler";
import { itemHash } from "../cache/items";
import { itemUnlock } from "../locks/locks";
export { slabsReassign, ReassignResult } from "../background/slab_mover";
export { adjustMemLimit } from "../memory/memlimit";
export { sizesDisable } from "../counters/sizes";
import { sizesEnable } from "../counters/sizes";
import { nextCas } from "../cache/items";

// `stats sizes_enable`: items stored from now on are tracked. False when the histogram's
// memory cannot be had.
export function sizesEnableNow(): bool { return sizesEnable(nextCas() + 1); }

// A metadump line is written: the item metadumpAdvance handed over (try-locked) is let go.
export function metadumpRelease(it: usize): void { itemUnlock(itemHash(it), false); }
