// Number formatting and parsing for the terminal, the summary and the report.

export const MB = 1024 * 1024;

export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function mb(bytes: number | null | undefined): string {
  return bytes == null ? "-" : (bytes / MB).toFixed(1);
}

export function fmtRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return "-";
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k`;
  return perSec.toFixed(0);
}

/** 1000000 → "1M", 20000 → "20k" */
export function fmtCount(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

export function fmtMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

export function fmtUs(us: number): string {
  return us >= 1000 ? fmtMs(us / 1000) : `${us.toFixed(0)} µs`;
}

/** Parses "1000000", "1e6", "100k", "5M". */
export function parseCount(text: string): number {
  const m = /^\s*([0-9.e+]+)\s*([kKmM]?)\s*$/.exec(text);
  if (!m) throw new Error(`not a count: ${text}`);
  const mult = m[2] === "" ? 1 : m[2].toLowerCase() === "k" ? 1e3 : 1e6;
  const v = Math.round(Number(m[1]) * mult);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`not a count: ${text}`);
  return v;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
