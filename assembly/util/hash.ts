// MurmurHash3 x86_32 with seed 0: memcached's default `hash_algorithm=murmur3`.
// Keys are hashed in place (raw bytes in linear memory); wasm loads are little-endian, which
// is the byte order the reference implementation reads its 4-byte blocks in.

const C1: u32 = 0xcc9e2d51;
const C2: u32 = 0x1b873593;
const ROUND_ADD: u32 = 0xe6546b64;
const FMIX1: u32 = 0x85ebca6b;
const FMIX2: u32 = 0xc2b2ae35;

@inline function mixK(k: u32): u32 {
  k *= C1;
  k = rotl<u32>(k, 15);
  return k * C2;
}

export function hash(key: usize, len: u32): u32 {
  let h: u32 = 0;
  const blocks = len >> 2;
  for (let i: u32 = 0; i < blocks; i++) {
    h ^= mixK(load<u32>(key + (<usize>i << 2)));
    h = rotl<u32>(h, 13);
    h = h * 5 + ROUND_ADD;
  }
  const tail = key + (<usize>blocks << 2);
  let k: u32 = 0;
  switch (len & 3) {
    case 3: k ^= <u32>load<u8>(tail, 2) << 16;
    case 2: k ^= <u32>load<u8>(tail, 1) << 8;
    case 1: k ^= <u32>load<u8>(tail);
      h ^= mixK(k);
  }
  h ^= len;
  h ^= h >> 16;
  h *= FMIX1;
  h ^= h >> 13;
  h *= FMIX2;
  h ^= h >> 16;
  return h;
}
