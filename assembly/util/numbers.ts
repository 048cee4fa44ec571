// Numbers as text, by C's rules as memcached applies them (util.c's safe_strtoull,
// safe_strtoul, safe_strtol and safe_strtod over strtoull/strtol/strtod, and printf's %llu).
//
// memcached parses NUL-terminated strings; here the bytes are a (pointer, length) pair: a
// number ends at the end of the bytes, at a NUL (where C's string would end) or at whitespace.
// Leading whitespace and one sign are allowed; anything else after the digits refuses it.

// isspace() in the C locale.
@inline export function isSpace(c: u32): bool {
  return c == 0x20 || (c >= 0x09 && c <= 0x0d);
}

const PLUS: u8 = 0x2b;
const MINUS: u8 = 0x2d;
const DOT: u8 = 0x2e;
const ZERO: u32 = 0x30;
const LOWER_E: u8 = 0x65;
const CASE_BIT: u8 = 0x20;
const EXPONENT_MAX: i32 = 400; // past any f64: the value is 0 or infinity either way

@inline function digitAt(p: usize, i: u32): u32 { return <u32>load<u8>(p + i) - ZERO; }

function skipSpaces(p: usize, len: u32): u32 {
  let i: u32 = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  return i;
}

// Whether byte i ends a number: the end of the bytes, a NUL or whitespace.
@inline function endsAt(p: usize, len: u32, i: u32): bool {
  return i >= len || load<u8>(p + i) == 0 || isSpace(load<u8>(p + i));
}

// Stores an integer's magnitude at `out` and returns its sign (1 or -1); 0 when there are no
// digits, the magnitude passes 2^64 - 1, or something other than an end follows the digits.
function parseInteger(p: usize, len: u32, out: usize): i32 {
  let i = skipSpaces(p, len);
  let negative = false;
  if (i < len && (load<u8>(p + i) == PLUS || load<u8>(p + i) == MINUS)) {
    negative = load<u8>(p + i) == MINUS;
    i++;
  }
  const start = i;
  let v: u64 = 0;
  let overflow = false;
  for (; i < len; i++) {
    const d = digitAt(p, i);
    if (d > 9) break;
    if (v > (u64.MAX_VALUE - d) / 10) overflow = true;
    v = v * 10 + d;
  }
  if (i == start || overflow || !endsAt(p, len, i)) return 0;
  store<u64>(out, v);
  return negative ? -1 : 1;
}

// safe_strtoull / safe_strtoul: a u64 at `out`. strtoull negates a '-' number; memcached
// refuses it only when the result looks negative as a signed number.
export function strtoull(p: usize, len: u32, out: usize): bool {
  const sign = parseInteger(p, len, out);
  if (sign == 0) return false;
  if (sign > 0) return true;
  const v = 0 - load<u64>(out);
  if (<i64>v < 0) return false;
  store<u64>(out, v);
  return true;
}

// safe_strtol: an i64 at `out`, within the signed 64-bit range.
export function strtol(p: usize, len: u32, out: usize): bool {
  const sign = parseInteger(p, len, out);
  if (sign == 0) return false;
  const v = load<u64>(out);
  if (sign > 0 ? v > <u64>i64.MAX_VALUE : v > <u64>i64.MAX_VALUE + 1) return false;
  store<i64>(out, sign > 0 ? <i64>v : -<i64>v);
  return true;
}

// safe_strtod on the plain decimals memcached feeds it (`lru tune`, `slabs automove ratio`):
// sign, digits, an optional fraction and exponent. An f64 at `out`.
export function strtod(p: usize, len: u32, out: usize): bool {
  let i = skipSpaces(p, len);
  let sign: f64 = 1;
  if (i < len && (load<u8>(p + i) == PLUS || load<u8>(p + i) == MINUS)) {
    if (load<u8>(p + i) == MINUS) sign = -1;
    i++;
  }
  let v: f64 = 0;
  let digits: u32 = 0;
  for (; i < len && digitAt(p, i) <= 9; i++, digits++) v = v * 10 + <f64>digitAt(p, i);
  if (i < len && load<u8>(p + i) == DOT) {
    i++;
    let scale: f64 = 0.1;
    for (; i < len && digitAt(p, i) <= 9; i++, digits++) {
      v += <f64>digitAt(p, i) * scale;
      scale /= 10;
    }
  }
  if (digits == 0) return false;
  if (i < len && (load<u8>(p + i) | CASE_BIT) == LOWER_E) {
    i++;
    let esign: i32 = 1;
    if (i < len && (load<u8>(p + i) == PLUS || load<u8>(p + i) == MINUS)) {
      if (load<u8>(p + i) == MINUS) esign = -1;
      i++;
    }
    const start = i;
    let e: i32 = 0;
    for (; i < len && digitAt(p, i) <= 9; i++) e = min<i32>(e * 10 + <i32>digitAt(p, i), EXPONENT_MAX);
    if (i == start) return false;
    v *= Math.pow(10, <f64>(esign * e));
  }
  if (!endsAt(p, len, i)) return false;
  store<f64>(out, sign * v);
  return true;
}

// The most digits a u64 takes in decimal.
export const U64_DIGITS_MAX: u32 = 20;

// v in decimal at dst; returns the length.
export function formatU64(dst: usize, v: u64): u32 {
  let n: u32 = 0;
  let t = v;
  do { n++; t /= 10; } while (t != 0);
  let i = n;
  do { store<u8>(dst + --i, <u8>(ZERO + <u32>(v % 10))); v /= 10; } while (v != 0);
  return n;
}
