// The raw TCP client of the tests: writes exact bytes (whole, in pieces or one byte at a time),
// reads until a terminator or a byte count, or collects what arrives until the server falls
// quiet, and notices when the server closes. Strings are sent as latin1 so every char code
// 0..255 is exactly one byte on the wire.
import net from "node:net";
import tls from "node:tls";

export type Bytes = string | Uint8Array;

const DEFAULT_TIMEOUT_MS = 5000;
const QUIET_WAIT_LIMIT_MS = 30000;

export function toBuffer(data: Bytes): Buffer {
  return typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TimeoutError extends Error {}

export class SocketClient {
  readonly socket: net.Socket;
  // Received bytes not yet read live in buf[head, tail); the buffer doubles as needed, so
  // reading a large reply costs linear time.
  private buf = Buffer.alloc(64 * 1024);
  private head = 0;
  private tail = 0;
  private ended = false;
  private error: Error | undefined;
  private waiter: (() => void) | undefined;
  /** Resolves when the socket has closed (for whatever reason). */
  readonly closed: Promise<void>;
  private isClosed = false;
  /** When bytes last came in or left, or the connection ended: where silence is counted from. */
  private lastActivity = Date.now();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    // Byte-by-byte tests need each write to leave as its own segment.
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => {
      this.append(d);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (e) => {
      this.error = e;
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.once("close", () => {
      this.isClosed = true;
      this.ended = true;
      this.wake();
      resolve();
    }));
  }

  static connect(port: number, host = "127.0.0.1"): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host });
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new SocketClient(s));
      });
      s.once("error", reject);
    });
  }

  /**
   * A TLS connection (a server started with -Z): resolves once the handshake is done, rejects if
   * it fails. Server certificates are not checked unless `options` asks to.
   */
  static connectTls(port: number, options: tls.ConnectionOptions = {}): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ...options });
      s.once("secureConnect", () => {
        s.off("error", reject);
        resolve(new SocketClient(s));
      });
      s.once("error", reject);
    });
  }

  private append(d: Buffer): void {
    if (this.tail + d.length > this.buf.length) {
      const live = this.tail - this.head;
      const size = Math.max(this.buf.length, 2 * (live + d.length));
      const next = size === this.buf.length ? this.buf : Buffer.alloc(size);
      this.buf.copy(next, 0, this.head, this.tail);
      this.buf = next;
      this.head = 0;
      this.tail = live;
    }
    d.copy(this.buf, this.tail);
    this.tail += d.length;
  }

  private get buffered(): number { return this.tail - this.head; }

  /** Something happened on the connection: note when, and let a waiting reader look again. */
  private wake(): void {
    this.lastActivity = Date.now();
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** True once the server has ended its side (EOF) or the socket closed. */
  get serverEnded(): boolean { return this.ended; }
  get isDestroyed(): boolean { return this.isClosed; }
  /** True once the server has ended or reset the connection, or the socket failed. */
  get hungUp(): boolean { return this.ended || this.error !== undefined; }
  /** Bytes received and not yet read. */
  get pending(): number { return this.buffered; }
  /** Milliseconds since bytes last came in or left, or the connection ended. */
  get quietForMs(): number { return Date.now() - this.lastActivity; }
  /** Bytes unread and whether the server has hung up, as one value: it changes when either does. */
  get progress(): string { return `${this.buffered}${this.hungUp ? "+" : ""}`; }

  /** Writes bytes; resolves once they are handed to the kernel. */
  send(data: Bytes): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(toBuffer(data), (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Writes bytes without waiting; after a hang-up it writes nothing, and a failed write counts
   * as the hang-up it is (a server that closed mid-request), not as an error.
   */
  write(data: Bytes): void {
    if (this.hungUp) return;
    // Silence is counted from when the kernel took the last byte: a large value can take a
    // while to leave, and the server cannot answer before it has all of it.
    this.socket.write(toBuffer(data), () => this.wake());
    this.wake();
  }

  /** Writes `data` in pieces of `size` bytes (or the given sizes), `pauseMs` apart. */
  async sendPieces(data: Bytes, size: number | number[], pauseMs = 0): Promise<void> {
    const buf = toBuffer(data);
    const sizes = typeof size === "number" ? [] : size;
    let at = 0;
    for (let i = 0; at < buf.length; i++) {
      const n = typeof size === "number" ? size : sizes[i] ?? buf.length - at;
      await this.send(buf.subarray(at, at + n));
      at += n;
      if (pauseMs > 0) await sleep(pauseMs);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Writes every byte with its own write. */
  sendBytewise(data: Bytes, pauseMs = 0): Promise<void> {
    return this.sendPieces(data, 1, pauseMs);
  }

  /** Half-closes: the server sees EOF. */
  end(data?: Bytes): Promise<void> {
    return new Promise((resolve) => {
      if (data === undefined) this.socket.end(resolve);
      else this.socket.end(toBuffer(data), resolve);
    });
  }

  destroy(): void { this.socket.destroy(); }

  private take(n: number): Buffer {
    const out = Buffer.from(this.buf.subarray(this.head, this.head + n));
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
    return out;
  }

  private async waitFor(ready: () => number, what: string, timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = ready();
      if (n >= 0) return this.take(n);
      if (this.ended || this.error) {
        const got = this.take(this.buffered).toString("latin1");
        throw new Error(`connection ${this.error ? `failed (${this.error.message})` : "closed"} while waiting for ${what}; got ${preview(got)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}; have ${preview(this.peek())}`);
      }
      await this.nextEvent(left);
    }
  }

  /** Resolves at the next event on the connection, or after `ms`. */
  private nextEvent(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** What has been received and not read, without consuming it. */
  peek(): string {
    return this.buf.toString("latin1", this.head, this.tail);
  }

  /** A copy of the bytes received and not read. */
  received(): Buffer {
    return Buffer.from(this.buf.subarray(this.head, this.tail));
  }

  /**
   * Resolves after `quietMs` without traffic either way, on a hang-up, once `until` holds for
   * what has been received and not read, or after `maxMs` at the most.
   */
  async waitQuiet(quietMs: number, maxMs = QUIET_WAIT_LIMIT_MS, until?: (received: Buffer) => boolean): Promise<void> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      if (this.hungUp || until?.(this.received())) return;
      const now = Date.now();
      const quietAt = this.lastActivity + quietMs;
      if (now >= quietAt || now >= deadline) return;
      await this.nextEvent(Math.min(quietAt, deadline) - now);
    }
  }

  /** Reads up to and including the first occurrence of `terminator`. */
  readUntil(terminator: Bytes, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const t = toBuffer(terminator);
    // Bytes already searched (relative to start) need not be searched again.
    let searched = 0;
    return this.waitFor(() => {
      const from = this.head + Math.max(0, searched - t.length + 1);
      const i = this.buf.subarray(0, this.tail).indexOf(t, from);
      searched = this.buffered;
      return i < 0 ? -1 : i - this.head + t.length;
    }, `"${preview(t.toString("latin1"))}"`, timeoutMs);
  }

  async readUntilText(terminator: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return (await this.readUntil(terminator, timeoutMs)).toString("latin1");
  }

  /** Reads exactly n bytes. */
  readBytes(n: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    return this.waitFor(() => (this.buffered >= n ? n : -1), `${n} bytes`, timeoutMs);
  }

  /** One reply line, CRLF included. */
  readLine(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    return this.readUntilText("\r\n", timeoutMs);
  }

  /** Sends a command and reads through the given terminator (default: one line). */
  async request(data: Bytes, terminator = "\r\n", timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    await this.send(data);
    return this.readUntilText(terminator, timeoutMs);
  }

  /**
   * Waits for the server to close the connection; returns whatever arrived before it.
   * Rejects if it is still open after `timeoutMs`.
   */
  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`server did not close within ${timeoutMs} ms; have ${preview(this.peek())}`)), timeoutMs);
    });
    try {
      await Promise.race([this.endedOrClosed(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.take(this.buffered).toString("latin1");
  }

  private async endedOrClosed(): Promise<void> {
    while (!this.ended && !this.error) await new Promise<void>((r) => (this.waiter = r));
  }

  /** After waiting `ms`: true if nothing unread has arrived and the socket is still open. */
  async quietFor(ms: number): Promise<boolean> {
    await sleep(ms);
    return this.buffered === 0 && !this.ended;
  }
}

/** Whether a connection to the port is accepted now (it is closed again at once). */
export function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function preview(s: string): string {
  const shown = s.length > 200 ? `${s.slice(0, 120)}…(${s.length} bytes)…${s.slice(-60)}` : s;
  return JSON.stringify(shown);
}

/** Parses a `stats` reply into name → value. */
export function parseStats(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** Runs `stats [group]` on a connection and returns the parsed values. */
export async function stats(c: SocketClient, group = ""): Promise<Map<string, string>> {
  const reply = await c.request(group ? `stats ${group}\r\n` : "stats\r\n", "END\r\n");
  return parseStats(reply);
}

/** Deterministic pseudo-random bytes (so a failing comparison is reproducible). */
export function patternBytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
