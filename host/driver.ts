// The runtime-agnostic connection driver: memcached's per-connection state machine, minus the
// parsing (the core does that). It buffers what a socket receives, hands whole chunks to the
// core, writes each chunk's replies with one write, and applies memcached's limits.
//
// Connection lifecycle, memcached's conn states → here:
//   conn_listening        the adapter's listener; accept() gives each socket a table slot
//   conn_new_cmd/waiting  Connection idle: nothing pending, waiting for onData()
//   conn_read/parse_cmd   onData() → run(): copy buffered bytes into the core's input area,
//                         core.process() executes every complete command in them; the socket
//                         is not read while more is buffered than the core can use (READ_AHEAD)
//   conn_nread            the core reports ProcFlag.NEED_MORE with the byte count a storage command's
//                         data block needs; run() is not called again until that many arrived,
//                         so a large value costs one copy, not one re-parse per packet
//   conn_swallow          inside the core (refused values are discarded there)
//   conn_write/mwrite     one transport.write() per process() call; above OUTPUT_HIGH_WATER the
//                         socket stops being read until onDrain() (backpressure)
//   conn_closing          ProcFlag.CLOSE (after the replies are flushed) or ProcFlag.CLOSE_NOW; a client's
//                         EOF closes once every complete command buffered before it is answered
// -R fairness: after reqs_per_event commands the core yields (ProcFlag.YIELD) and the connection is
// resumed from the event loop's next turn, after other sockets had theirs (conn_yields).
// Traps: every call into the engine on a connection's behalf is guarded; trapped() recovers
// the engine and decides what becomes of the connections (host/README.md, "Traps").
import { ProcFlag } from "../assembly/abi/proc_flags.js";
import type { LogEntry } from "./wasm_engine.js";
import type { ProtocolEngine } from "./engine_api.js";
import { Setting } from "../assembly/abi/settings.js";
import { HostStat } from "../assembly/abi/host_stats.js";
import { LogType } from "../assembly/abi/log.js";
import { trapReport } from "./trap_report.js";
import { InputBuffer } from "./input_buffer.js";
import { ConnRegistry, LocalConnRegistry, type ConnState } from "./conn_registry.js";
import { RecoveryPending } from "./threads/recovery.js";
import { WorkerBuffers } from "./worker_buffers.js";

/** What an adapter provides for one accepted socket. */
export interface Transport {
  /** Queues bytes for sending; the driver never reuses a buffer it passed. */
  write(bytes: Uint8Array): void;
  /** Queues a copy of bytes[start, end), which are only valid during the call (optional fast
   * path: the driver passes the core's whole memory, so no view is made per reply). */
  writeCopyOf?(bytes: Uint8Array, start: number, end: number): void;
  /** Bytes queued but not yet handed to the kernel. */
  pendingBytes(): number;
  /** Closes after everything queued is sent. */
  end(): void;
  /** Closes now. */
  destroy(): void;
  pause(): void;
  resume(): void;
  /** memcached's `stats conns` addresses: "tcp:<ip>:<port>" of the peer and of the listener. */
  addr(): string;
  listenAddr(): string;
  /** memcached's transport name in connection events: "tcp", or "local" for a UNIX socket. */
  readonly kind?: "tcp" | "local";
}

/** Why a connection closed, as memcached's conn_close watch events name it. */
export type CloseReason = "error" | "normal" | "idle_timeout" | "shutdown";
/** `shutdown` stops at once (memcached raises SIGINT); `shutdown graceful` saves the cache
 * first when there is a -e file (memcached raises SIGUSR1). */
export type ShutdownMode = "now" | "graceful";

export function shutdownMode(flags: number): ShutdownMode {
  return flags & ProcFlag.GRACEFUL ? "graceful" : "now";
}

export interface DriverOptions {
  maxConns: number;
  idleTimeout: number;
  verbose: number;
  /** Where -vv traces go (stderr). */
  trace?: (line: string) => void;
  /** Called when a client sends `shutdown` (with -A). */
  onShutdown: (mode: ShutdownMode) => void;
  /** Runs a callback after pending I/O (setImmediate where the runtime has it). */
  defer?: (fn: () => void) => void;
  /** Where trap reports go (default: console.error, i.e. stderr). */
  log?: (line: string) => void;
  /** Clients log in (-S, -Y): a login lives in the engine and does not survive a reset. */
  loginRequired?: boolean;
  /** Connection ids and `stats conns` (default: this driver's own, for a server on one thread). */
  registry?: ConnRegistry;
  /** Watchers on other threads (default: none). */
  fanout?: LogFanout;
  /** A connection was taken / let go (worker threads balance their accepts on it). */
  onAccepted?: () => void;
  onReleased?: () => void;
  /** watcher_logbuf_size in bytes: what a watcher may have unsent before its lines are skipped. */
  watcherBufferBytes?: number;
  /** This worker's share of read_buf_mem_limit (default: no limit). */
  buffers?: WorkerBuffers;
  /** refresh_certs (-Z): reloads the certificates; null, or the line saying why not. */
  refreshCerts?: () => string | null;
}

/** Log lines for `watch` connections on other threads (host/threads/shared_host.ts). */
export interface LogFanout {
  /**
   * This thread's watchers want `mask`: `apply` gets what every thread's watchers want together,
   * under the lock that orders these updates (so a later union is never overwritten by an
   * earlier one computed on another thread).
   */
  setWatchMask(mask: number, apply: (all: number) => void): void;
  /** What the watchers of every thread want. */
  watchMask(): number;
  /** A line for the watchers of the other threads. */
  publish(type: number, line: Uint8Array): void;
}

const NO_FANOUT: LogFanout = { setWatchMask: (mask, apply) => apply(mask), watchMask: () => 0, publish: () => {} };

/** Who was being served when the engine threw. */
export interface TrapSource {
  conn?: Connection;
  /** The peer when there is no connection (a datagram's sender). */
  peer?: string;
  input?: Uint8Array;
}

// Unsent replies above this stop reading from that client until its socket drains, so a
// client that never reads cannot grow the server.
export const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;
const encoder = new TextEncoder();
const TOO_MANY = encoder.encode("ERROR Too many open connections\r\n");
// memcached's watcher_logbuf_size default, and the room a line needs beyond its own length
// there (for the "skipped=N" notice that may have to go first).
const DEFAULT_WATCHER_BUFFER = 256 * 1024;
const SKIP_NOTICE_ROOM = 128;
const OK = encoder.encode("OK\r\n");
// The largest chunk a socket read hands over (libuv's 64 KiB).
export const READ_CHUNK_MAX = 64 * 1024;
// Input buffered beyond what the core asked for (a value's or a line's bytes), after which the
// socket is not read until the core has consumed some: a few reads' worth, like memcached,
// which reads only when its 16 KiB buffer has room. Each call copies what is buffered.
const READ_AHEAD = 4 * READ_CHUNK_MAX;

function splitAddr(addr: string): [string, string] {
  const at = addr.lastIndexOf(":");
  return [addr.slice(addr.indexOf(":") + 1, at).replace(/^\[|\]$/g, ""), addr.slice(at + 1)];
}

export class Driver {
  readonly engine: ProtocolEngine;
  private readonly opts: DriverOptions;
  private readonly registry: ConnRegistry;
  private readonly fanout: LogFanout;
  private readonly conns = new Set<Connection>();
  private readonly defer: (fn: () => void) => void;
  private peakConns = 0;
  readonly buffers: WorkerBuffers;
  private responseObjects: number;

  constructor(engine: ProtocolEngine, opts: DriverOptions) {
    this.engine = engine;
    this.opts = opts;
    this.registry = opts.registry ?? new LocalConnRegistry(opts.maxConns);
    this.fanout = opts.fanout ?? NO_FANOUT;
    this.buffers = opts.buffers ?? new WorkerBuffers(0, 1);
    this.responseObjects = this.buffers.responseObjects();
    engine.setResponseLimit(this.responseObjects);
    const g = globalThis as { setImmediate?: (fn: () => void) => void };
    this.defer = opts.defer ?? (g.setImmediate ? (fn) => g.setImmediate!(fn) : (fn) => { setTimeout(fn, 0); });
    engine.onLog = (entries) => this.deliverLog(entries);
    engine.onTrap = (err, where) => this.trapped(err, where);
  }

  // ── traps ─────────────────────────────────────────────────────────────────────────────

  /** Traps recovered from since start-up (each one's stderr line carries the count). */
  traps = 0;

  /**
   * The engine threw while serving `source` (or in a timer). The engine recovers first; then
   * the connection being served is closed without a word: its input is what made the core
   * trap, and the replies of the failed call are not trusted.
   *
   * Every other connection keeps going when the engine's state was proven intact. After a
   * reset their records in the engine are gone, so each is re-opened blank if nothing of it
   * lived only there — it stands between two commands: not in a refused value the engine was
   * discarding, not in the middle of a multi-get or metadump it was writing out, and not
   * logged in (-S, -Y); the bytes of a command not yet complete are still in the driver and
   * are parsed afresh. The others are closed, since carrying their state over would mean
   * trusting broken memory (a login flag) and dropping it would make the engine read the rest
   * of a value as commands or repeat part of a reply. Clients reconnect after a close; a
   * reset already cost them the cache's data.
   *
   * If the engine cannot be recovered (no memory for a fresh instance), recover() throws and
   * so does this: the server cannot serve anything safely.
   */
  trapped(err: unknown, where: string, source: TrapSource = {}): void {
    if (err instanceof RecoveryPending) {
      this.afterOtherThreadsTrap(source.conn);
      return;
    }
    const recovery = this.engine.recover(true);
    this.traps++;
    let closed = 0;
    const culprit = source.conn;
    if (culprit && !culprit.isClosed()) {
      culprit.close(true, "error");
      closed++;
    }
    const after = recovery.outcome === "reset" ? this.reconcile() : { closed: 0, reopened: 0 };
    closed += after.closed;
    const reopened = after.reopened;
    const peer = culprit ? culprit.addr() : source.peer;
    (this.opts.log ?? console.error)(trapReport({
      count: this.traps, where, peer, error: err, input: source.input, recovery, closed, reopened,
    }));
  }

  // After a reset every connection's record in the engine is gone: those between commands
  // are opened blank again, the others closed (host/README.md, "Traps"). `opening` is not
  // open yet: the reset came before it, and it opens on a blank record anyway.
  private reconcile(opening?: Connection): { closed: number; reopened: number } {
    let closed = 0;
    let reopened = 0;
    for (const c of [...this.conns]) {
      if (c === opening) continue;
      if (!this.opts.loginRequired && c.reopen()) {
        reopened++;
        continue;
      }
      c.close(true, "error");
      closed++;
    }
    return { closed, reopened };
  }

  // A call that must happen now: kept out by another thread's recovery, it waits for it and
  // goes in after.
  private whenNoRecovery(call: () => void, opening?: Connection): void {
    for (;;) {
      try {
        call();
        return;
      } catch (err) {
        if (!(err instanceof RecoveryPending)) throw err;
        if (this.engine.recover(false).outcome === "reset") this.reconcile(opening);
      }
    }
  }

  // Another thread trapped: this one's call never entered the core. It waits for the recovery
  // (or takes the outcome of one that finished), reconciles after a reset, and serves the
  // connection that was about to call again.
  private afterOtherThreadsTrap(conn: Connection | undefined): void {
    if (this.engine.recover(false).outcome === "reset") this.reconcile();
    if (conn && !conn.isClosed()) this.schedule(() => conn.retry());
  }

  // ── logging: watchers (memcached's logger) and -vv traces ──────────────────────────

  private readonly watchers = new Set<Connection>();

  addWatcher(c: Connection): void {
    this.watchers.add(c);
    this.updateWatchMask();
  }

  private updateWatchMask(): void {
    this.setStat(HostStat.LOG_WATCHERS, this.watchers.size);
    let mask = 0;
    for (const w of this.watchers) mask |= w.watchMask;
    this.fanout.setWatchMask(mask, (all) => this.engine.setSetting(Setting.WATCH_MASK, all));
  }

  private deliverLog(entries: LogEntry[]): void {
    for (const e of entries) {
      if (e.type === LogType.VERBOSE) {
        this.opts.trace?.(e.text);
        continue;
      }
      this.sendToWatchers(e.type, e.gid, e.text);
    }
  }

  // A watcher line: "ts=<sec>.<usec> gid=<n> <event>" (usec printed as memcached's %d), for
  // this thread's watchers and the other threads'.
  private sendToWatchers(type: number, gid: number, text: string): void {
    const local = this.watchers.size > 0;
    const elsewhere = (this.fanout.watchMask() & type) !== 0;
    if (!local && !elsewhere) return;
    const now = Date.now();
    const line = encoder.encode(`ts=${Math.floor(now / 1000)}.${(now % 1000) * 1000} gid=${gid} ${text}\n`);
    if (local) this.deliverLine(type, line);
    if (elsewhere) this.fanout.publish(type, line);
  }

  /** A watcher line, from this thread or another. */
  deliverLine(type: number, line: Uint8Array): void {
    for (const w of this.watchers) if (w.watchMask & type) w.sendLog(line, this.watcherBuffer);
  }

  private get watcherBuffer(): number { return this.opts.watcherBufferBytes ?? DEFAULT_WATCHER_BUFFER; }

  /** connevents, which only the host sees. */
  connEvent(c: Connection, opened: boolean, reason: CloseReason = "normal"): void {
    if (this.opts.verbose > 1) {
      this.opts.trace?.(opened ? `<${c.fd()} new auto-negotiating client connection` : `<${c.fd()} connection closed.`);
    }
    if (!((this.fanout.watchMask() | this.localWatchMask()) & LogType.CONNEVENTS)) return;
    // memcached names a UNIX socket's peer "unix", port 0.
    const [ip, port] = c.kind === "local" ? ["unix", "0"] : splitAddr(c.addr());
    const where = `rip=${ip} rport=${port} transport=${c.kind}`;
    const text = opened
      ? `type=conn_new ${where} cfd=${c.fd()}`
      : `type=conn_close ${where} reason=${reason} cfd=${c.fd()}`;
    this.sendToWatchers(LogType.CONNEVENTS, this.engine.nextLogGid(), text);
  }

  private localWatchMask(): number {
    let mask = 0;
    for (const w of this.watchers) mask |= w.watchMask;
    return mask;
  }

  /** Log ids stand in for file descriptors: listeners come first. */
  fdBase(): number { return this.listeners.length; }

  /** A new socket: a Connection, or null after refusing it the way memcached does. */
  accept(t: Transport): Connection | null {
    const id = this.registry.take();
    if (id === undefined) {
      this.count(HostStat.REJECTED_CONNECTIONS, 1);
      t.write(TOO_MANY);
      t.end();
      return null;
    }
    const c = new Connection(this, id, t);
    this.conns.add(c);
    this.registry.describe(id, c.addr(), c.listenAddr(), Date.now());
    this.connEvent(c, true);
    this.count(HostStat.TOTAL_CONNECTIONS, 1);
    this.count(HostStat.CURR_CONNECTIONS, 1);
    this.peakConns = Math.max(this.peakConns, this.conns.size);
    this.setStat(HostStat.CONNECTION_STRUCTURES, this.peakConns);
    try {
      this.whenNoRecovery(() => this.engine.connOpen(id), c);
    } catch (err) {
      this.trapped(err, "connOpen", { conn: c });
      return null;
    }
    this.opts.onAccepted?.();
    return c;
  }

  /** Releases a closed connection's slot. */
  release(c: Connection, reason: CloseReason): void {
    if (!this.conns.delete(c)) return;
    try {
      this.whenNoRecovery(() => this.engine.connClose(c.id));
    } catch (err) {
      this.trapped(err, "connClose", { peer: c.addr() });
    }
    this.connEvent(c, false, reason);
    if (this.watchers.delete(c)) this.updateWatchMask();
    this.registry.give(c.id);
    this.count(HostStat.CURR_CONNECTIONS, -1);
    this.opts.onReleased?.();
  }

  count(slot: HostStat, n: number): void {
    this.engine.addHostStat(slot, n);
  }

  setStat(slot: HostStat, v: number): void {
    this.engine.setHostStat(slot, v);
  }

  shutdown(mode: ShutdownMode): void { this.opts.onShutdown(mode); }

  /** Before a process() call: the response objects the worker's buffers leave a connection. */
  updateResponseObjects(): void {
    const n = this.buffers.responseObjects();
    if (n === this.responseObjects) return;
    this.responseObjects = n;
    this.engine.setResponseLimit(n);
  }

  /**
   * Listener addresses ("tcp:<ip>:<port>", "udp:<ip>:<port>", "unix:<path>"), set by the
   * adapters, for `stats conns`.
   */
  listeners: string[] = [];
  private readonly startedMs = Date.now();

  // memcached's `stats conns`: listeners first (a UDP one is a connection waiting to read, and
  // says so), then each client; `asking` is the connection running the command. Lines are
  // keyed by a slot number standing in for the fd.
  renderConns(asking: Connection, nowMs: number): Uint8Array {
    const lines: string[] = [];
    const listening = Math.floor((nowMs - this.startedMs) / 1000);
    this.listeners.forEach((addr, i) => {
      const udp = addr.startsWith("udp");
      if (udp) lines.push(`STAT ${i}:UDP UDP`);
      lines.push(`STAT ${i}:addr ${addr}`, `STAT ${i}:state ${udp ? "conn_read" : "conn_listening"}`,
        `STAT ${i}:secs_since_last_cmd ${listening}`);
    });
    const base = this.fdBase();
    for (const e of this.registry.entries()) {
      const fd = base + e.id;
      lines.push(`STAT ${fd}:addr ${e.addr}`, `STAT ${fd}:listen_addr ${e.listenAddr}`,
        `STAT ${fd}:state ${e.id === asking.id ? "conn_parse_cmd" : e.state}`,
        `STAT ${fd}:secs_since_last_cmd ${Math.floor((nowMs - e.lastActiveMs) / 1000)}`);
    }
    lines.push("END", "");
    return encoder.encode(lines.join("\r\n"));
  }
  schedule(fn: () => void): void { this.defer(fn); }

  /** A read arrived on connection `id`. */
  touched(id: number, nowMs: number): void { this.registry.touch(id, nowMs); }

  /** Where connection `id` stands after a call (`stats conns`). */
  connState(id: number, state: ConnState): void { this.registry.setState(id, state); }

  /** refresh_certs' reply: OK (nothing with noreply) or why not, which memcached sends regardless. */
  refreshCerts(noreply: boolean): Uint8Array | null {
    const problem = this.opts.refreshCerts ? this.opts.refreshCerts() : "Error TLS not enabled";
    if (problem !== null) return encoder.encode(`${problem}\r\n`);
    return noreply ? null : OK;
  }

  /** Closes connections idle longer than -o idle_timeout (memcached's idle kicker). */
  kickIdle(nowMs: number): void {
    const limit = this.opts.idleTimeout * 1000;
    if (!limit) return;
    for (const c of this.conns) {
      if (c.idleSince(nowMs) > limit) {
        this.count(HostStat.IDLE_KICKS, 1);
        c.close(true, "idle_timeout");
      }
    }
  }

  closeAll(): void {
    for (const c of [...this.conns]) c.close(true, "shutdown");
  }
}

export class Connection {
  readonly id: number;
  private readonly d: Driver;
  private readonly t: Transport;
  private readonly input: InputBuffer;
  private need = 0;
  // The core has more output for us without more input (a full reply area, a metadump).
  private again = false;
  private running = false;
  // Output backpressure: more than OUTPUT_HIGH_WATER is waiting to be sent.
  private paused = false;
  // Reading from the socket is stopped: for output backpressure, or because more input is
  // buffered than the next call needs (READ_AHEAD). A client pipelining without end would
  // otherwise grow the server by all it sends while -R makes it wait for its turns.
  private readStopped = false;
  // A -R yield is waiting for its turn: input that arrives meanwhile must wait for it too.
  private yielding = false;
  // The client has half-closed: memcached still answers what it had read, then closes.
  private eof = false;
  // It holds one of the worker's read buffers: it has input not yet processed (memcached's
  // rbuf, taken before a read and given back once the input is used up).
  private readBuffer = false;
  // The engine is discarding a refused data block for us (ProcFlag.SWALLOW): its count lives there.
  private swallowing = false;
  // Replies held back while the core swallows a refused data block (ProcFlag.SWALLOW).
  private held: Uint8Array[] = [];
  private heldLen = 0;
  private closed = false;
  private lastActive = Date.now();

  // Taken at accept: a closed socket no longer knows its peer, and reports name it after a close.
  private readonly peer: string;

  constructor(d: Driver, id: number, t: Transport) {
    this.d = d;
    this.id = id;
    this.t = t;
    this.peer = t.addr();
    // The engine asks for at most its input area's worth, and a read adds one more chunk.
    this.input = new InputBuffer(d.engine.inSize + READ_CHUNK_MAX);
  }

  /** `length` bytes of `chunk` arrived; they are valid only during the call. */
  onData(chunk: Uint8Array, length = chunk.length): void {
    if (this.closed || this.watchMask) return; // a watcher's input is ignored, as memcached's
    this.lastActive = Date.now();
    this.d.touched(this.id, this.lastActive);
    if (!this.readBuffer) {
      if (!this.d.buffers.takeReadBuffer()) {
        this.d.count(HostStat.READ_BUF_OOM, 1);
        this.close(true, "error");
        return;
      }
      this.readBuffer = true;
    }
    this.d.count(HostStat.BYTES_READ, length);
    this.input.append(chunk, length);
    if (this.input.length >= this.need) this.run();
    this.input.keep();
    this.updateReading();
  }

  onDrain(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.run();
  }

  private updateReading(): void {
    const stop = this.paused || this.input.length >= Math.max(this.need, READ_AHEAD);
    if (stop === this.readStopped || this.closed) return;
    this.readStopped = stop;
    if (stop) this.t.pause();
    else this.t.resume();
  }

  /** The client sent EOF (its write side is closed; ours stays open until we are done). */
  onEnd(): void {
    if (this.closed) return;
    this.eof = true;
    this.run();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.returnReadBuffer();
    this.input.clear();
    this.d.release(this, "normal");
  }

  isClosed(): boolean { return this.closed; }

  /**
   * After the engine was reset: a blank record in the fresh engine, if nothing of this
   * connection lived only in the old one (Driver.trapped). False: it must be closed.
   */
  reopen(): boolean {
    if (this.closed || this.swallowing || this.again) return false;
    this.d.engine.connOpen(this.id);
    this.need = 0;
    return true;
  }

  idleSince(nowMs: number): number { return nowMs - this.lastActive; }

  /** Serves what is buffered again (its last call was kept out by a recovery). */
  retry(): void { this.run(); }
  addr(): string { return this.peer; }
  get kind(): "tcp" | "local" { return this.t.kind ?? "tcp"; }

  /** memcached's state name for a connection not running a command. */
  state(): ConnState {
    if (this.swallowing) return "conn_swallow";
    return this.need > 0 ? "conn_nread" : "conn_read";
  }

  // What `stats conns` shows for it, from any thread.
  private shownState: ConnState = "conn_read";
  private showState(): void {
    const s = this.state();
    if (s === this.shownState || this.closed) return;
    this.shownState = s;
    this.d.connState(this.id, s);
  }
  fd(): number { return this.d.fdBase() + this.id; }

  /** Event types this connection watches (0: not a watcher). */
  watchMask = 0;

  // Lines skipped since the last one sent (memcached's per-watcher count).
  private skipped = 0;

  // memcached's watcher buffer: a line goes out only while what is unsent leaves room for it
  // and a "skipped=N" notice; otherwise it is skipped and counted, and the notice goes out
  // ahead of the next line that fits, so a watcher that stops reading loses lines, not memory.
  sendLog(line: Uint8Array, bufferBytes: number): void {
    if (this.closed) return;
    if (this.t.pendingBytes() + line.length + SKIP_NOTICE_ROOM > bufferBytes) {
      this.skipped++;
      this.d.count(HostStat.LOG_WATCHER_SKIPPED, 1);
      return;
    }
    if (this.skipped > 0) {
      this.t.write(encoder.encode(`skipped=${this.skipped}\n`));
      this.skipped = 0;
    }
    this.t.write(line);
    this.d.count(HostStat.LOG_WATCHER_SENT, 1);
  }
  listenAddr(): string { return this.t.listenAddr(); }

  close(now: boolean, reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.returnReadBuffer();
    if (now) this.t.destroy();
    else this.t.end();
    this.d.release(this, reason);
  }

  // Feeds pending bytes to the core until it has consumed what it can.
  private run(): void {
    if (this.running || this.closed || this.yielding) return;
    this.running = true;
    try {
      while ((this.input.length > 0 || this.again) && !this.closed && !this.paused && !this.yielding) {
        if (!this.step()) break;
      }
    } catch (err) {
      this.d.trapped(err, "process", { conn: this, input: this.input.peek().slice() });
    } finally {
      this.running = false;
    }
    if (this.input.length === 0) this.returnReadBuffer();
    this.showState();
    this.updateReading();
    // After EOF nothing more can arrive: whatever is left is an incomplete command.
    if (this.eof && !this.closed && !this.paused && !this.yielding) this.close(false, "normal");
  }

  // One process() call. Returns true when calling again right away can make progress.
  private step(): boolean {
    const e = this.d.engine;
    const len = this.fillInput(e);
    this.d.updateResponseObjects();
    const consumed = e.process(this.id, len);
    const flags = e.procFlags();
    this.again = (flags & ProcFlag.AGAIN) !== 0;
    this.swallowing = (flags & ProcFlag.SWALLOW) !== 0;
    // A new watcher is listening before its OK goes out, as in memcached: a client that sends
    // commands once it has seen the OK gets every line, whatever thread serves it. Lines this
    // call logged before the watch are not its own (memcached starts a watcher at the next gid).
    const watching = (flags & ProcFlag.WATCH) !== 0;
    if (watching) {
      e.drainLog();
      this.watchMask = e.procWatchMask();
      this.d.addWatcher(this);
    }
    // memcached's conn_closing frees the replies still queued: a close-now (HTTP guard,
    // over-long line, shutdown) sends nothing from this batch.
    if (!(flags & ProcFlag.CLOSE_NOW)) this.flushOutput(e, (flags & ProcFlag.SWALLOW) !== 0);
    this.input.drop(consumed);
    if (flags & ProcFlag.STATS_CONNS) this.t.write(this.d.renderConns(this, Date.now()));
    if (flags & ProcFlag.REFRESH_CERTS) this.refreshCerts(e.procNeed() !== 0);
    e.drainLog();
    if (watching) {
      this.input.clear();
      return false;
    }
    if (flags & ProcFlag.SHUTDOWN) this.d.shutdown(shutdownMode(flags));
    if (flags & ProcFlag.CLOSE_NOW) {
      this.close(true, "error");
      return false;
    }
    if (flags & ProcFlag.CLOSE) {
      this.close(false, "normal");
      return false;
    }
    if (this.t.pendingBytes() > OUTPUT_HIGH_WATER) {
      this.paused = true;
      return false;
    }
    if (flags & ProcFlag.NEED_MORE) {
      this.need = e.procNeed();
      return false;
    }
    this.need = 0;
    if (flags & ProcFlag.YIELD) {
      this.d.count(HostStat.CONN_YIELDS, 1);
      this.yielding = true;
      this.d.schedule(() => {
        this.yielding = false;
        this.run();
      });
      return false;
    }
    return (flags & ProcFlag.AGAIN) !== 0 || consumed > 0;
  }

  private returnReadBuffer(): void {
    if (!this.readBuffer) return;
    this.readBuffer = false;
    this.d.buffers.returnReadBuffer();
  }

  // Copies up to the input area's size of the buffered bytes into it.
  private fillInput(e: ProtocolEngine): number {
    return this.input.copyTo(e.memory(), e.inAddr, e.inSize);
  }

  private flushOutput(e: ProtocolEngine, hold: boolean): void {
    const n = e.outLength();
    if (n === 0 && (hold || this.held.length === 0)) return;
    const memory = e.memory();
    if (hold) {
      this.held.push(memory.slice(e.outAddr, e.outAddr + n));
      this.heldLen += n;
      // A client that keeps starting values the core refuses, never finishing one, would make
      // held replies grow without bound: beyond the high water they go out, in order, where
      // backpressure applies. Only the timing differs from memcached, which sends none yet.
      if (this.heldLen > OUTPUT_HIGH_WATER) this.releaseHeld();
      return;
    }
    this.releaseHeld();
    if (n === 0) return;
    this.d.count(HostStat.BYTES_WRITTEN, n);
    // The reply area is reused by the next call: the adapter copies, with its cheapest copy.
    if (this.t.writeCopyOf) this.t.writeCopyOf(memory, e.outAddr, e.outAddr + n);
    else this.t.write(memory.slice(e.outAddr, e.outAddr + n));
  }

  private refreshCerts(noreply: boolean): void {
    const reply = this.d.refreshCerts(noreply);
    if (reply) this.write(reply);
  }

  private releaseHeld(): void {
    if (this.held.length === 0) return;
    for (const h of this.held) this.write(h);
    this.held = [];
    this.heldLen = 0;
  }

  private write(bytes: Uint8Array): void {
    this.d.count(HostStat.BYTES_WRITTEN, bytes.length);
    this.t.write(bytes);
  }
}
