// The checksum a saved cache image carries (memcached's restart.c leaves one as a TODO).
//
// XXH64's stripe rounds: four independent 64-bit lanes over 32-byte stripes keep several
// multiplies in flight, so a 3 GiB arena is summed in about a second inside the core, the same
// on every runtime. Sections are whole u64 words (the image is made of them), so there is no
// byte tail. Not a cryptographic hash: it catches torn writes, flipped bits and truncation,
// not an attacker who can write the file.
const P1: u64 = 0x9E3779B185EBCA87;
const P2: u64 = 0xC2B2AE3D27D4EB4F;
const P3: u64 = 0x165667B19E3779F9;
const P4: u64 = 0x85EBCA77C2B2AE63;
const P5: u64 = 0x27D4EB2F165667C5;
const STRIPE: usize = 32;
const WORD: usize = 8;

@inline function round(acc: u64, lane: u64): u64 {
  return rotl<u64>(acc + lane * P2, 31) * P1;
}

@inline function merge(h: u64, acc: u64): u64 {
  return (h ^ round(0, acc)) * P1 + P4;
}

@inline function avalanche(h: u64): u64 {
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  return h ^ (h >> 32);
}

// `len` bytes at `at` (a multiple of 8), continuing from `seed` (0 for the first section).
export function checksumRange(at: usize, len: usize, seed: u64): u64 {
  let a: u64 = seed + P1 + P2;
  let b: u64 = seed + P2;
  let c: u64 = seed;
  let d: u64 = seed - P1;
  const stripes = at + (len & ~(STRIPE - 1));
  let p = at;
  for (; p < stripes; p += STRIPE) {
    a = round(a, load<u64>(p));
    b = round(b, load<u64>(p, 8));
    c = round(c, load<u64>(p, 16));
    d = round(d, load<u64>(p, 24));
  }
  let h = rotl<u64>(a, 1) + rotl<u64>(b, 7) + rotl<u64>(c, 12) + rotl<u64>(d, 18);
  h = merge(merge(merge(merge(h, a), b), c), d) + <u64>len;
  for (const end = at + len; p < end; p += WORD) {
    h ^= round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P1 + P4;
  }
  return avalanche(h ^ P5);
}
