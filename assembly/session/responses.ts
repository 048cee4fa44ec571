// memcached's response objects (resp_start, resp_finish) as far as read_buf_mem_limit bounds
// them: every command takes one, a multi-key get one per key, and a connection that can take
// none more is closed or its get refused.
import { hostStatsBlock, thread32, ThreadGlobal } from "../layout/thread";
import { HostStat } from "../abi/host_stats";
import { ProcFlag } from "../abi/proc_flags";
import { connResume, connReplies, setConnReplies } from "./conn";
import { procFlag } from "./call";

// Once a command is complete (its line, or a binary header and key), before running it:
// memcached gives every command a response object and closes the connection when none is
// left, dropping the replies stacked so far with it. A get resumed after a full reply area
// still owns the one it started with. False: the connection closes (ProcFlag.CLOSE_NOW).
export function commandResponse(c: usize): bool {
  if (connResume(c) || respStart(c)) return true;
  procFlag(ProcFlag.CLOSE_NOW);
  return false;
}

// read_buf_mem_limit: the host sets how many response objects its worker's share of the limit
// leaves this thread's connections (setResponseLimit) (memcached's bundles of them, less the read buffers held; u32 max when
// there is no limit). False, and response_obj_oom counted, when the connection has stacked that
// many.
export function respStart(c: usize): bool {
  const used = connReplies(c);
  const limit = thread32(ThreadGlobal.RESPONSE_LIMIT);
  if (limit != 0 && used >= limit - 1) {
    const oom = hostStatsBlock() + (<usize>HostStat.RESPONSE_OBJ_OOM << 3);
    store<f64>(oom, load<f64>(oom) + 1);
    return false;
  }
  setConnReplies(c, used + 1);
  return true;
}

// The replies went out (a call's end, the end of a get): their response objects are free.
export function respReset(c: usize): void { setConnReplies(c, 0); }
