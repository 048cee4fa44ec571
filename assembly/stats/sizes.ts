// `stats sizes` (memcached's item_stats_sizes): one line per 32-byte size bucket holding items.
import { SIZES_BUCKET_BYTES } from "../memory/memlimit";
import { sizesTracking, sizesBucket, sizesBucketCount } from "../counters/sizes";
import { outStr, outU64, outCrlf } from "../session/output";
import { endLine } from "./lines";

export function renderSizes(): void {
  if (!sizesTracking()) {
    outStr("STAT sizes_status disabled");
    outCrlf();
    endLine();
    return;
  }
  const n = sizesBucketCount();
  for (let b: u32 = 0; b < n; b++) {
    const count = sizesBucket(b);
    if (!count) continue;
    outStr("STAT ");
    outU64(<u64>b * SIZES_BUCKET_BYTES);
    outStr(" ");
    outU64(count);
    outCrlf();
  }
  endLine();
}
