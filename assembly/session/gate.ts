// The per-command gate and the -R turn (memcached's conn_new_cmd, with reqs_per_event's
// nreqs count): what both protocols check before each command.
import { settingU32, OUT_RESERVE } from "../layout/layout";
import { Setting } from "../abi/settings";
import { ProcFlag } from "../abi/proc_flags";
import { connSwallow, setConnSwallow, connYielded, setConnYielded, connServed, resetServed } from "./conn";
import { outFree, outLen, outSent } from "./output";
import { procFlag } from "./call";

// Before each command, in both protocols: discard what a refused data block still owes,
// honour -R, and keep room for a reply. Returns the bytes swallowed (> 0), GATE_OPEN to run
// the command, or GATE_STOP (PROC_FLAGS says why).
export const GATE_OPEN: i64 = 0;
export const GATE_STOP: i64 = -1;
export function commandGate(c: usize, pos: usize, end: usize): i64 {
  const swallow = connSwallow(c);
  if (swallow) {
    const n = <u32>min<usize>(<usize>swallow, end - pos);
    setConnSwallow(c, swallow - n);
    return n;
  }
  if (connServed(c) >= turnBudget(c)) {
    setConnYielded(c, true);
    resetServed(c);
    procFlag(ProcFlag.YIELD);
    return GATE_STOP;
  }
  if (outFree() < <u32>OUT_RESERVE) {
    procFlag(ProcFlag.AGAIN);
    return GATE_STOP;
  }
  return GATE_OPEN;
}

// memcached counts -R down before every command but the first of a read, so a read is served
// reqs_per_event + 1 commands and each turn after a yield reqs_per_event.
function turnBudget(c: usize): u32 {
  return settingU32(Setting.REQS_PER_EVENT) + (connYielded(c) ? 0 : 1);
}

// The input ran dry: the next read starts a new turn with memcached's extra first command.
export function endTurn(c: usize): void {
  resetServed(c);
  setConnYielded(c, false);
}

// The input ran dry with every command answered. memcached counts -R down once per command and
// once more for flushing replies still queued, and yields whenever the count goes below zero,
// input left or not: so a turn that served its whole budget, or all but one command with
// replies unsent, ends in a yield (conn_yields), and the next read continues that turn's
// successor, without the extra first command.
export function endTurnDry(c: usize): void {
  const budget = turnBudget(c);
  const served = connServed(c);
  const unsent = outLen() > outSent();
  if (served < budget && (served + 1 < budget || !unsent)) {
    endTurn(c);
    return;
  }
  resetServed(c);
  setConnYielded(c, true);
  procFlag(ProcFlag.YIELD);
}
