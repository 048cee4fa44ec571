// The JS twin's protocol engine: memcached's text protocol parsed in JavaScript over any
// CacheEngine, behind the same ProtocolEngine face the connection driver feeds the WASM core
// through (host/driver.ts). It owns one buffer holding an input and an output area, as the
// core's linear memory does, with the core's sizes, so framing, -R yields, the partial-line
// rules and ProcFlag.AGAIN fall at the same bytes.
//
// Fairness: the twin tokenizes and parses every command in JS, over the driver's bytes, and
// calls the storage engine per key; the WASM core parses inside WebAssembly. A server
// benchmark of `--engine js` against `--engine wasm` therefore compares two whole stacks
// (parser and storage), not two storage engines behind one parser.
import { ProcFlag } from "../../assembly/abi/proc_flags.js";
import type { CacheEngine, ProtocolEngine, Recovery } from "../engine_api.js";
import { type LogEntry } from "../wasm_engine.js";
import { ServerOptions, defaultServerOptions, coreSettings } from "../options.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { Setting } from "../../assembly/abi/settings.js";
import { Context, Conn } from "./context.js";
import { Output } from "./output.js";
import { processText } from "./framing.js";
import { inputAreaSize, outputAreaSize } from "../../assembly/abi/limits.js";
import type { HostState } from "./stats_text.js";

const HOST_VERSION_MAX = 63;

/** A storage engine the twin can ask to prove itself whole after a throw. */
export type CheckedEngine = CacheEngine & { checkInvariants(): void };

export class JsTextProtocol implements ProtocolEngine {
  readonly inAddr = 0;
  readonly inSize: number;
  readonly outAddr: number;
  onLog: ((entries: LogEntry[]) => void) | undefined;
  // JsEngine's timers are plain JS: a throw there is an uncaught exception, not a trap, so
  // nothing of the twin reports here; the driver sets it as it does for the core.
  onTrap: ((err: unknown, where: string) => void) | undefined;
  private readonly storage: CheckedEngine;
  private readonly mem: Uint8Array;
  private readonly ctx: Context;
  private readonly conns: (Conn | undefined)[] = [];
  private readonly host: HostState = { stats: new Float64Array(HostStat.COUNT), version: "" };
  private logGid = 0;

  constructor(engine: CheckedEngine, options: Partial<ServerOptions> = {}) {
    this.storage = engine;
    const opts: ServerOptions = { ...defaultServerOptions(), ...options };
    this.inSize = inputAreaSize(opts.itemSizeMax);
    const outSize = outputAreaSize(opts.itemSizeMax);
    this.outAddr = this.inSize;
    this.mem = new Uint8Array(this.inSize + outSize);
    const out = new Output(this.mem, this.outAddr, outSize);
    this.ctx = new Context(this.mem, out, engine, opts, coreSettings(opts));
  }

  memory(): Uint8Array { return this.mem; }

  /**
   * After the twin threw (a bug in it): the connection's state goes with it; the storage is kept
   * if its map, list and byte count still agree. The twin has no second instance to fall back
   * on, so a broken storage throws and the server exits rather than serve from it.
   */
  recover(): Recovery {
    const started = performance.now();
    this.storage.checkInvariants();
    return { outcome: "intact", ms: performance.now() - started };
  }

  connOpen(id: number): boolean {
    if (id >= this.ctx.setting(Setting.MAX_CONNS)) return false;
    this.conns[id] = { negotiated: false, swallow: 0, resume: 0, yielded: false, served: 0 };
    return true;
  }

  connClose(id: number): void {
    this.conns[id] = undefined;
  }

  process(id: number, len: number): number {
    const ctx = this.ctx;
    ctx.flags = 0;
    ctx.need = 0;
    ctx.out.reset();
    const conn = this.conns[id];
    if (conn === undefined || len === 0) return 0;
    ctx.connId = id;
    if (!conn.negotiated) {
      // Every connection speaks text here, whatever its first byte: the twin has no binary protocol.
      conn.negotiated = true;
      if (ctx.tracing()) ctx.trace(`${ctx.fd()}: Client using the ascii protocol`);
    }
    const consumed = processText(ctx, conn, this.host, this.inAddr, len, this.inSize);
    // Input used up, or a data block still to come: the next read is a new turn. A call that
    // stopped with input left (-R, a full output area) is resumed within the same turn. Input
    // used up at the end of the budget still yields, as endTurnDry (assembly/session/gate.ts) explains.
    const dry = consumed === len && !(ctx.flags & (ProcFlag.NEED_MORE | ProcFlag.YIELD | ProcFlag.CLOSE | ProcFlag.CLOSE_NOW));
    if (dry && this.budgetSpent(conn)) {
      conn.served = 0;
      conn.yielded = true;
      ctx.procFlag(ProcFlag.YIELD);
    } else if (consumed === len || (ctx.flags & ProcFlag.NEED_MORE)) {
      conn.served = 0;
      conn.yielded = false;
    }
    return consumed;
  }

  private budgetSpent(conn: Conn): boolean {
    const budget = this.ctx.settings[Setting.REQS_PER_EVENT] + (conn.yielded ? 0 : 1);
    return conn.served >= budget || (conn.served + 1 === budget && this.ctx.out.length > this.ctx.out.sent);
  }

  procFlags(): number { return this.ctx.flags; }
  procNeed(): number { return this.ctx.need; }
  // The twin serves no `watch` (host/README.md): no call ever asks for a watcher.
  procWatchMask(): number { return 0; }
  // The twin counts no response objects (README.md, "The pure-JS twin").
  setResponseLimit(): void {}
  outLength(): number { return this.ctx.out.length; }

  drainLog(): void {
    const entries = this.ctx.log;
    if (entries.length === 0) return;
    this.ctx.log = [];
    this.onLog?.(entries);
  }

  nextLogGid(): number { return ++this.logGid; }

  setSetting(slot: number, v: number): void { this.ctx.settings[slot] = v; }
  setHostStat(slot: number, value: number): void { this.host.stats[slot] = value; }
  addHostStat(slot: number, n: number): void { this.host.stats[slot] += n; }
  setHostVersion(text: string): void { this.host.version = text.slice(0, HOST_VERSION_MAX); }
}
