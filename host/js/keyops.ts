// delete / incr / decr / touch in the JS twin (memcached's process_delete_command,
// process_arithmetic_command and process_touch_command; the core's assembly/protocols/text.ts).
import { KEY_MAX_LENGTH } from "../wasm_engine.js";
import type { Context } from "./context.js";
import { toI32, toU64 } from "./numbers.js";

export function execDelete(ctx: Context, ntokens: number): number {
  const tok = ctx.tok;
  if (ntokens < 3 || ntokens > 5) return ctx.error();
  if (ntokens > 3) {
    // The legacy hold time: only `0` is still accepted, with or without noreply.
    const holdIsZero = tok.is(2, "0");
    const setsNoreply = ctx.setNoreplyMaybe(ntokens);
    const valid = (ntokens === 4 && (holdIsZero || setsNoreply)) || (ntokens === 5 && holdIsZero && setsNoreply);
    if (!valid) {
      ctx.reply("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
      return 0;
    }
  }
  if (tok.len[1] > KEY_MAX_LENGTH) return ctx.clientError();
  ctx.reply(ctx.engine.delete(tok.view(1)) ? "DELETED" : "NOT_FOUND");
  return 0;
}

export function execArith(ctx: Context, ntokens: number, incr: boolean): number {
  const tok = ctx.tok;
  if (ntokens !== 4 && ntokens !== 5) return ctx.error();
  ctx.setNoreplyMaybe(ntokens);
  if (tok.len[1] > KEY_MAX_LENGTH) return ctx.clientError();
  const parsed = tok.strtoul(2);
  if (parsed === null) {
    ctx.reply("CLIENT_ERROR invalid numeric delta argument");
    return 0;
  }
  const delta = typeof parsed === "number" ? parsed : toU64(parsed);
  const key = tok.view(1);
  const r = incr ? ctx.engine.incr(key, delta) : ctx.engine.decr(key, delta);
  if (typeof r === "bigint") {
    // The new value is written as it is, not through reply(): the core traces no number.
    if (!ctx.noreply) {
      ctx.out.u64(r);
      ctx.out.crlf();
    }
    return 0;
  }
  if (r === "NON_NUMERIC") ctx.reply("CLIENT_ERROR cannot increment or decrement non-numeric value");
  else if (r === "NO_MEMORY") ctx.reply("SERVER_ERROR out of memory");
  else ctx.reply("NOT_FOUND"); // a text incr carries no CAS, so EXISTS cannot happen here
  return 0;
}

export function execTouch(ctx: Context, ntokens: number): number {
  const tok = ctx.tok;
  if (ntokens !== 4 && ntokens !== 5) return ctx.error();
  ctx.setNoreplyMaybe(ntokens);
  if (tok.len[1] > KEY_MAX_LENGTH) return ctx.clientError();
  const exptime = tok.strtol(2);
  if (exptime === null) {
    ctx.reply("CLIENT_ERROR invalid exptime argument");
    return 0;
  }
  ctx.reply(ctx.engine.touch(tok.view(1), toI32(exptime)) ? "TOUCHED" : "NOT_FOUND");
  return 0;
}
