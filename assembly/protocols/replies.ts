// Reply helpers the text and meta protocols share: noreply, memcached's generic errors, the
// -vv reply trace, swallowing a refused data block, and what a command's handler returns.
import { scratch, SCRATCH_NOREPLY } from "../layout/thread";
import { LogType } from "../abi/log";
import { outLine, outStr } from "../session/output";
import { setConnSwallow } from "../session/conn";
import { logWanted, logBegin, logStr, logU64, logEnd, connFd } from "../logger/logger";
import { tokIs } from "./tokens";

// What a command handler returns: >= 0 data bytes consumed after the line, or one of these.
export const EXEC_NEED_MORE: i64 = -1;   // the data block is still arriving (NEED_MORE set)
export const EXEC_STOP: i64 = -2;        // stop processing (close, shutdown, OUTBUF full)
export const EXEC_STOP_AFTER: i64 = -3;  // line done, but let the host act before the next one

@inline export function noreply(): bool { return load<u8>(scratch(SCRATCH_NOREPLY)) != 0; }
@inline export function setNoreply(on: bool): void { store<u8>(scratch(SCRATCH_NOREPLY), on ? 1 : 0); }

// memcached's set_noreply_maybe: only an exact `noreply` as the last word counts.
export function setNoreplyMaybe(ntokens: u32): bool {
  if (tokIs(ntokens - 2, "noreply")) setNoreply(true);
  return noreply();
}

// memcached's out_string: a reply line, unless the command said noreply.
export function reply(s: string): void {
  if (logWanted(LogType.VERBOSE)) traceReply(s, "");
  if (!noreply()) outLine(s);
}

// A reply line made of two strings (a fixed text and a declared value: `VERSION 1.6.18`).
export function replyParts(a: string, b: string): void {
  if (logWanted(LogType.VERBOSE)) traceReply(a, b);
  if (noreply()) return;
  outStr(a);
  outLine(b);
}

// -vv: ">fd reply", as memcached prints every reply on stderr.
function traceReply(s: string, more: string): void {
  const e = logBegin(LogType.VERBOSE);
  logStr(e, ">");
  logU64(e, connFd());
  logStr(e, noreply() ? " NOREPLY " : " ");
  logStr(e, s);
  logStr(e, more);
  logEnd(e);
}

export function error(): i64 {
  reply("ERROR");
  return 0;
}

export function clientError(): i64 {
  reply("CLIENT_ERROR bad command line format");
  return 0;
}

// A refused storage command's data block (`total` bytes with its "\r\n") is discarded: what
// has arrived now, the rest as it arrives (memcached's conn_swallow).
export function swallow(c: usize, total: u32, dataAvail: u32): i64 {
  if (dataAvail >= total) return total;
  setConnSwallow(c, total - dataAvail);
  return dataAvail;
}
