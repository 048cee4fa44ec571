// The clock (memcached's current_time / process_started / realtime()).
//
// The host owns time: it calls clockSet() once a second with the unix time, and the core keeps
// every item time as relative seconds since PROCESS_STARTED, like memcached's rel_time_t.
// PROCESS_STARTED is 62 s before the first clock reading (memcached subtracts
// ITEM_UPDATE_INTERVAL + 2), so current_time never is 0 or 1, which are reserved: 0 means
// "never expires" and 1 "already expired".
import { Global, global32, setGlobal32 } from "../layout/layout";

export const REALTIME_MAXDELTA: i64 = 60 * 60 * 24 * 30; // exptimes above this are unix times
const START_OFFSET: u32 = 62;
export const ALREADY_EXPIRED: u32 = 1;

@inline export function currentTime(): u32 {
  return global32(Global.CURRENT_TIME);
}

@inline export function processStarted(): u32 {
  return global32(Global.PROCESS_STARTED);
}

export function clockInit(unixNow: u32): void {
  setGlobal32(Global.PROCESS_STARTED, unixNow - START_OFFSET);
  setGlobal32(Global.CURRENT_TIME, START_OFFSET);
}

// The clock never runs backwards: a host clock step back leaves current_time where it is.
export function clockSet(unixNow: u32): void {
  const rel = unixNow - processStarted();
  if (<i32>rel > <i32>currentTime()) setGlobal32(Global.CURRENT_TIME, rel);
}

// memcached's realtime(): a protocol exptime to an internal relative time.
export function realtime(exptime: i64): u32 {
  if (exptime == 0) return 0;
  if (exptime < 0) return ALREADY_EXPIRED;
  if (exptime > REALTIME_MAXDELTA) {
    if (exptime <= <i64>processStarted()) return ALREADY_EXPIRED;
    return <u32>(exptime - <i64>processStarted());
  }
  return <u32>exptime + currentTime();
}
