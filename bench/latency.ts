// Latency and pause distributions, kept in HdrHistograms (hdr-histogram-js): the load
// generator's bucket counts, merged over rounds, and GC pause durations both become one.
import * as hdr from "hdr-histogram-js";

/** [upper edge in ns, count], as the load generator prints its buckets. */
export type Buckets = Array<[number, number]>;

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

// 3 significant digits: 0.1% resolution, well inside the load generator's 6.25% buckets.
const SIGNIFICANT_DIGITS = 3;

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  return hdr.build({ numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, useWebAssembly: false });
}

/** A histogram in ns from load generator buckets. */
export function fromBuckets(buckets: Buckets, into: Histogram = newHistogram()): Histogram {
  for (const [upper, count] of buckets) into.recordValueWithCount(Math.max(1, Math.round(upper)), count);
  return into;
}

/**
 * Percentiles of a histogram, divided by `unit` (1000: ns → µs). `exactMax` replaces the
 * histogram's max, which is only as exact as its bucket.
 */
export function percentiles(h: Histogram, unit: number, exactMax?: number): Percentiles {
  const at = (p: number) => round3(h.getValueAtPercentile(p) / unit);
  return {
    count: h.totalCount,
    p50: at(50),
    p99: at(99),
    p999: at(99.9),
    max: round3((exactMax ?? h.maxValue) / unit),
  };
}

export interface PauseSummary {
  count: number;
  totalMs: number;
  maxMs: number;
  p99Ms: number;
  /** pauses longer than 5 ms, the GC target's bound */
  over5ms: number;
}

export const PAUSE_BOUND_MS = 5;
const US_PER_MS = 1000;

/** Count, total, max and p99 of pause durations in ms. */
export function pauseSummary(durationsMs: number[]): PauseSummary {
  const h = newHistogram();
  let total = 0;
  let max = 0;
  for (const d of durationsMs) {
    h.recordValue(Math.max(1, Math.round(d * US_PER_MS)));
    total += d;
    max = Math.max(max, d);
  }
  return {
    count: durationsMs.length,
    totalMs: round3(total),
    maxMs: round3(max),
    p99Ms: durationsMs.length ? round3(h.getValueAtPercentile(99) / US_PER_MS) : 0,
    over5ms: durationsMs.filter((d) => d > PAUSE_BOUND_MS).length,
  };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
