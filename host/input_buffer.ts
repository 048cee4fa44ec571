// A connection's received bytes that the engine has not consumed yet, in one contiguous piece.
//
// Chunks are borrowed: an adapter's bytes are valid only during its call (Node reads every
// socket of a thread into one buffer, node/reads.ts). A chunk that arrives with nothing buffered
// is used in place: usually it holds whole commands and is consumed at once, without a copy.
// keep(), before the adapter's call returns, copies what is left of it (a command not complete
// yet) into a buffer of the connection's own; chunks arriving after that are appended there. The
// buffer doubles as needed, up to `limit` (more only if one command really needs more).
const EMPTY = new Uint8Array(0);
const MIN_CAPACITY = 16 * 1024;

export class InputBuffer {
  /** `limit`: the capacity doubling stops at (the most the engine ever asks for at once). */
  constructor(private readonly limit: number) {}

  private buf: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  // buf is ours (bytes may be appended in place), not a chunk borrowed from the adapter.
  private owned = false;

  get length(): number { return this.end - this.start; }

  /** Borrows the first `n` bytes of `chunk` until keep(). */
  append(chunk: Uint8Array, n = chunk.length): void {
    if (this.end === this.start) {
      this.buf = chunk;
      this.start = 0;
      this.end = n;
      this.owned = false;
      return;
    }
    if (!this.owned || this.end + n > this.buf.length) this.regrow(this.length + n);
    this.buf.set(n === chunk.length ? chunk : chunk.subarray(0, n), this.end);
    this.end += n;
  }

  /** Before the borrowed chunk goes back: what is left of it becomes ours. */
  keep(): void {
    if (this.owned) return;
    if (this.length === 0) this.clear();
    // Only what is left, doubled: an idle client with half a command sent costs little.
    else this.regrow(this.length, 0);
  }

  // A buffer of our own with room for `need` bytes, holding what is buffered at its start.
  private regrow(need: number, minCapacity = MIN_CAPACITY): void {
    const next = new Uint8Array(Math.max(need, Math.min(2 * need, this.limit), minCapacity));
    next.set(this.buf.subarray(this.start, this.end));
    this.buf = next;
    this.end -= this.start;
    this.start = 0;
    this.owned = true;
  }

  /** Copies up to `max` of the buffered bytes to `dest` at `at`; returns how many. A chunk
   * used whole is copied without a view of it, which costs an object per read on Bun. */
  copyTo(dest: Uint8Array, at: number, max: number): number {
    const n = Math.min(max, this.length);
    if (this.start === 0 && n === this.buf.length) dest.set(this.buf, at);
    else dest.set(this.buf.subarray(this.start, this.start + n), at);
    return n;
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
