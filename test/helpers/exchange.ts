// One exchange with servers on fresh connections, as the differential tests make it: the same
// pieces go out to each, as written, and a reply is complete when the caller says it is (the
// replies hold what they should, then a grace period of silence shows that nothing follows),
// when every server has hung up, or, with nothing to wait for, once every server fell quiet.
// Silence alone never ends a reply that is known to be incomplete: on a loaded machine a server
// still working through a megabyte was once taken for one that had answered.
import { SocketClient, toBuffer } from "./socket-client.js";

/** A piece of input; a function is called with everything received so far (e.g. to echo a CAS). */
export type Piece = string | Uint8Array | ((received: Buffer) => string | Uint8Array);

const DEFAULT_QUIET_MS = 200;
const DEFAULT_MAX_MS = 30000;
// How often a wait over several connections looks at them again.
const POLL_MS = 5;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ExchangeOptions {
  /** Pause after each piece (after piece i the i-th of a list), so the server sees separate reads. */
  pauseMs?: number | readonly number[];
  /**
   * With nothing to wait for, a reply is complete after this much silence; a computed piece is
   * computed after this much silence too.
   */
  quietMs?: number;
  /** The reply is complete once this holds for what was received (or the server hangs up). */
  until?: (received: Buffer) => boolean;
  /** Once the reply is complete, wait for this much silence more: it shows that nothing follows. */
  graceMs?: number;
  /** Hard limit for the whole exchange. */
  maxMs?: number;
  /** Over TLS (a server started with -Z); the server's certificate is not checked. */
  tls?: boolean;
}

export interface Exchange {
  data: Buffer;
  /** The server ended or reset the connection. */
  closed: boolean;
}

export interface ExchangeAllOptions extends Omit<ExchangeOptions, "until"> {
  /** The replies are complete once this holds for all of them together (or all servers hang up). */
  settled?: (replies: Exchange[]) => boolean;
}

/** Every byte as its own piece, to exercise a server's handling of partial input. */
export function splitBytes(pieces: readonly Piece[]): Buffer[] {
  const all = pieces.map((p) => {
    if (typeof p === "function") throw new Error("computed pieces cannot be split into bytes");
    return toBuffer(p);
  });
  return [...Buffer.concat(all)].map((b) => Buffer.of(b));
}

/** An `until` predicate: the reply ends with a terminator. */
export const endsWith = (suffix: string) => {
  const s = toBuffer(suffix);
  return (b: Buffer) => b.length >= s.length && b.subarray(b.length - s.length).equals(s);
};

/** Opens a fresh connection, sends the pieces, collects the reply, and closes. */
export async function exchange(port: number, pieces: readonly Piece[], opts: ExchangeOptions = {}): Promise<Exchange> {
  const { until, ...rest } = opts;
  const [reply] = await exchangeAll([port], pieces, { ...rest, settled: until && (([r]) => until(r.data)) });
  return reply;
}

/** The same pieces to each server on a fresh connection of its own, side by side; replies in port order. */
export async function exchangeAll(ports: readonly number[], pieces: readonly Piece[], opts: ExchangeAllOptions = {}): Promise<Exchange[]> {
  const opened = await Promise.allSettled(ports.map((p) => (opts.tls ? SocketClient.connectTls(p) : SocketClient.connect(p))));
  const conns = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
  try {
    const failed = opened.find((o) => o.status === "rejected");
    if (failed) throw failed.reason;
    const deadline = Date.now() + (opts.maxMs ?? DEFAULT_MAX_MS);
    await Promise.all(conns.map((c) => sendPieces(c, pieces, opts, deadline)));
    await complete(conns, opts, deadline);
    return conns.map(replyOf);
  } finally {
    for (const c of conns) c.destroy();
  }
}

function replyOf(c: SocketClient): Exchange {
  return { data: c.received(), closed: c.hungUp };
}

async function sendPieces(conn: SocketClient, pieces: readonly Piece[], opts: ExchangeAllOptions, deadline: number): Promise<void> {
  for (const [i, piece] of pieces.entries()) {
    if (conn.hungUp) break;
    conn.write(typeof piece === "function" ? await computed(conn, piece, opts.quietMs ?? DEFAULT_QUIET_MS, deadline) : piece);
    const pause = typeof opts.pauseMs === "object" ? opts.pauseMs[i] : opts.pauseMs;
    if (pause) await sleep(pause);
  }
}

/**
 * A computed piece depends on the reply to what was sent before it: it is computed once that
 * reply has gone quiet, and again after more arrives for as long as it cannot be (a reply late
 * on a loaded machine is not yet there to read a CAS from).
 */
async function computed(conn: SocketClient, piece: (received: Buffer) => string | Uint8Array, quietMs: number, deadline: number): Promise<string | Uint8Array> {
  for (;;) {
    await conn.waitQuiet(quietMs, deadline - Date.now());
    const seen = conn.received();
    try {
      return piece(seen);
    } catch (err) {
      if (conn.hungUp || Date.now() >= deadline) throw err;
      await conn.waitQuiet(Number.POSITIVE_INFINITY, deadline - Date.now(), (b) => b.length > seen.length);
    }
  }
}

/**
 * Waits until the replies are settled and then silent for graceMs, or (without `settled`) until
 * each connection has been quiet for quietMs; either way at most until the deadline, and no
 * longer than it takes every server to hang up.
 */
async function complete(conns: SocketClient[], opts: ExchangeAllOptions, deadline: number): Promise<void> {
  const quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
  let seen = "";
  let settled = false;
  while (Date.now() < deadline) {
    const open = conns.filter((c) => !c.hungUp);
    if (open.length === 0) return;
    if (!opts.settled) {
      if (open.every((c) => c.quietForMs >= quietMs)) return;
    } else {
      // Replies are judged again only when something arrived: judging normalises them.
      const now = conns.map((c) => c.progress).join(",");
      if (now !== seen) settled = opts.settled(conns.map(replyOf));
      seen = now;
      if (settled && open.every((c) => c.quietForMs >= (opts.graceMs ?? 0))) return;
    }
    await sleep(POLL_MS);
  }
}
