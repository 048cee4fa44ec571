// The two value-size distributions every part of the suite uses: a fixed 100 bytes, and a mixed
// set whose length depends only on the key number, so the in-process runs (TypeScript) and the
// load generator (bench/loadgen.c, `-v MIN-MAX`) store exactly the same data set.

export interface ValueSizes {
  name: "fixed" | "mixed";
  /** smallest length; for "mixed" a power of two */
  min: number;
  /** largest length + 1 for "mixed" (a power of two); equal to min for "fixed" */
  max: number;
  label: string;
}

const FIXED_VALUE_LEN = 100;
export const FIXED: ValueSizes = { name: "fixed", min: FIXED_VALUE_LEN, max: FIXED_VALUE_LEN, label: "100 B values" };
// Six octaves, each as likely: small values dominate the count, large ones the bytes, as in
// most caches; every slab class from ~96 B to ~2.5 KiB gets items.
export const MIXED: ValueSizes = { name: "mixed", min: 32, max: 2048, label: "32 B – 2 KiB values, even over octaves" };

const DISTRIBUTIONS = [FIXED, MIXED];

/** lowbias32 (Chris Wellons), as in loadgen.c. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Key number k's value length: an octave [lo, 2 lo) picked by one hash, a point in it by another. */
export function valueLength(d: ValueSizes, k: number): number {
  if (d.min === d.max) return d.min;
  const octaves = Math.log2(d.max / d.min);
  const h = mix32(k >>> 0);
  const lo = d.min * 2 ** (h % octaves);
  return lo + (mix32(h) % lo);
}

/** The mean length, for sizing caches: each octave [lo, 2 lo) has mean lo + (lo − 1) / 2. */
export function meanLength(d: ValueSizes): number {
  if (d.min === d.max) return d.min;
  const octaves = Math.log2(d.max / d.min);
  let sum = 0;
  for (let e = 0; e < octaves; e++) sum += 1.5 * d.min * 2 ** e - 0.5;
  return sum / octaves;
}

/** The load generator's -v argument. */
export function loadgenSizes(d: ValueSizes): string {
  return d.min === d.max ? String(d.min) : `${d.min}-${d.max}`;
}

export function byName(name: string): ValueSizes {
  const d = DISTRIBUTIONS.find((x) => x.name === name);
  if (!d) throw new Error(`unknown value distribution ${name}`);
  return d;
}
