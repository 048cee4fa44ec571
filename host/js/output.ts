// The JS twin's reply writer: the output area of the protocol's buffer, which the driver sends
// after each process() call (the core's assembly/session/output.ts). Like the core's, it never writes
// past its end: the commands keep room free before they run, so only a pathological reply
// could be cut, never the memory around it.

const CR = 0x0d;
const LF = 0x0a;
const ZERO = 0x30;
const U64_DIGITS_MAX = 20;

export class Output {
  private readonly buf: Uint8Array;
  private readonly base: number;
  readonly size: number;
  private pos = 0;
  // How far a finished text get took the replies: memcached transmits at the end of each
  // (conn_mwrite), so a later command that discards the unsent replies cannot reach these.
  private sentPos = 0;

  constructor(buf: Uint8Array, base: number, size: number) {
    this.buf = buf;
    this.base = base;
    this.size = size;
  }

  get length(): number { return this.pos; }
  free(): number { return this.size - this.pos; }
  /** The replies memcached would have transmitted already. */
  get sent(): number { return this.sentPos; }
  reset(): void {
    this.pos = 0;
    this.sentPos = 0;
  }
  /** Drops everything written after the first `len` bytes. */
  truncate(len: number): void {
    this.pos = len;
    this.sentPos = Math.min(this.sentPos, len);
  }
  markSent(): void { this.sentPos = this.pos; }

  // Where n more bytes go, or -1 when they do not fit.
  private room(n: number): number {
    if (this.pos + n > this.size) return -1;
    const at = this.base + this.pos;
    this.pos += n;
    return at;
  }

  /** ASCII text (every char code below 256 is one byte). */
  ascii(s: string): void {
    const at = this.room(s.length);
    if (at < 0) return;
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  }

  crlf(): void {
    const at = this.room(2);
    if (at < 0) return;
    this.buf[at] = CR;
    this.buf[at + 1] = LF;
  }

  line(s: string): void {
    this.ascii(s);
    this.crlf();
  }

  bytes(src: Uint8Array): void {
    const at = this.room(src.length);
    if (at >= 0) this.buf.set(src, at);
  }

  /** Bytes from elsewhere in the protocol's own buffer (a key from the input area). */
  copyFrom(start: number, end: number): void {
    const at = this.room(end - start);
    if (at >= 0) this.buf.copyWithin(at, start, end);
  }

  /** A non-negative integer in decimal. */
  u64(v: number | bigint): void {
    if (typeof v === "bigint" || v > Number.MAX_SAFE_INTEGER) {
      this.ascii(v.toString());
      return;
    }
    const at = this.room(U64_DIGITS_MAX);
    if (at < 0) return;
    let n = 0;
    let t = v;
    do {
      n++;
      t = Math.floor(t / 10);
    } while (t !== 0);
    const buf = this.buf;
    for (let i = n - 1; i >= 0; i--) {
      buf[at + i] = ZERO + (v % 10);
      v = Math.floor(v / 10);
    }
    this.pos -= U64_DIGITS_MAX - n;
  }
}
