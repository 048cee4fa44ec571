// A connection's received bytes that the engine has not consumed yet, in one contiguous piece.
//
// A chunk that arrives with nothing buffered is kept as it is: usually it holds whole commands
// and is consumed at once, without a copy. Bytes left over (a command not complete yet) and
// every chunk arriving after them are copied into a buffer of the connection's own, which
// doubles as needed, up to `limit` (more only if one command really needs more). Keeping the
// chunks themselves would cost an object per read: a client sending a value one byte per
// packet made the server hold ~20 bytes per byte sent.
const EMPTY = new Uint8Array(0);
const MIN_CAPACITY = 16 * 1024;

export class InputBuffer {
  /** `limit`: the capacity doubling stops at (the most the engine ever asks for at once). */
  constructor(private readonly limit: number) {}

  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  // buf is ours (bytes may be appended in place), not a chunk the socket handed over.
  private owned = false;

  get length(): number { return this.end - this.start; }

  append(chunk: Uint8Array): void {
    if (this.end === this.start) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (!this.owned || this.end + chunk.length > this.buf.length) this.regrow(this.length + chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  // A buffer of our own with room for `need` bytes, holding what is buffered at its start.
  private regrow(need: number): void {
    const next = new Uint8Array(Math.max(need, Math.min(2 * need, this.limit), MIN_CAPACITY));
    next.set(this.buf.subarray(this.start, this.end));
    this.buf = next;
    this.end -= this.start;
    this.start = 0;
    this.owned = true;
  }

  /** Up to `max` of the buffered bytes: a view, valid until the next append or drop. */
  peek(max = Infinity): Uint8Array {
    return this.buf.subarray(this.start, this.start + Math.min(max, this.length));
  }

  /** Forgets the first n bytes (the engine consumed them). */
  drop(n: number): void {
    this.start += n;
    if (this.start === this.end) this.clear();
  }

  clear(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }
}
