// `stats detail dump` (memcached's stats_prefix_dump): one PREFIX line per key prefix counted
// (counters/prefixes.ts), then END.
import {
  PREFIX_BUCKETS, prefixFirst, prefixNext, prefixKey, prefixLength, prefixGets, prefixHits,
  prefixSets, prefixDeletes, prefixesLock, prefixesUnlock,
} from "../counters/prefixes";
import { outStr, outBytes, outU64, outCrlf } from "../session/output";
import { endLine } from "./lines";

export function renderDetailDump(): void {
  prefixesLock();
  for (let b: u32 = 0; b < PREFIX_BUCKETS; b++) {
    for (let e = prefixFirst(b); e; e = prefixNext(e)) {
      outStr("PREFIX ");
      outBytes(prefixKey(e), prefixLength(e));
      outStr(" get ");
      outU64(prefixGets(e));
      outStr(" hit ");
      outU64(prefixHits(e));
      outStr(" set ");
      outU64(prefixSets(e));
      outStr(" del ");
      outU64(prefixDeletes(e));
      outCrlf();
    }
  }
  prefixesUnlock();
  endLine();
}
