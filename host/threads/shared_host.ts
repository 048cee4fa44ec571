// What the hosts of a threaded server share besides the core's memory: connection ids and
// what `stats conns` lists (so -c counts every connection and any thread lists them all),
// each thread's watch mask, each worker's connection count (accept balancing), and the words
// recovery after a trap runs on (host/threads/recovery.ts). One SharedArrayBuffer, passed to
// every thread at start-up.
//
//   Int32 words:
//      0  EPOCH          recoveries finished so far
//      1  RESETS         recoveries so far that reset the cache
//      2  MASK_LOCK      spin lock around the watch masks
//      3  HINT           where the next free-id search starts
//      4  STOP           1 once the server stops (the background thread sleeps on it)
//      5  PAUSE          a word nobody notifies: a timed sleep
//     16  INSIDE[T]      nonzero while thread t is inside the core (a new value each call)
//     16+T  MASK[T]      the LogType bits thread t's watchers want
//     16+2T CONNS[T]     connections thread t serves
//     16+3T SLOT[maxConns]  connection id → 0 free, else the serving thread + 1
//   then per connection id, 8-aligned: lastActive f64, addr[64], listenAddr[64] (length byte
//   first), state u8 (an index into CONN_STATES), padded to 8: for `stats conns`.
import { BroadcastChannel } from "node:worker_threads";
import { CONN_STATES, type ConnEntry, type ConnRegistry, type ConnState } from "../conn_registry.js";
import type { LogFanout } from "../driver.js";

export enum Word { EPOCH = 0, RESETS = 1, MASK_LOCK = 2, HINT = 3, STOP = 4, PAUSE = 5 }
const PER_THREAD = 16;
export const CONTROL_THREAD = 0;
export const FIRST_WORKER = 1;

/** The core's thread blocks for -t N: one alone, else the control thread, N workers and the
 * background thread. */
export function threadBlocksFor(threads: number): number {
  return threads > 1 ? threads + 2 : 1;
}
const ADDR_FIELD = 64;
const STATE_AT = 8 + 2 * ADDR_FIELD;
const ENTRY_BYTES = STATE_AT + 8;

export interface SharedHostInit {
  sab: SharedArrayBuffer;
  threads: number;
  maxConns: number;
  /** The BroadcastChannel name log lines travel on (one per server). */
  channel: string;
}

// What travels between threads on the channel: a watcher line, or news of refresh_certs.
type Broadcast = { type: number; line: Uint8Array } | { refreshCerts: true };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createSharedHost(threads: number, maxConns: number, channel: string): SharedHostInit {
  const words = PER_THREAD + 3 * threads + maxConns;
  const entriesAt = Math.ceil((words * 4) / 8) * 8;
  const sab = new SharedArrayBuffer(entriesAt + maxConns * ENTRY_BYTES);
  return { sab, threads, maxConns, channel };
}

/** One thread's view: thread `me` of `threads`. */
export class SharedHost implements ConnRegistry, LogFanout {
  readonly i32: Int32Array;
  private readonly u8: Uint8Array;
  private readonly f64: Float64Array;
  private readonly threads: number;
  private readonly maxConns: number;
  private readonly slots: number;
  private readonly entriesAt: number;
  private channel: BroadcastChannel | undefined;

  constructor(private readonly init: SharedHostInit, readonly me: number) {
    this.i32 = new Int32Array(init.sab);
    this.u8 = new Uint8Array(init.sab);
    this.f64 = new Float64Array(init.sab);
    this.threads = init.threads;
    this.maxConns = init.maxConns;
    this.slots = PER_THREAD + 3 * init.threads;
    this.entriesAt = Math.ceil(((this.slots + init.maxConns) * 4) / 8) * 8;
  }

  get threadCount(): number { return this.threads; }
  insideIndex(t: number): number { return PER_THREAD + t; }
  private maskIndex(t: number): number { return PER_THREAD + this.threads + t; }
  private connsIndex(t: number): number { return PER_THREAD + 2 * this.threads + t; }

  // ── connection ids and `stats conns` ─────────────────────────────────────────────────

  take(): number | undefined {
    const start = Atomics.add(this.i32, Word.HINT, 1) % this.maxConns;
    for (let k = 0; k < this.maxConns; k++) {
      const id = (start + k) % this.maxConns;
      if (Atomics.compareExchange(this.i32, this.slots + id, 0, this.me + 1) === 0) return id;
    }
    return undefined;
  }

  give(id: number): void { Atomics.store(this.i32, this.slots + id, 0); }

  describe(id: number, addr: string, listenAddr: string, nowMs: number): void {
    const at = this.entriesAt + id * ENTRY_BYTES;
    this.f64[at / 8] = nowMs;
    this.writeField(at + 8, addr);
    this.writeField(at + 8 + ADDR_FIELD, listenAddr);
    this.u8[at + STATE_AT] = 0;
  }

  setState(id: number, state: ConnState): void {
    this.u8[this.entriesAt + id * ENTRY_BYTES + STATE_AT] = CONN_STATES.indexOf(state);
  }

  touch(id: number, nowMs: number): void { this.f64[(this.entriesAt + id * ENTRY_BYTES) / 8] = nowMs; }

  entries(): ConnEntry[] {
    const out: ConnEntry[] = [];
    for (let id = 0; id < this.maxConns; id++) {
      if (Atomics.load(this.i32, this.slots + id) === 0) continue;
      const at = this.entriesAt + id * ENTRY_BYTES;
      out.push({
        id, lastActiveMs: this.f64[at / 8], addr: this.readField(at + 8), listenAddr: this.readField(at + 8 + ADDR_FIELD),
        state: CONN_STATES[this.u8[at + STATE_AT]] ?? CONN_STATES[0],
      });
    }
    return out;
  }

  private writeField(at: number, text: string): void {
    const { written } = encoder.encodeInto(text, this.u8.subarray(at + 1, at + ADDR_FIELD));
    this.u8[at] = written;
  }

  private readField(at: number): string {
    return decoder.decode(this.u8.slice(at + 1, at + 1 + this.u8[at]));
  }

  // ── accept balancing ─────────────────────────────────────────────────────────────────

  /** This worker took a connection. */
  accepted(): void { Atomics.add(this.i32, this.connsIndex(this.me), 1); }

  /** Whether this worker serves more than one connection above the least busy worker. */
  ahead(): boolean {
    const mine = Atomics.load(this.i32, this.connsIndex(this.me));
    for (let t = 0; t < this.threads; t++) {
      if (t !== this.me && this.isWorker(t) && Atomics.load(this.i32, this.connsIndex(t)) < mine - 1) return true;
    }
    return false;
  }

  closed(): void { Atomics.sub(this.i32, this.connsIndex(this.me), 1); }

  connectionsOf(t: number): number { return Atomics.load(this.i32, this.connsIndex(t)); }

  // Thread blocks: 0 the control thread, 1..N the workers, N + 1 the background thread.
  private isWorker(t: number): boolean { return t >= FIRST_WORKER && t < this.threads - 1; }

  /** Blocks this thread for `ms` (a plain timed sleep). */
  pause(ms: number): void { Atomics.wait(this.i32, Word.PAUSE, 0, ms); }

  // ── watchers on other threads ────────────────────────────────────────────────────────

  setWatchMask(mask: number, apply: (all: number) => void): void {
    while (Atomics.compareExchange(this.i32, Word.MASK_LOCK, 0, 1) !== 0);
    try {
      Atomics.store(this.i32, this.maskIndex(this.me), mask);
      let all = 0;
      for (let t = 0; t < this.threads; t++) all |= Atomics.load(this.i32, this.maskIndex(t));
      apply(all);
    } finally {
      Atomics.store(this.i32, Word.MASK_LOCK, 0);
    }
  }

  watchMask(): number {
    let others = 0;
    for (let t = 0; t < this.threads; t++) if (t !== this.me) others |= Atomics.load(this.i32, this.maskIndex(t));
    return others;
  }

  publish(type: number, line: Uint8Array): void {
    this.channel ??= new BroadcastChannel(this.init.channel);
    this.channel.postMessage({ type, line } satisfies Broadcast);
  }

  /** refresh_certs succeeded on this thread: every other one reloads its certificates too. */
  certsRefreshed(): void {
    this.channel ??= new BroadcastChannel(this.init.channel);
    this.channel.postMessage({ refreshCerts: true } satisfies Broadcast);
  }

  /** Lines other threads publish, for this thread's watchers; their refresh_certs. */
  subscribe(deliver: (type: number, line: Uint8Array) => void, reloadCerts: () => void): void {
    this.channel ??= new BroadcastChannel(this.init.channel);
    this.channel.onmessage = (e) => {
      const m = (e as { data: Broadcast }).data;
      if ("refreshCerts" in m) reloadCerts();
      else deliver(m.type, m.line);
    };
  }

  /** The channel must be closed for the thread's event loop to end. */
  close(): void { this.channel?.close(); }

  // ── stopping ─────────────────────────────────────────────────────────────────────────

  stop(): void {
    Atomics.store(this.i32, Word.STOP, 1);
    Atomics.notify(this.i32, Word.STOP);
  }

  stopping(): boolean { return Atomics.load(this.i32, Word.STOP) !== 0; }

  /** Sleeps up to `ms`, or until the server stops. */
  sleep(ms: number): void { Atomics.wait(this.i32, Word.STOP, 0, ms); }
}
