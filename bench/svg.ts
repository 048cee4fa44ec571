// Two kinds of chart as inline SVG, so the report is one self-contained file: grouped bars
// (categories × series, a value missing where a run failed, labelled with why) and x/y plots
// (lines or dots, optionally log-scaled, with shaded spans of x).

export interface BarSeries {
  name: string;
  color: string;
  /** one per category; null when there is no value */
  values: Array<number | null>;
  /** one per category: shown in place of a missing bar ("out of heap", "n/a") */
  missing?: Array<string | null>;
}

export interface BarChart {
  id: string;
  title: string;
  yLabel: string;
  categories: string[];
  series: BarSeries[];
  logY?: boolean;
  format: (v: number) => string;
}

export interface PlotSeries {
  name: string;
  color: string;
  points: Array<[number, number]>;
  style: "line" | "dots";
}

export interface Plot {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  logY?: boolean;
  /** shaded x ranges, e.g. the phases of a run */
  spans?: Array<{ from: number; to: number; label: string }>;
  xFormat: (v: number) => string;
  yFormat: (v: number) => string;
}

const WIDTH = 760;
const HEIGHT = 320;
const MARGIN = { left: 76, right: 16, top: 34, bottom: 64 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const TICKS = 5;
const LEGEND_ROW = 16;
const LEGEND_ITEM_W = 150;
const BAR_GAP = 0.2;      // of a category's width, between categories
const DOT_R = 2.5;
// lines with this few points also get a dot at each, so single measurements stay visible
const MARKED_LINE_POINTS = 20;
const SPAN_LABEL_STEP = 13;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]!));
}

interface Scale {
  at(v: number): number;
  ticks: number[];
}

function niceStep(span: number): number {
  const raw = span / TICKS;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function linearScale(lo: number, hi: number, pixels: number, flip: boolean): Scale {
  if (!(hi > lo)) hi = lo + 1;
  const step = niceStep(hi - lo);
  const first = Math.floor(lo / step) * step;
  const last = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  // toPrecision drops the binary noise of repeated addition (0.15000000000000002)
  for (let i = 0; first + i * step <= last + step / 2; i++) ticks.push(Number((first + i * step).toPrecision(12)));
  const at = (v: number) => {
    const f = (v - first) / (last - first);
    return flip ? pixels * (1 - f) : pixels * f;
  };
  return { at, ticks };
}

// The bottom decade lies below the smallest value, so even that one gets a visible bar.
function logScale(lo: number, hi: number, pixels: number, flip: boolean): Scale {
  const a = Math.ceil(Math.log10(lo)) - 1;
  const b = Math.max(a + 1, Math.ceil(Math.log10(hi)));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) ticks.push(10 ** e);
  const at = (v: number) => {
    const f = (Math.log10(Math.max(v, 10 ** a)) - a) / (b - a);
    return flip ? pixels * (1 - f) : pixels * f;
  };
  return { at, ticks };
}

function yScale(values: number[], log: boolean | undefined): Scale {
  const finite = values.filter((v) => Number.isFinite(v));
  const positive = finite.filter((v) => v > 0);
  if (log) {
    return logScale(positive.length ? Math.min(...positive) : 1, positive.length ? Math.max(...positive) : 10, PLOT_H, true);
  }
  return linearScale(0, finite.length ? Math.max(...finite) : 1, PLOT_H, true);
}

function frame(id: string, title: string, body: string[], legend: Array<{ name: string; color: string }>): string {
  const rows = Math.ceil(legend.length / Math.floor(PLOT_W / LEGEND_ITEM_W));
  const height = HEIGHT + Math.max(0, rows - 1) * LEGEND_ROW;
  const perRow = Math.floor(PLOT_W / LEGEND_ITEM_W);
  const items = legend.map((l, i) => {
    const x = MARGIN.left + (i % perRow) * LEGEND_ITEM_W;
    const y = HEIGHT - 14 + Math.floor(i / perRow) * LEGEND_ROW;
    return `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${l.color}"/>` +
      `<text x="${x + 14}" y="${y}" class="legend">${escapeXml(l.name)}</text>`;
  });
  return `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" ` +
    `width="${WIDTH}" height="${height}" role="img">` +
    `<title>${escapeXml(title)}</title><text x="${MARGIN.left}" y="18" class="title">${escapeXml(title)}</text>` +
    body.join("") + items.join("") + "</svg>";
}

function yAxis(s: Scale, label: string, format: (v: number) => string): string {
  const lines = s.ticks.map((v) => {
    const y = MARGIN.top + s.at(v);
    return `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y}" y2="${y}" class="grid"/>` +
      `<text x="${MARGIN.left - 6}" y="${y + 4}" class="tick" text-anchor="end">${escapeXml(format(v))}</text>`;
  });
  const mid = MARGIN.top + PLOT_H / 2;
  return lines.join("") +
    `<text transform="translate(14 ${mid}) rotate(-90)" class="axis" text-anchor="middle">${escapeXml(label)}</text>`;
}

export function barChart(c: BarChart): string {
  const all = c.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const y = yScale(all, c.logY);
  const groupW = PLOT_W / Math.max(1, c.categories.length);
  const barW = (groupW * (1 - BAR_GAP)) / Math.max(1, c.series.length);
  const base = MARGIN.top + PLOT_H;
  const body: string[] = [yAxis(y, c.yLabel, c.format)];
  c.categories.forEach((cat, ci) => {
    const gx = MARGIN.left + ci * groupW + (groupW * BAR_GAP) / 2;
    body.push(`<text x="${MARGIN.left + (ci + 0.5) * groupW}" y="${base + 16}" class="tick" text-anchor="middle">${escapeXml(cat)}</text>`);
    c.series.forEach((s, si) => {
      const x = gx + si * barW;
      const v = s.values[ci];
      if (v === null || !Number.isFinite(v)) {
        const why = s.missing?.[ci] ?? "n/a";
        body.push(`<text transform="translate(${x + barW / 2 + 4} ${base - 4}) rotate(-90)" class="missing">${escapeXml(why)}</text>`);
        return;
      }
      const top = MARGIN.top + y.at(v);
      body.push(`<rect x="${x}" y="${top}" width="${Math.max(1, barW - 1)}" height="${Math.max(0, base - top)}" fill="${s.color}">` +
        `<title>${escapeXml(`${s.name}, ${cat}: ${c.format(v)}`)}</title></rect>`);
    });
  });
  body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${base}" y2="${base}" class="axisline"/>`);
  return frame(c.id, c.title, body, c.series);
}

export function plot(p: Plot): string {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x)).concat((p.spans ?? []).flatMap((s) => [s.from, s.to]));
  const ys = p.series.flatMap((s) => s.points.map(([, v]) => v));
  const x = linearScale(xs.length ? Math.min(0, ...xs) : 0, xs.length ? Math.max(...xs) : 1, PLOT_W, false);
  const y = yScale(ys, p.logY);
  const px = (v: number) => (MARGIN.left + x.at(v)).toFixed(1);
  const py = (v: number) => (MARGIN.top + y.at(v)).toFixed(1);
  const base = MARGIN.top + PLOT_H;
  const body: string[] = [];
  (p.spans ?? []).forEach((s, i) => {
    const width = Math.max(0, x.at(s.to) - x.at(s.from)).toFixed(1);
    body.push(`<rect x="${px(s.from)}" y="${MARGIN.top}" width="${width}" height="${PLOT_H}" class="span"/>` +
      `<text x="${Number(px(s.from)) + 4}" y="${MARGIN.top + SPAN_LABEL_STEP * (i + 1)}" class="spanlabel">${escapeXml(s.label)}</text>`);
  });
  body.push(yAxis(y, p.yLabel, p.yFormat));
  for (const v of x.ticks) {
    body.push(`<text x="${px(v)}" y="${base + 16}" class="tick" text-anchor="middle">${escapeXml(p.xFormat(v))}</text>`);
  }
  body.push(`<text x="${MARGIN.left + PLOT_W / 2}" y="${base + 32}" class="axis" text-anchor="middle">${escapeXml(p.xLabel)}</text>`);
  for (const s of p.series) {
    const pts = s.points.filter(([, v]) => Number.isFinite(v) && (!p.logY || v > 0));
    if (s.style === "line" && pts.length) {
      const line = pts.map(([a, b]) => `${px(a)},${py(b)}`).join(" ");
      body.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${line}"/>`);
    }
    if (s.style === "dots" || pts.length <= MARKED_LINE_POINTS) {
      body.push(pts.map(([a, b]) => `<circle cx="${px(a)}" cy="${py(b)}" r="${DOT_R}" fill="${s.color}"/>`).join(""));
    }
  }
  body.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${base}" y2="${base}" class="axisline"/>`);
  return frame(p.id, p.title, body, p.series);
}
