// memcached's safe_strtoull over an item's value, as incr/decr read it (assembly/arith.ts
// parseU64 is the WASM engine's): leading whitespace, an optional sign, decimal digits, then
// the value's end, a NUL or whitespace. A '-' is refused only when the negated result looks
// negative as a signed 64-bit number, as strtoull and memcached have it.
import { isSpace } from "./tokens.js";

const U64_MAX = (1n << 64n) - 1n;
const I64_SIGN = 1n << 63n;
const U64_DIGITS = 20;
const SAFE_DIGITS = 15; // fewer digits than this are exact in a double
const ZERO = 0x30;
const NINE = 0x39;
const PLUS = 0x2b;
const MINUS = 0x2d;
const NUL = 0;

/** The number, or undefined when the bytes are not one (or it exceeds 64 bits). */
export function strtoull(v: Uint8Array): bigint | undefined {
  const n = v.length;
  let i = 0;
  while (i < n && isSpace(v[i])) i++;
  let negative = false;
  if (i < n && (v[i] === PLUS || v[i] === MINUS)) {
    negative = v[i] === MINUS;
    i++;
  }
  const start = i;
  while (i < n && v[i] === ZERO) i++;
  const significant = i;
  while (i < n && v[i] >= ZERO && v[i] <= NINE) i++;
  if (i === start) return undefined;
  if (i < n && v[i] !== NUL && !isSpace(v[i])) return undefined;
  const digits = i - significant;
  if (digits > U64_DIGITS) return undefined;
  let x = digits < SAFE_DIGITS ? BigInt(smallNumber(v, significant, i)) : BigInt(ascii(v, significant, i));
  if (x > U64_MAX) return undefined;
  if (negative) {
    x = BigInt.asUintN(64, -x);
    if (x >= I64_SIGN) return undefined;
  }
  return x;
}

function smallNumber(v: Uint8Array, from: number, to: number): number {
  let x = 0;
  for (let i = from; i < to; i++) x = x * 10 + (v[i] - ZERO);
  return x;
}

function ascii(v: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(v[i]);
  return s;
}

/** A number's decimal digits as bytes. */
export function decimalBytes(x: bigint): Uint8Array {
  const s = x.toString();
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
