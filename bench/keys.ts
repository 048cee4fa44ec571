// Keys for the in-process runs and the seeded PRNG that orders them.

export const KEY_LEN = 16;

/** Writes key number i ("k" + 15 decimal digits, 16 printable bytes) at buf[o, o + 16). */
export function writeKey(buf: Uint8Array, o: number, i: number): void {
  buf[o] = 0x6b; // "k"
  let v = i;
  for (let d = KEY_LEN - 1; d >= 1; d--) {
    buf[o + d] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
}

/** mulberry32: a small seeded PRNG, u32 outputs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform key number in [0, n). */
export function randomKey(next: () => number, n: number): number {
  return Math.floor((next() / 4294967296) * n);
}
