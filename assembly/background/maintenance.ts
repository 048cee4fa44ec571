// One maintenance step: the work memcached's background threads do (mc-assocmaint's hash
// expansion, mc-lrumaint's juggling and automove decisions, mc-itemcrawler's crawls), cut into
// bounded pieces the host runs on a timer (host/README.md, "Timers").
import { Global, global32, settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { assocStartExpand, assocExpandStep } from "../cache/assoc";
import { lruMaintain } from "./lru_maintainer";
import { crawlerSchedule, crawlerStep } from "./crawler";
import { automoveStep } from "./automove";

const EXPAND_BUCKETS_PER_STEP: u32 = 4096;
const CRAWL_ITEMS_PER_STEP: u32 = 1000;

// True when more work is waiting: the host comes back at once instead of after its interval.
export function maintenanceStep(): bool {
  assocStartExpand();
  assocExpandStep(EXPAND_BUCKETS_PER_STEP);
  let backlog = false;
  if (settingU32(Setting.MAINTAINER)) {
    backlog = lruMaintain();
    crawlerSchedule();
    automoveStep();
  }
  crawlerStep(CRAWL_ITEMS_PER_STEP);
  return backlog || global32(Global.HASH_EXPANDING) != 0 || global32(Global.CRAWLER_ACTIVE) != 0;
}
