// Which connection ids are taken, and what `stats conns` lists: every connection of the
// server, whichever thread serves it. On one thread that is the driver's own; with worker
// threads the table lives in shared memory (host/threads/shared_host.ts), so -c counts every
// connection and any thread can list them all.

/** The states `stats conns` shows for a connection between calls (memcached's names). */
export const CONN_STATES = ["conn_read", "conn_nread", "conn_swallow"] as const;
export type ConnState = typeof CONN_STATES[number];

/** One line group of `stats conns`. */
export interface ConnEntry {
  id: number;
  addr: string;
  listenAddr: string;
  /** Date.now() of the connection's last activity. */
  lastActiveMs: number;
  state: ConnState;
}

export interface ConnRegistry {
  /** A free id below -c, now taken; undefined when every one is. */
  take(): number | undefined;
  /** The connection closed: its id is free again. */
  give(id: number): void;
  /** Record what `stats conns` shows for a connection just taken. */
  describe(id: number, addr: string, listenAddr: string, nowMs: number): void;
  /** The connection was active (a read arrived). */
  touch(id: number, nowMs: number): void;
  /** Where the connection stands after a call. */
  setState(id: number, state: ConnState): void;
  /** Every connection of the server, in id order. */
  entries(): ConnEntry[];
}

/** The registry of a server on one thread. */
export class LocalConnRegistry implements ConnRegistry {
  private readonly free: number[] = [];
  // By id: looked up on every read.
  private readonly live: (ConnEntry | undefined)[] = [];

  constructor(maxConns: number) {
    for (let id = maxConns - 1; id >= 0; id--) this.free.push(id);
  }

  take(): number | undefined { return this.free.pop(); }

  give(id: number): void {
    this.live[id] = undefined;
    this.free.push(id);
  }

  describe(id: number, addr: string, listenAddr: string, nowMs: number): void {
    this.live[id] = { id, addr, listenAddr, lastActiveMs: nowMs, state: CONN_STATES[0] };
  }

  touch(id: number, nowMs: number): void {
    const e = this.live[id];
    if (e) e.lastActiveMs = nowMs;
  }

  setState(id: number, state: ConnState): void {
    const e = this.live[id];
    if (e) e.state = state;
  }

  entries(): ConnEntry[] { return this.live.filter((e): e is ConnEntry => e !== undefined); }
}
