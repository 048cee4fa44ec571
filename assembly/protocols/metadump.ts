// `lru_crawler metadump` (memcached's crawler METADUMP module): one line per live item, written
// as the crawlers pass them, one reply area at a time (the host calls again while it asks).
//
//   key=<uri-encoded key> exp=<unix time or -1> la=<unix time> cas=<n> fetch=<yes|no>
//   cls=<class> size=<memcached's item size>\n
import { LRU_IDS } from "../layout/layout";
import { outStr, outU64, outByte, outFree } from "../session/output";
import { crawlerRunning, crawlerLinked, metadumpAdvance, metadumpRelease } from "../operations/admin";
import {
  itKey, itNkey, itExptime, itTime, itCas, itClsid, itMcTotal, hasFlag, ITEM_FETCHED, processStarted,
} from "../operations/item_view";
import { uriUnreserved, hexDigit } from "../util/uri";

const DUMP_LINE_MAX: u32 = 4 + 250 * 3 + 5 + 11 + 4 + 11 + 5 + 20 + 10 + 5 + 4 + 3 + 6 + 10 + 2;
const PERCENT: u8 = 0x25;
const NEWLINE: u8 = 0x0a;

// Advances the metadump crawlers, writing one line per live item, until the reply area cannot
// take another line or every crawler has reached its head. True when the dump is complete.
export function metadumpStep(): bool {
  while (crawlerRunning()) {
    for (let id: u32 = 0; id < LRU_IDS; id++) {
      if (!crawlerLinked(id)) continue;
      if (outFree() < DUMP_LINE_MAX) return false;
      const it = metadumpAdvance(id);
      if (!it) continue;
      writeDumpLine(it);
      metadumpRelease(it);
    }
  }
  return true;
}

function writeDumpLine(it: usize): void {
  outStr("key=");
  uriEncode(itKey(it), itNkey(it));
  outStr(" exp=");
  const exptime = itExptime(it);
  if (exptime == 0) outStr("-1");
  else outU64(<u64>exptime + processStarted());
  outStr(" la=");
  outU64(<u64>itTime(it) + processStarted());
  outItemTail(it);
  outByte(NEWLINE);
}

// " cas=<n> fetch=<yes|no> cls=<n> size=<n>": how metadump and `me` end an item's line.
export function outItemTail(it: usize): void {
  outStr(" cas=");
  outU64(itCas(it));
  outStr(hasFlag(it, ITEM_FETCHED) ? " fetch=yes cls=" : " fetch=no cls=");
  outU64(itClsid(it));
  outStr(" size=");
  outU64(itMcTotal(it));
}

function uriEncode(p: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (uriUnreserved(c)) {
      outByte(c);
      continue;
    }
    outByte(PERCENT);
    outByte(hexDigit(c >> 4));
    outByte(hexDigit(c & 15));
  }
}
