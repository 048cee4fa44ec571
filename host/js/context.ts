// What every text command of the JS twin works with: the current line's tokens, the reply
// writer, the storage engine, the settings, the connection being served and the flags that
// tell the driver what to do next (the core keeps the same in its SCRATCH and GLOBALS blocks).
import type { CacheEngine } from "../engine_api.js";
import type { LogEntry, StoreOptions } from "../wasm_engine.js";
import { LogType } from "../../assembly/abi/log.js";
import type { ServerOptions } from "../options.js";
import { Setting } from "../../assembly/abi/settings.js";
import { Tokens } from "./tokens.js";
import { Output } from "./output.js";
import { StatAdjustments } from "./stat_adjustments.js";

/** What a command returns instead of the data bytes it consumed after its line. */
export const EXEC_NEED_MORE = -1;
/** Stop processing this call (close, shutdown, output full). */
export const EXEC_STOP = -2;
/** The line is done, but the driver acts before the next one (`stats conns`). */
export const EXEC_STOP_AFTER = -3;

/** Per connection, what must survive from one process() call to the next. */
export interface Conn {
  /** The first byte has arrived (-vv announces the protocol then). */
  negotiated: boolean;
  /** Data bytes of a refused storage command still to discard (memcached's conn_swallow). */
  swallow: number;
  /** Offset into the current get line at which to continue after the output area filled. */
  resume: number;
  /** The turn began after a -R yield (no extra first command). */
  yielded: boolean;
  /** Commands served this turn (memcached's nreqs); a turn ends when the input runs dry or -R yields. */
  served: number;
}

// -vv traces commands and replies; memcached cuts a log entry at this many bytes.
const VERBOSE_TRACE = 2;
const LOG_ENTRY_MAX = 1024;
const decoder = new TextDecoder();

export class Context {
  readonly buf: Uint8Array;
  readonly tok: Tokens;
  readonly out: Output;
  readonly engine: CacheEngine;
  readonly opts: ServerOptions;
  /** Setting slots (assembly/abi/settings.ts), as the core keeps them: some change at run time. */
  readonly settings: Float64Array;
  readonly adjust = new StatAdjustments();
  /** Reused for every store: the engine reads it during the call and keeps nothing. */
  readonly storeOpts: Required<StoreOptions> = { flags: 0, exptime: 0 };
  /** The driver's PF_* bits for this call, and ProcFlag.NEED_MORE's byte count. */
  flags = 0;
  need = 0;
  noreply = false;
  connId = 0;
  log: LogEntry[] = [];
  /** flush_all's deadline as `stats settings` shows it (memcached's settings.oldest_live). */
  oldestLive = 0;

  constructor(buf: Uint8Array, out: Output, engine: CacheEngine, opts: ServerOptions, settings: Float64Array) {
    this.buf = buf;
    this.tok = new Tokens(buf);
    this.out = out;
    this.engine = engine;
    this.opts = opts;
    this.settings = settings;
  }

  setting(s: Setting): number { return this.settings[s]; }

  procFlag(f: number): void { this.flags |= f; }

  reply(s: string): void {
    if (this.tracing()) this.trace(`>${this.fd()}${this.noreply ? " NOREPLY " : " "}${s}`);
    if (!this.noreply) this.out.line(s);
  }

  error(): number {
    this.reply("ERROR");
    return 0;
  }

  clientError(): number {
    this.reply("CLIENT_ERROR bad command line format");
    return 0;
  }

  /** memcached's set_noreply_maybe: only an exact `noreply` as the last word counts. */
  setNoreplyMaybe(ntokens: number): boolean {
    if (this.tok.is(ntokens - 2, "noreply")) this.noreply = true;
    return this.noreply;
  }

  // ── -vv traces (memcached prints them on stderr; the driver does, from the log) ──────

  tracing(): boolean { return this.settings[Setting.VERBOSE] >= VERBOSE_TRACE; }

  /** Where memcached prints a file descriptor: the driver numbers connections after its listeners. */
  fd(): number { return this.connId + this.settings[Setting.CONN_FD_BASE]; }

  trace(text: string): void {
    this.log.push({ type: LogType.VERBOSE, gid: 0, text: text.length > LOG_ENTRY_MAX ? text.slice(0, LOG_ENTRY_MAX) : text });
  }

  /** A trace of `prefix` followed by bytes of the buffer (a command line, a key). */
  traceBytes(prefix: string, start: number, end: number): void {
    const room = Math.max(0, LOG_ENTRY_MAX - prefix.length);
    this.trace(prefix + decoder.decode(this.buf.subarray(start, Math.min(end, start + room))));
  }
}
