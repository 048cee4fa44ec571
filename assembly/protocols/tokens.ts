// The command-line tokenizer and memcached's number parsing rules, shared by the text and
// meta protocols.
import { MAX_TOKENS } from "../layout/layout";
import { tokensBlock, scratch, SCRATCH_NUMBER } from "../layout/thread";
import { strtoull, strtol, strtod } from "../util/numbers";

const SPACE: u8 = 0x20;

// ── tokens ─────────────────────────────────────────────────────────────────────────────
// TOKENS holds (address u32, length u32) pairs. As in memcached, ntokens counts a final
// empty token whose address is where an over-long line continues (0 at the end).

@inline export function tokAt(i: u32): usize { return load<u32>(tokensBlock() + (<usize>i << 3)); }
@inline export function tokLen(i: u32): u32 { return load<u32>(tokensBlock() + (<usize>i << 3), 4); }
@inline function setTok(i: u32, at: usize, len: u32): void {
  store<u32>(tokensBlock() + (<usize>i << 3), <u32>at);
  store<u32>(tokensBlock() + (<usize>i << 3), len, 4);
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

// ── numbers: C's rules (util/numbers.ts); the last number parsed lands in SCRATCH_NUMBER ─

export function parseUnsigned(p: usize, len: u32): bool { return strtoull(p, len, scratch(SCRATCH_NUMBER)); }
export function parseSigned(p: usize, len: u32): bool { return strtol(p, len, scratch(SCRATCH_NUMBER)); }

@inline export function num(): u64 { return load<u64>(scratch(SCRATCH_NUMBER)); }
// memcached stores strtol/strtoul results into 32-bit variables: the value wraps.
@inline export function numI32(): i32 { return <i32>load<u64>(scratch(SCRATCH_NUMBER)); }
@inline export function numU32(): u32 { return <u32>load<u64>(scratch(SCRATCH_NUMBER)); }
@inline export function numF64(): f64 { return load<f64>(scratch(SCRATCH_NUMBER)); }

@inline export function tokStrtol(i: u32): bool { return parseSigned(tokAt(i), tokLen(i)); }
@inline export function tokStrtoul(i: u32): bool { return parseUnsigned(tokAt(i), tokLen(i)); }
@inline export function tokStrtod(i: u32): bool { return strtod(tokAt(i), tokLen(i), scratch(SCRATCH_NUMBER)); }
