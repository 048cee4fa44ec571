// set / add / replace / append / prepend / cas in the JS twin (memcached's
// process_update_command and complete_nread_ascii; the core's execUpdate in
// assembly/protocols/text.ts). The line is checked first; a value over -I is refused before its
// data arrives and swallowed as it does; otherwise the command waits (ProcFlag.NEED_MORE) until the
// whole data block is in the buffer and hands the engine a view of it.
import { ProcFlag } from "../../assembly/abi/proc_flags.js";
import { KEY_MAX_LENGTH, type StoreResult } from "../wasm_engine.js";
import { StoreOp } from "../../assembly/abi/results.js";
import { Context, Conn, EXEC_NEED_MORE } from "./context.js";
import { itemSizeOk } from "./item_size.js";
import { toI32, toU32, toU64 } from "./numbers.js";

const CR = 0x0d;
const LF = 0x0a;
const INT_MAX = 2147483647;
const DATA_CRLF = 2;
const TOO_LARGE = "SERVER_ERROR object too large for cache";

const STORE_REPLIES: Record<StoreResult, string> = {
  STORED: "STORED",
  NOT_STORED: "NOT_STORED",
  EXISTS: "EXISTS",
  NOT_FOUND: "NOT_FOUND",
  TOO_LARGE,
  NO_MEMORY: "SERVER_ERROR out of memory storing object",
};

/**
 * Runs a storage command whose line is tokenized; `data` is where its data block starts and
 * `dataAvail` how many bytes follow the line. Returns the data bytes consumed or EXEC_NEED_MORE.
 */
export function execUpdate(ctx: Context, conn: Conn, ntokens: number, op: StoreOp, data: number, dataAvail: number): number {
  const tok = ctx.tok;
  const handleCas = op === StoreOp.CAS;
  if (handleCas ? ntokens !== 7 && ntokens !== 8 : ntokens !== 6 && ntokens !== 7) return ctx.error();
  ctx.setNoreplyMaybe(ntokens);
  const nkey = tok.len[1];
  if (nkey > KEY_MAX_LENGTH) return ctx.clientError();
  const flagsIn = tok.strtoul(2);
  if (flagsIn === null) return ctx.clientError();
  const exptimeIn = tok.strtol(3);
  if (exptimeIn === null) return ctx.clientError();
  const vlenIn = tok.strtol(4);
  if (vlenIn === null) return ctx.clientError();
  let casIn = 0n;
  if (handleCas) {
    const v = tok.strtoul(5);
    if (v === null) return ctx.clientError();
    casIn = toU64(v);
  }
  const flags = toU32(flagsIn);
  const vlen = toI32(vlenIn);
  if (vlen < 0 || vlen > INT_MAX - DATA_CRLF) return ctx.clientError();
  const total = vlen + DATA_CRLF;
  if (!itemSizeOk(ctx.opts, nkey, flags, vlen)) return refuseTooLarge(ctx, conn, op, total, dataAvail);
  if (dataAvail < total) {
    ctx.procFlag(ProcFlag.NEED_MORE);
    // Counted from the command's first word, as the core counts it: after leading spaces the
    // driver asks once or twice too early, which costs a re-parse, never a reply.
    ctx.need = data - tok.at[0] + total;
    return EXEC_NEED_MORE;
  }
  const buf = ctx.buf;
  if (buf[data + vlen] !== CR || buf[data + vlen + 1] !== LF) {
    // memcached has already counted the set when it finds the data block bad.
    ctx.adjust.add("cmd_set", 1);
    ctx.reply("CLIENT_ERROR bad data chunk");
    return total;
  }
  ctx.storeOpts.flags = flags;
  ctx.storeOpts.exptime = toI32(exptimeIn);
  ctx.reply(STORE_REPLIES[store(ctx, op, tok.view(1), buf.subarray(data, data + vlen), casIn)]);
  return total;
}

function store(ctx: Context, op: StoreOp, key: Uint8Array, value: Uint8Array, casIn: bigint): StoreResult {
  const e = ctx.engine;
  const o = ctx.storeOpts;
  switch (op) {
    case StoreOp.SET: return e.set(key, value, o);
    case StoreOp.ADD: return e.add(key, value, o);
    case StoreOp.REPLACE: return e.replace(key, value, o);
    case StoreOp.APPEND: return e.append(key, value, o);
    case StoreOp.PREPEND: return e.prepend(key, value, o);
    default: return e.cas(key, value, casIn, o);
  }
}

// memcached refuses the value before reading it: store_too_large, and a set must not leave
// the key's previous value readable. It drops that value without counting a delete.
function refuseTooLarge(ctx: Context, conn: Conn, op: StoreOp, total: number, dataAvail: number): number {
  ctx.reply(TOO_LARGE);
  ctx.adjust.add("store_too_large", 1);
  if (op === StoreOp.SET) ctx.adjust.add(ctx.engine.delete(ctx.tok.view(1)) ? "delete_hits" : "delete_misses", -1);
  return swallow(conn, total, dataAvail);
}

/** Discards a refused data block: what is here now, the rest as it arrives. */
export function swallow(conn: Conn, total: number, dataAvail: number): number {
  if (dataAvail >= total) return total;
  conn.swallow = total - dataAvail;
  return dataAvail;
}
