// The RESULT block: the fixed place where operations leave what they found, and where the
// exported API takes its 64-bit arguments (an i64 crossing to JS would become a BigInt).
//
//   0  cas       u64   in: CAS to compare (cas command, 0 = none); out: CAS of the item
//   8  flags     u32   out: client flags
//  12  len       u32   out: value length
//  16  value     u32   out: address of the value bytes (item memory, or VALBUF if chunked)
//  24  number    u64   in: incr/decr delta; out: the new counter value
import { RESULT } from "../memory/layout";

export const R_CAS: usize = 0;
export const R_FLAGS: usize = 8;
export const R_LEN: usize = 12;
export const R_VALUE: usize = 16;
export const R_NUMBER: usize = 24;

@inline export function resultCas(): u64 { return load<u64>(RESULT, R_CAS); }
@inline export function setResultCas(v: u64): void { store<u64>(RESULT, v, R_CAS); }
@inline export function resultNumber(): u64 { return load<u64>(RESULT, R_NUMBER); }
@inline export function setResultNumber(v: u64): void { store<u64>(RESULT, v, R_NUMBER); }
@inline export function setResultValue(addr: usize, len: u32, flags: u32): void {
  store<u32>(RESULT, <u32>addr, R_VALUE);
  store<u32>(RESULT, len, R_LEN);
  store<u32>(RESULT, flags, R_FLAGS);
}
