// The command-line tokenizer and memcached's number parsing rules, shared by the text and
// meta protocols.
import { TOKENS, MAX_TOKENS, SCRATCH } from "../memory/layout";
import { isSpace } from "../operations/arith";

const SPACE: u8 = 0x20;
// The last number parsed (SCRATCH block).
const NUM: usize = SCRATCH + 32;

// ── tokens ─────────────────────────────────────────────────────────────────────────────
// TOKENS holds (address u32, length u32) pairs. As in memcached, ntokens counts a final
// empty token whose address is where an over-long line continues (0 at the end).

@inline export function tokAt(i: u32): usize { return load<u32>(TOKENS + (<usize>i << 3)); }
@inline export function tokLen(i: u32): u32 { return load<u32>(TOKENS + (<usize>i << 3), 4); }
@inline function setTok(i: u32, at: usize, len: u32): void {
  store<u32>(TOKENS + (<usize>i << 3), <u32>at);
  store<u32>(TOKENS + (<usize>i << 3), len, 4);
}

// memcached's tokenize_command: spaces separate, runs of spaces are one separator, at most
// MAX_TOKENS - 1 words; the rest of the line is left to the caller (multi-get keys).
export function tokenize(s: usize, end: usize): u32 {
  let n: u32 = 0;
  let start = s;
  let e = s;
  while (e < end) {
    if (load<u8>(e) == SPACE) {
      if (start != e) {
        setTok(n++, start, <u32>(e - start));
        if (n == MAX_TOKENS - 1) {
          e++;
          start = e;
          break;
        }
      }
      start = e + 1;
    }
    e++;
  }
  if (start != e) setTok(n++, start, <u32>(e - start));
  setTok(n++, e < end ? e : 0, 0);
  return n;
}

// Compares token i with an ASCII literal.
export function tokIs(i: u32, s: string): bool {
  const n = <u32>s.length;
  if (tokLen(i) != n) return false;
  const p = tokAt(i);
  const q = changetype<usize>(s);
  for (let k: u32 = 0; k < n; k++) {
    if (<u16>load<u8>(p + k) != load<u16>(q + (<usize>k << 1))) return false;
  }
  return true;
}

export function tokStartsWith(i: u32, s: string): bool {
  const n = <u32>s.length;
  if (tokLen(i) < n) return false;
  const p = tokAt(i);
  const q = changetype<usize>(s);
  for (let k: u32 = 0; k < n; k++) {
    if (<u16>load<u8>(p + k) != load<u16>(q + (<usize>k << 1))) return false;
  }
  return true;
}

// ── numbers: C's strtol / strtoul / strtoull as memcached's safe_strto* use them ─────────
// A token ends where C's string would (its NUL); leading whitespace and one sign are allowed,
// then digits, then the end or a whitespace byte. The value lands in NUM.

export function cStrto(p: usize, len: u32, unsigned: bool): bool {
  let i: u32 = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  let neg = false;
  if (i < len && (load<u8>(p + i) == 0x2b || load<u8>(p + i) == 0x2d)) {
    neg = load<u8>(p + i) == 0x2d;
    i++;
  }
  const start = i;
  let v: u64 = 0;
  let overflow = false;
  while (i < len) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d > 9) break;
    if (v > (u64.MAX_VALUE - d) / 10) overflow = true;
    v = v * 10 + d;
    i++;
  }
  if (i == start || overflow) return false;
  if (i < len && !isSpace(load<u8>(p + i))) return false;
  if (unsigned) {
    const r = neg ? 0 - v : v;
    // safe_strtoul rejects a '-' only when the result looks negative as a signed number.
    if (neg && <i64>r < 0) return false;
    store<u64>(NUM, r);
    return true;
  }
  if (!neg && v > <u64>i64.MAX_VALUE) return false;
  if (neg && v > <u64>i64.MAX_VALUE + 1) return false;
  store<i64>(NUM, neg ? -<i64>v : <i64>v);
  return true;
}

@inline export function num(): u64 { return load<u64>(NUM); }
// memcached stores strtol/strtoul results into 32-bit variables: the value wraps.
@inline export function numI32(): i32 { return <i32>load<u64>(NUM); }
@inline export function numU32(): u32 { return <u32>load<u64>(NUM); }

@inline export function tokStrtol(i: u32): bool { return cStrto(tokAt(i), tokLen(i), false); }
@inline export function tokStrtoul(i: u32): bool { return cStrto(tokAt(i), tokLen(i), true); }


// C's strtod for the plain decimals memcached's safe_strtod sees (`lru tune`, `slabs automove
// ratio`): optional sign, digits, optional fraction, optional exponent, then end or space.
export function cStrtod(p: usize, len: u32): bool {
  let i: u32 = 0;
  while (i < len && isSpace(load<u8>(p + i))) i++;
  let sign: f64 = 1;
  if (i < len && (load<u8>(p + i) == 0x2b || load<u8>(p + i) == 0x2d)) {
    if (load<u8>(p + i) == 0x2d) sign = -1;
    i++;
  }
  let v: f64 = 0;
  let digits: u32 = 0;
  while (i < len && <u32>load<u8>(p + i) - 0x30 <= 9) {
    v = v * 10 + <f64>(load<u8>(p + i) - 0x30);
    i++;
    digits++;
  }
  if (i < len && load<u8>(p + i) == 0x2e) {
    i++;
    let scale: f64 = 0.1;
    while (i < len && <u32>load<u8>(p + i) - 0x30 <= 9) {
      v += <f64>(load<u8>(p + i) - 0x30) * scale;
      scale /= 10;
      i++;
      digits++;
    }
  }
  if (digits == 0) return false;
  if (i < len && (load<u8>(p + i) | 0x20) == 0x65) {
    i++;
    let esign: i32 = 1;
    if (i < len && (load<u8>(p + i) == 0x2b || load<u8>(p + i) == 0x2d)) {
      if (load<u8>(p + i) == 0x2d) esign = -1;
      i++;
    }
    let e: i32 = 0;
    const start = i;
    while (i < len && <u32>load<u8>(p + i) - 0x30 <= 9) {
      e = min<i32>(e * 10 + (load<u8>(p + i) - 0x30), 400);
      i++;
    }
    if (i == start) return false;
    v *= Math.pow(10, <f64>(esign * e));
  }
  if (i < len && !isSpace(load<u8>(p + i))) return false;
  store<f64>(NUM, sign * v);
  return true;
}

@inline export function numF64(): f64 { return load<f64>(NUM); }
