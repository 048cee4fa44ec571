// This thread's RESULT block: where operations leave what they found and where the exported API takes
// its 64-bit arguments. The offsets are the ABI's (abi/results.ts draws the block); two more
// slots, past the host's, tell incr/decr's callers which item now holds the counter:
//  32  item      u32   the item holding the counter after incr/decr or createCounter
//  36  replaced  u8    the number outgrew its item: a new item took its place
import { resultBlock } from "../layout/thread";
import { ResultOffset } from "../abi/results";

const R_ITEM: usize = 32;
const R_REPLACED: usize = 36;

@inline export function resultCas(): u64 { return load<u64>(resultBlock(), ResultOffset.CAS); }
@inline export function setResultCas(v: u64): void { store<u64>(resultBlock(), v, ResultOffset.CAS); }
@inline export function resultNumber(): u64 { return load<u64>(resultBlock(), ResultOffset.NUMBER); }
@inline export function setResultNumber(v: u64): void { store<u64>(resultBlock(), v, ResultOffset.NUMBER); }
@inline export function setResultValue(addr: usize, len: u32, flags: u32): void {
  store<u32>(resultBlock(), <u32>addr, ResultOffset.VALUE);
  store<u32>(resultBlock(), len, ResultOffset.LEN);
  store<u32>(resultBlock(), flags, ResultOffset.FLAGS);
}
@inline export function resultItem(): usize { return load<u32>(resultBlock(), R_ITEM); }
@inline export function resultReplaced(): bool { return load<u8>(resultBlock(), R_REPLACED) != 0; }
@inline export function setResultItem(it: usize, replaced: bool): void {
  store<u32>(resultBlock(), <u32>it, R_ITEM);
  store<u8>(resultBlock(), replaced ? 1 : 0, R_REPLACED);
}
