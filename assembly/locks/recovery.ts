// After a trap: a thread that traps may stop half-way through a change while it holds locks.
// The others must neither deadlock on those locks nor keep working on what it left half done.
//
// The trapped thread's host raises RECOVERY (recoveryBegin) and wakes every sleeper. From then
// on a thread that would sleep on a lock traps instead (locks.ts), and a host calls into the
// core only after RECOVERY is down again (host/threads/recovery.ts parks it). With every thread
// out of the core, the recovering host checks the invariants, resets the cache if they do not
// hold, and releases every lock (recoveryEnd).
import { Global, GLOBALS } from "../layout/layout";
import { threadBlock, T_LOCKSTATE } from "../layout/thread";
import { settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { wakeAllWaiters, releaseAll, clearLockState } from "./locks";

const RECOVERY_WORD: usize = GLOBALS + (<usize>Global.RECOVERY << 3);

@inline export function recovering(): bool { return atomic.load<u32>(RECOVERY_WORD) != 0; }

// True for the thread that raised it; the others find it raised already.
export function recoveryBegin(): bool {
  const first = atomic.cmpxchg<u32>(RECOVERY_WORD, 0, 1) == 0;
  wakeAllWaiters();
  return first;
}

// Every thread is out of the core: no lock is held any more.
export function recoveryEnd(): void {
  releaseAll();
  const blocks = settingU32(Setting.THREAD_BLOCKS);
  for (let t: u32 = 0; t < blocks; t++) clearLockState(threadBlock(t) + T_LOCKSTATE);
  atomic.store<u32>(RECOVERY_WORD, 0);
}
