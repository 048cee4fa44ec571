// What the process() call being served asks of the host: ProcFlag bits (abi/proc_flags.ts) and,
// with NEED_MORE, how many bytes the next call needs (memcached's conn states that wait:
// conn_nread, a partial line or packet).
import { thread32, setThread32, ThreadGlobal } from "../layout/thread";
import { Global, global32, setGlobal32 } from "../layout/layout";
import { ProcFlag } from "../abi/proc_flags";

export function procFlag(f: u32): void {
  setThread32(ThreadGlobal.PROC_FLAGS, thread32(ThreadGlobal.PROC_FLAGS) | f);
}

@inline export function procFlagged(f: u32): bool { return (thread32(ThreadGlobal.PROC_FLAGS) & f) != 0; }

// The next call needs `need` bytes from the first unconsumed one.
export function needBytes(need: u32): void {
  procFlag(ProcFlag.NEED_MORE);
  setThread32(ThreadGlobal.PROC_NEED, need);
}

// A protocol stops at `pos` (of the input starting at `base`) until `need` bytes from there
// have arrived; returns the bytes consumed.
export function waitFor(base: usize, pos: usize, need: u32): u32 {
  needBytes(need);
  return <u32>(pos - base);
}
