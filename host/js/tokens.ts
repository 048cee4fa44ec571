// The JS twin's command-line tokenizer (the core's assembly/protocols/tokens.ts, in
// JavaScript over the same bytes): positions into the protocol's buffer, no strings, so a
// command costs no allocation to split. Numbers follow numbers.ts.
import { cStrto } from "./numbers.js";

const SPACE = 0x20;
/** memcached's MAX_TOKENS: 23 words, then the rest of the line is left to the caller. */
export const MAX_TOKENS = 24;
/** The final token's position when nothing of the line is left over. */
export const NO_REST = -1;

/**
 * memcached's tokenize_command over buf[start, end): spaces separate, runs of spaces are one
 * separator. As in memcached, the count includes a final empty token whose position is where
 * an over-long line continues (NO_REST at the end of the line).
 */
export class Tokens {
  readonly at = new Int32Array(MAX_TOKENS);
  readonly len = new Int32Array(MAX_TOKENS);
  count = 0;
  private buf: Uint8Array;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  tokenize(start: number, end: number): number {
    const buf = this.buf;
    let n = 0;
    let s = start;
    let e = start;
    while (e < end) {
      if (buf[e] === SPACE) {
        if (s !== e) {
          this.set(n++, s, e - s);
          if (n === MAX_TOKENS - 1) {
            e++;
            s = e;
            break;
          }
        }
        s = e + 1;
      }
      e++;
    }
    if (s !== e) this.set(n++, s, e - s);
    this.set(n++, e < end ? e : NO_REST, 0);
    this.count = n;
    return n;
  }

  private set(i: number, at: number, len: number): void {
    this.at[i] = at;
    this.len[i] = len;
  }

  /** Token i equals an ASCII literal. */
  is(i: number, s: string): boolean {
    const n = s.length;
    if (this.len[i] !== n) return false;
    const buf = this.buf;
    const p = this.at[i];
    for (let k = 0; k < n; k++) if (buf[p + k] !== s.charCodeAt(k)) return false;
    return true;
  }

  startsWith(i: number, s: string): boolean {
    const n = s.length;
    if (this.len[i] < n) return false;
    const buf = this.buf;
    const p = this.at[i];
    for (let k = 0; k < n; k++) if (buf[p + k] !== s.charCodeAt(k)) return false;
    return true;
  }

  /** Token i as a view of the buffer (valid until the buffer is refilled). */
  view(i: number): Uint8Array {
    return this.buf.subarray(this.at[i], this.at[i] + this.len[i]);
  }

  /** C's strtoul on token i as memcached's safe_strtoul takes it; null if not a number. */
  strtoul(i: number): number | bigint | null {
    return cStrto(this.buf, this.at[i], this.len[i], true);
  }

  /** C's strtol on token i as memcached's safe_strtol takes it; null if not a number. */
  strtol(i: number): number | bigint | null {
    return cStrto(this.buf, this.at[i], this.len[i], false);
  }
}
