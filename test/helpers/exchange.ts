// One exchange with a server on a fresh connection, as the differential tests make it: the
// pieces go out as written, and the reply is what arrived before the server hung up, said all
// it had to (with `until`), or else fell quiet.
import { SocketClient, toBuffer } from "./socket-client.js";

/** A piece of input; a function is called with everything received so far (e.g. to echo a CAS). */
export type Piece = string | Uint8Array | ((received: Buffer) => string | Uint8Array);

const DEFAULT_QUIET_MS = 200;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ExchangeOptions {
  /** Pause after each piece (after piece i the i-th of a list), so the server sees separate reads. */
  pauseMs?: number | readonly number[];
  /** Without `until`, the reply is complete after this much silence. */
  quietMs?: number;
  /** The reply is complete once this returns true (or the server hangs up, or maxMs passes). */
  until?: (received: Buffer) => boolean;
  /** Once `until` holds, wait for this much silence more: it shows that nothing follows. */
  graceMs?: number;
  /** Hard limit for the whole exchange. */
  maxMs?: number;
}

export interface Exchange {
  data: Buffer;
  /** The server ended or reset the connection. */
  closed: boolean;
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
  const conn = await SocketClient.connect(port);
  try {
    const quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
    for (const [i, piece] of pieces.entries()) {
      if (conn.hungUp) break;
      // A computed piece depends on the reply to what was sent before it.
      if (typeof piece === "function") await conn.waitQuiet(quietMs, opts.maxMs);
      conn.write(typeof piece === "function" ? piece(conn.received()) : piece);
      const pause = typeof opts.pauseMs === "object" ? opts.pauseMs[i] : opts.pauseMs;
      if (pause) await sleep(pause);
    }
    // With `until`, silence proves nothing: a server still working through a megabyte on a
    // loaded machine was once taken for one that had answered (it waits for maxMs at most).
    await conn.waitQuiet(opts.until ? Number.POSITIVE_INFINITY : quietMs, opts.maxMs, opts.until);
    if (opts.graceMs !== undefined && !conn.hungUp && opts.until?.(conn.received())) {
      await conn.waitQuiet(opts.graceMs, opts.maxMs);
    }
    return { data: conn.received(), closed: conn.hungUp };
  } finally {
    conn.destroy();
  }
}
