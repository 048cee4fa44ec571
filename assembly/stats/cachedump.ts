// `stats cachedump <class> <limit>` (memcached's item_cachedump): the COLD LRU of one class,
// newest first, one ITEM line per item, at most 2 MB of lines (and what the reply area holds).
import { lruHead } from "../cache/lru";
import { itNext, itNkey, itKey, itNbytes, itExptime, hasFlag, ITEM_KEY_BINARY, ITEM_CRAWLER, COLD_LRU } from "../cache/item";
import { processStarted } from "../cache/clock";
import { lruLock, lruUnlock } from "../locks/locks";
import { outStr, outBytes, outU64, outCrlf, outFree, outLen } from "../session/output";
import { endLine } from "./lines";

const CACHEDUMP_MAX: u32 = 2 * 1024 * 1024;
const END_LEN: u32 = 5;
const ITEM_LINE_MAX: u32 = 5 + 250 + 2 + 10 + 4 + 20 + 4; // "ITEM k [n b; t s]\r\n"

export function renderCachedump(classId: u32, limit: u32): void {
  const budget = min<u32>(CACHEDUMP_MAX, outFree() - END_LEN);
  let used: u32 = 0;
  let shown: u32 = 0;
  // Under the list's lock, as memcached's item_cachedump: nothing on it is freed meanwhile.
  lruLock(classId | COLD_LRU);
  let it = lruHead(classId | COLD_LRU);
  while (it && (limit == 0 || shown < limit) && used + ITEM_LINE_MAX <= budget) {
    if (!hasFlag(it, ITEM_CRAWLER) && !hasFlag(it, ITEM_KEY_BINARY)) {
      const start = outLen();
      outStr("ITEM ");
      outBytes(itKey(it), keyUntilNul(it));
      outStr(" [");
      outU64(itNbytes(it));
      outStr(" b; ");
      const exptime = itExptime(it);
      outU64(exptime == 0 ? 0 : <u64>exptime + processStarted());
      outStr(" s]");
      outCrlf();
      used += outLen() - start;
      shown++;
    }
    it = itNext(it);
  }
  lruUnlock(classId | COLD_LRU);
  endLine();
}

// memcached prints the key with %s: a NUL byte ends it.
function keyUntilNul(it: usize): u32 {
  const k = itKey(it);
  const n = itNkey(it);
  for (let i: u32 = 0; i < n; i++) if (load<u8>(k + i) == 0) return i;
  return n;
}
