// The JS twin's numbers as text, by C's rules as memcached applies them (the core's
// assembly/util/numbers.ts, in JavaScript over the same bytes): safe_strtoul / safe_strtol on
// command tokens, safe_strtoull on a counter's value. A number ends at the end of the bytes, a
// NUL (where C's string would end) or whitespace; leading whitespace and one sign are allowed.

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const PLUS = 0x2b;
const MINUS = 0x2d;
const ZERO = 0x30;
const NUL = 0;
// Up to this many digits a Number holds the value exactly (10^15 < 2^53).
const EXACT_DIGITS = 15;
const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

/** C's isspace. */
export function isSpace(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

function endsAt(buf: Uint8Array, at: number, end: number): boolean {
  return at >= end || buf[at] === NUL || isSpace(buf[at]);
}

/**
 * strtol (unsigned = false) or strtoul / strtoull (unsigned = true) over buf[p, p + len), as
 * memcached's safe_strto* take them on 64-bit longs. Small values come back as a Number, the
 * rest as a BigInt (callers wrap them to the width memcached stores them in); null when the
 * bytes are not a number or it does not fit.
 */
export function cStrto(buf: Uint8Array, p: number, len: number, unsigned: boolean): number | bigint | null {
  const end = p + len;
  let i = p;
  while (i < end && isSpace(buf[i])) i++;
  let neg = false;
  if (i < end && (buf[i] === PLUS || buf[i] === MINUS)) {
    neg = buf[i] === MINUS;
    i++;
  }
  const start = i;
  while (i < end && buf[i] - ZERO >= 0 && buf[i] - ZERO <= 9) i++;
  if (i === start || !endsAt(buf, i, end)) return null;
  if (i - start <= EXACT_DIGITS) {
    let v = 0;
    for (let k = start; k < i; k++) v = v * 10 + (buf[k] - ZERO);
    if (!neg || v === 0) return v;
    // safe_strtoul refuses a '-' only when the wrapped result looks negative as a signed
    // number, which every small magnitude's does.
    return unsigned ? null : -v;
  }
  let v = 0n;
  for (let k = start; k < i; k++) v = v * 10n + BigInt(buf[k] - ZERO);
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

/** safe_strtoull over a counter's value, as incr/decr read it; undefined if not a number. */
export function strtoull(value: Uint8Array): bigint | undefined {
  const v = cStrto(value, 0, value.length, true);
  return v === null ? undefined : toU64(v);
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

/** A number's decimal digits as bytes. */
export function decimalBytes(x: bigint): Uint8Array {
  const s = x.toString();
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
