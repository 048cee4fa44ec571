// The JS twin's command-line tokenizer and memcached's number rules (the core's
// assembly/tokens.ts, in JavaScript over the same bytes): positions into the protocol's buffer,
// no strings, so a command costs no allocation to split.

const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;
const ZERO = 0x30;
/** memcached's MAX_TOKENS: 23 words, then the rest of the line is left to the caller. */
export const MAX_TOKENS = 24;
/** The final token's position when nothing of the line is left over. */
export const NO_REST = -1;
// Up to this many digits a Number holds the value exactly (10^15 < 2^53).
const EXACT_DIGITS = 15;
const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

/** C's isspace. */
export function isSpace(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d);
}

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

/**
 * C's strtol / strtoul as memcached's safe_strto* use them on 64-bit longs: leading whitespace
 * and one sign, digits, then the end or whitespace. Small values come back as a Number, the
 * rest as a BigInt (the caller wraps them to the width memcached stores them in).
 */
export function cStrto(buf: Uint8Array, p: number, len: number, unsigned: boolean): number | bigint | null {
  let i = 0;
  while (i < len && isSpace(buf[p + i])) i++;
  let neg = false;
  if (i < len && (buf[p + i] === PLUS || buf[p + i] === MINUS)) {
    neg = buf[p + i] === MINUS;
    i++;
  }
  const start = i;
  while (i < len && buf[p + i] - ZERO >= 0 && buf[p + i] - ZERO <= 9) i++;
  if (i === start) return null;
  if (i < len && !isSpace(buf[p + i])) return null;
  if (i - start <= EXACT_DIGITS) {
    let v = 0;
    for (let k = start; k < i; k++) v = v * 10 + (buf[p + k] - ZERO);
    if (!neg || v === 0) return v;
    // safe_strtoul refuses a '-' only when the wrapped result looks negative as a signed
    // number, which every small magnitude's does.
    return unsigned ? null : -v;
  }
  let v = 0n;
  for (let k = start; k < i; k++) v = v * 10n + BigInt(buf[p + k] - ZERO);
  if (v > U64_MAX) return null;
  if (unsigned) {
    if (!neg) return v;
    const r = BigInt.asUintN(64, -v);
    return r > I64_MAX ? null : r;
  }
  if (!neg && v > I64_MAX) return null;
  if (neg && v > I64_MAX + 1n) return null;
  return neg ? -v : v;
}

/** memcached stores strtol/strtoul results into 32-bit variables: the value wraps. */
export function toI32(v: number | bigint): number {
  return typeof v === "number" ? v | 0 : Number(BigInt.asIntN(32, v));
}

export function toU32(v: number | bigint): number {
  return typeof v === "number" ? v >>> 0 : Number(BigInt.asUintN(32, v));
}

/** The unsigned 64-bit value of a strtoul result. */
export function toU64(v: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(v));
}
