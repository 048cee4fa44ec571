// get / gets / gat / gats / bget in the JS twin (memcached's process_get_command; the core's
// execGet in assembly/protocols/text.ts). Keys past the tokenizer's first 23 words are tokenized
// batch by batch. When the output area cannot take one more value of the largest size, the
// line is left unconsumed with the offset of the next key saved (ProcFlag.AGAIN): the driver sends
// what is there and calls again.
import { ProcFlag } from "../../assembly/abi/proc_flags.js";
import { KEY_MAX_LENGTH, type Item } from "../wasm_engine.js";
import { Context, Conn, EXEC_STOP } from "./context.js";
import { NO_REST } from "./tokens.js";
import { toI32 } from "./numbers.js";

// "VALUE <key> <flags> <bytes> <cas>\r\n" at its longest, and "END\r\n".
const VALUE_LINE_MAX = 6 + KEY_MAX_LENGTH + 1 + 10 + 1 + 10 + 1 + 20 + 2;
const END_LEN = 5;

export function execGet(ctx: Context, conn: Conn, ntokens: number, withCas: boolean, touch: boolean, line: number, lineEnd: number): number {
  const tok = ctx.tok;
  let exptime = 0;
  let k = 1;
  if (touch) {
    const v = tok.strtol(1);
    if (v === null) {
      ctx.reply("CLIENT_ERROR invalid exptime argument");
      return 0;
    }
    exptime = toI32(v);
    k = 2;
  }
  const resume = conn.resume;
  const worst = ctx.opts.itemSizeMax + VALUE_LINE_MAX + END_LEN;
  const out = ctx.out;
  let n = ntokens;
  for (;;) {
    for (; k < n - 1; k++) {
      const key = tok.at[k];
      if (resume && key - line < resume) continue;
      const nkey = tok.len[k];
      if (nkey > KEY_MAX_LENGTH) {
        // memcached drops every reply it has not sent yet, then reports the bad key.
        out.truncate(out.sent);
        conn.resume = 0;
        out.line("CLIENT_ERROR bad command line format");
        return 0;
      }
      if (out.free() < worst) {
        conn.resume = key - line;
        ctx.procFlag(ProcFlag.AGAIN);
        return EXEC_STOP;
      }
      const view = tok.view(k);
      const it = touch ? ctx.engine.gat(view, exptime) : ctx.engine.get(view);
      if (it === undefined) continue;
      writeValue(ctx, key, nkey, it, withCas);
      if (ctx.tracing()) ctx.traceBytes(`>${ctx.fd()} sending key `, key, key + nkey);
    }
    const rest = tok.at[n - 1];
    if (rest === NO_REST) break;
    n = tok.tokenize(rest, lineEnd);
    k = 0;
  }
  conn.resume = 0;
  if (ctx.tracing()) ctx.trace(`>${ctx.fd()} END`);
  out.line("END");
  out.markSent();
  return 0;
}

function writeValue(ctx: Context, key: number, nkey: number, it: Item, withCas: boolean): void {
  const out = ctx.out;
  out.ascii("VALUE ");
  out.copyFrom(key, key + nkey);
  out.ascii(" ");
  out.u64(it.flags);
  out.ascii(" ");
  out.u64(it.value.length);
  if (withCas) {
    out.ascii(" ");
    out.u64(it.cas);
  }
  out.crlf();
  out.bytes(it.value);
  out.crlf();
}
