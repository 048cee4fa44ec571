// One command line of the JS twin to its handler (memcached's process_command_ascii: by first
// letter, then by name; the core's execLine in assembly/protocols/text.ts).
//
// The twin serves memcached's text data commands and its plain admin commands. The commands
// that drive the WASM engine's own machinery — meta commands (mg ms md ma mn me), slabs,
// lru, lru_crawler, watch, cache_memlimit — answer ERROR, as an unknown command does, and so
// do the stats groups items, slabs, sizes, detail and cachedump (admin.ts).
import { ProcFlag } from "../../assembly/abi/proc_flags.js";
import { StoreOp } from "../../assembly/abi/results.js";
import { MEMCACHED_VERSION } from "../../assembly/abi/version.js";
import { Context, Conn, EXEC_STOP } from "./context.js";
import { execGet } from "./retrieval.js";
import { execUpdate } from "./storage.js";
import { execArith, execDelete, execTouch } from "./keyops.js";
import { execFlush, execShutdown, execStats, execVerbosity } from "./admin.js";
import type { HostState } from "./stats_text.js";

const CH_A = 0x61;
const CH_C = 0x63;
const CH_D = 0x64;
const CH_G = 0x67;
const CH_I = 0x69;
const CH_M = 0x6d;
const CH_S = 0x73;
const CH_T = 0x74;
const META_NAME_LENGTH = 2;
const VERSION = `VERSION ${MEMCACHED_VERSION}`;
// Dispatched by the core, answered ERROR here; listed so they skip the HTTP guard as they
// would on the core.
const NOT_SERVED = ["lru_crawler", "lru", "watch"];

/** The line [line, lineEnd); its data block, if any, starts at `data` with `dataAvail` bytes. */
export function execLine(ctx: Context, conn: Conn, h: HostState, line: number, lineEnd: number, data: number, dataAvail: number): number {
  const tok = ctx.tok;
  const ntokens = tok.tokenize(line, lineEnd);
  if (ntokens < 2 || tok.len[0] < 2) return ctx.error();
  const first = ctx.buf[tok.at[0]];
  if (first === CH_M && tok.len[0] === META_NAME_LENGTH) return ctx.error();
  if (first === CH_G) return execG(ctx, conn, ntokens, line, lineEnd);
  if (first === CH_S) {
    if (tok.is(0, "set")) return execUpdate(ctx, conn, ntokens, StoreOp.SET, data, dataAvail);
    if (tok.is(0, "stats")) return execStats(ctx, ntokens, h);
    if (tok.is(0, "shutdown")) return execShutdown(ctx, ntokens);
    return ctx.error();
  }
  if (first === CH_A) {
    if (tok.is(0, "add")) return execUpdate(ctx, conn, ntokens, StoreOp.ADD, data, dataAvail);
    if (tok.is(0, "append")) return execUpdate(ctx, conn, ntokens, StoreOp.APPEND, data, dataAvail);
    return ctx.error();
  }
  if (first === CH_C) return tok.is(0, "cas") ? execUpdate(ctx, conn, ntokens, StoreOp.CAS, data, dataAvail) : ctx.error();
  if (first === CH_I) return tok.is(0, "incr") ? execArith(ctx, ntokens, true) : ctx.error();
  if (first === CH_D) {
    if (tok.is(0, "delete")) return execDelete(ctx, ntokens);
    if (tok.is(0, "decr")) return execArith(ctx, ntokens, false);
    return ctx.error();
  }
  if (first === CH_T) return tok.is(0, "touch") ? execTouch(ctx, ntokens) : ctx.error();
  if (tok.is(0, "replace")) return execUpdate(ctx, conn, ntokens, StoreOp.REPLACE, data, dataAvail);
  if (tok.is(0, "prepend")) return execUpdate(ctx, conn, ntokens, StoreOp.PREPEND, data, dataAvail);
  if (tok.is(0, "bget")) return ntokens < 3 ? ctx.error() : execGet(ctx, conn, ntokens, false, false, line, lineEnd);
  if (tok.is(0, "flush_all")) return execFlush(ctx, ntokens);
  if (tok.is(0, "version")) {
    ctx.reply(VERSION);
    return 0;
  }
  if (tok.is(0, "quit")) {
    ctx.procFlag(ProcFlag.CLOSE);
    return EXEC_STOP;
  }
  if (tok.is(0, "verbosity")) return execVerbosity(ctx, ntokens);
  if (NOT_SERVED.some((name) => tok.is(0, name))) return ctx.error();
  // memcached's guard against HTTP clients: close without a word.
  if (tok.startsWith(ntokens - 2, "HTTP/")) {
    ctx.procFlag(ProcFlag.CLOSE_NOW);
    return EXEC_STOP;
  }
  return ctx.error();
}

function execG(ctx: Context, conn: Conn, ntokens: number, line: number, lineEnd: number): number {
  const tok = ctx.tok;
  if (ntokens < 3) return ctx.error();
  if (tok.is(0, "get")) return execGet(ctx, conn, ntokens, false, false, line, lineEnd);
  if (tok.is(0, "gets")) return execGet(ctx, conn, ntokens, true, false, line, lineEnd);
  if (tok.is(0, "gat")) return execGet(ctx, conn, ntokens, false, true, line, lineEnd);
  if (tok.is(0, "gats")) return execGet(ctx, conn, ntokens, true, true, line, lineEnd);
  return ctx.error();
}
