// Copies between regions that do not overlap. Short ones (keys, small values, reply pieces)
// are copied here eight bytes at a time: engines compile memory.copy into a call out of the
// module to the C library's memmove, which costs more than the copy itself at these sizes.
const INLINE_COPY_MAX: u32 = 256;
const WORD: usize = 8;

@inline export function copyDisjoint(dst: usize, src: usize, n: u32): void {
  if (n > INLINE_COPY_MAX) {
    memory.copy(dst, src, n);
    return;
  }
  const end = <usize>n;
  let i: usize = 0;
  for (; i + WORD <= end; i += WORD) store<u64>(dst + i, load<u64>(src + i));
  for (; i < end; i++) store<u8>(dst + i, load<u8>(src + i));
}
