// flush_all [delay] (memcached's process_flush_all_command): everything last touched before
// the deadline dies at the deadline. Immediate flushes also kill by CAS, which makes them exact
// within the current second. Items die lazily: lookups, the LRU tails and the crawler check
// item_is_flushed (cache/items.ts). cmd_flush is counted by the caller: memcached counts
// refused flushes too.
import { Global, setGlobal64, settingOn } from "../layout/layout";
import { Setting } from "../abi/settings";
import { currentTime, realtime } from "../cache/clock";
import { nextCas } from "../cache/items";

export function flushCommand(delay: i64): void {
  const newOldest = delay > 0 ? realtime(delay) : currentTime();
  if (!settingOn(Setting.USE_CAS)) {
    setGlobal64(Global.OLDEST_LIVE, newOldest);
    return;
  }
  const oldestLive = newOldest - 1;
  setGlobal64(Global.OLDEST_LIVE, oldestLive);
  if (oldestLive <= currentTime()) setGlobal64(Global.OLDEST_CAS, nextCas());
}
