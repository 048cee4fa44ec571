// `stats slabs` (memcached's slabs_stats): per class, its pages and chunks and the per-class
// command counters, then the totals.
import {
  powerLargest, classSize, classPerslab, classPages, classFree, classTotalChunks, memMalloced,
} from "../memory/slabs";
import { SlabStat, slabStat } from "../counters/counters";
import { line, classLine } from "./lines";

export function renderSlabs(): void {
  const largest = powerLargest();
  let active: u64 = 0;
  const p = "";
  for (let c: u32 = 1; c <= largest; c++) {
    if (classPages(c) == 0) continue;
    active++;
    const total = classTotalChunks(c);
    classLine(p, c, "chunk_size", classSize(c));
    classLine(p, c, "chunks_per_page", classPerslab(c));
    classLine(p, c, "total_pages", classPages(c));
    classLine(p, c, "total_chunks", total);
    classLine(p, c, "used_chunks", total - classFree(c));
    classLine(p, c, "free_chunks", classFree(c));
    classLine(p, c, "free_chunks_end", 0);
    classLine(p, c, "get_hits", slabStat(c, SlabStat.GET_HITS));
    classLine(p, c, "cmd_set", slabStat(c, SlabStat.SET_CMDS));
    classLine(p, c, "delete_hits", slabStat(c, SlabStat.DELETE_HITS));
    classLine(p, c, "incr_hits", slabStat(c, SlabStat.INCR_HITS));
    classLine(p, c, "decr_hits", slabStat(c, SlabStat.DECR_HITS));
    classLine(p, c, "cas_hits", slabStat(c, SlabStat.CAS_HITS));
    classLine(p, c, "cas_badval", slabStat(c, SlabStat.CAS_BADVAL));
    classLine(p, c, "touch_hits", slabStat(c, SlabStat.TOUCH_HITS));
  }
  line("active_slabs", active);
  line("total_malloced", memMalloced());
}
