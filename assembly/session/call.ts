// What the process() call being served asks of the host: ProcFlag bits (abi/proc_flags.ts) and,
// with NEED_MORE, how many bytes the next call needs (memcached's conn states that wait:
// conn_nread, a partial line or packet).
import { Global, global32, setGlobal32 } from "../memory/layout";
import { ProcFlag } from "../abi/proc_flags";

export function procFlag(f: u32): void {
  setGlobal32(Global.PROC_FLAGS, global32(Global.PROC_FLAGS) | f);
}

@inline export function procFlagged(f: u32): bool { return (global32(Global.PROC_FLAGS) & f) != 0; }

// The next call needs `need` bytes from the first unconsumed one.
export function needBytes(need: u32): void {
  procFlag(ProcFlag.NEED_MORE);
  setGlobal32(Global.PROC_NEED, need);
}

// A protocol stops at `pos` (of the input starting at `base`) until `need` bytes from there
// have arrived; returns the bytes consumed.
export function waitFor(base: usize, pos: usize, need: u32): u32 {
  needBytes(need);
  return <u32>(pos - base);
}
