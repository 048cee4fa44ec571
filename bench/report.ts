// The report: one self-contained HTML page (inline SVG and CSS, nothing fetched) with the goals
// first and a chart for every part, and a markdown summary of the same tables.
import type { Results } from "./results.js";
import * as charts from "./charts.js";
import { escapeXml } from "./svg.js";
import { engineTable, goalsTable, memoryTable, serverTable, timelineTable, verdict, type Table } from "./tables.js";
import { PHASES } from "./engine.js";
import { fmtCount } from "./format.js";
import { GOAL_ITEMS } from "./goals.js";

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1560px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.meta { color: #555; } .quick { background: #fff3cd; padding: 6px 10px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; vertical-align: top; } th { background: #f4f4f4; }
td.num { text-align: right; white-space: nowrap; }
.met { background: #d4edda; } .missed { background: #f8d7da; } .notjudged { background: #eee; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
svg.chart { background: #fff; border: 1px solid #eee; }
svg .title { font-size: 14px; font-weight: 600; } svg .tick, svg .legend { font-size: 11px; fill: #444; }
svg .axis { font-size: 12px; fill: #333; } svg .grid { stroke: #eee; } svg .axisline { stroke: #888; }
svg .missing { font-size: 10px; fill: #b00; } svg .span { fill: #f2f6fb; } svg .spanlabel { font-size: 11px; fill: #667; }
`;

function htmlTable(t: Table, rowClass?: (row: string[]) => string): string {
  const head = `<tr>${t.headers.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr>`;
  const rows = t.rows.map((r) => `<tr${rowClass ? ` class="${rowClass(r)}"` : ""}>` +
    r.map((c, i) => `<td${t.numeric[i] ? ' class="num"' : ""}>${escapeXml(c)}</td>`).join("") + "</tr>");
  return `<table>${head}${rows.join("")}</table>`;
}

function mdTable(t: Table): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  return [`| ${t.headers.map(cell).join(" | ")} |`, `|${t.numeric.map((n) => (n ? "---:" : "---")).join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

const chartRow = (svgs: string[]) => `<div class="charts">${svgs.join("")}</div>`;

/** The fixed size nearest the goals' 5M: the one whose GC pauses are drawn over time. */
function focusSize(sizes: number[]): number {
  return [...sizes].sort((a, b) => Math.abs(a - GOAL_ITEMS) - Math.abs(b - GOAL_ITEMS))[0];
}

function engineHtml(r: Results): string {
  const e = r.engine;
  if (!e) return "";
  return `<h2>1. Engines in process</h2>
<p>Each engine stores N items (16-byte keys), then serves ${fmtCount(e.config.ops)} random gets and ${fmtCount(e.config.ops)} random
overwrites. Every (engine, size) runs in its own process with <code>--max-old-space-size=${e.config.heapMb}</code>; a run that
exhausts the heap, hits the Map limit or exceeds ${e.config.timeoutS} s is shown as such instead of a bar.</p>
${chartRow(PHASES.map((p) => charts.engineThroughput(e, p)))}
${chartRow([charts.engineRss(e), charts.engineHeap(e), charts.engineBytesPerItem(e)])}
${chartRow([...e.config.sizes.map((n) => charts.engineGcHistogram(e, n)), charts.engineGcTimeline(e, focusSize(e.config.sizes))])}
${htmlTable(engineTable(e))}`;
}

function serverHtml(r: Results): string {
  const s = r.server;
  if (!s) return "";
  return `<h2>2. Servers over ${s.config.tls ? "TLS" : "TCP"}</h2>
<p>${s.config.connections} connections, ${fmtCount(s.config.keys)} keys of ${s.config.valueLength} B, ${s.config.rounds} round(s) of
${s.config.warmupS} s warm-up + ${s.config.durationS} s per workload and target, targets taking turns. Throughput is the median over
rounds; latencies are over all rounds' requests; "vs ${escapeXml(s.baseline)}" is the median of per-round ratios.</p>
${chartRow([charts.serverThroughput(s), ...s.workloads.map((w) => charts.serverLatency(s, w.name))])}
${htmlTable(serverTable(s))}`;
}

function timelineHtml(r: Results): string {
  const t = r.timeline;
  if (!t) return "";
  const c = t.config;
  return `<h2>2b. Latency over time with a full cache</h2>
<p>Each target alone with <code>-m ${c.memoryMb}</code>: ${fmtCount(c.items)} sets of ${c.valueLength} B values (${c.fillDepth}-deep,
${c.connections} connections), then ${c.runS} s of 90/10 get/set at depth 1. Red dots are the server's own GC pauses (Node targets).</p>
${chartRow(t.targets.filter((x) => x.points.length).map((x) => charts.timeline(x, t)))}
${htmlTable(timelineTable(t))}`;
}

function memoryHtml(r: Results): string {
  const m = r.memory;
  if (!m) return "";
  return `<h2>3. Memory per item</h2>
<p>Each server alone with <code>-m ${m.config.memoryMb}</code>: RSS idle, then after setting the data set; the growth divided by
the items its <code>stats</code> holds.</p>
${chartRow([charts.memoryPerItem(m)])}
${htmlTable(memoryTable(m))}`;
}

function metaHtml(r: Results): string {
  const m = r.machine;
  const src = r.source.commit ? `${r.source.commit.slice(0, 12)}${r.source.dirty.length ? " + uncommitted changes" : ""}` : "unknown";
  return `<p class="meta">${escapeXml(r.date)} · <code>${escapeXml(r.command)}</code><br>
${escapeXml(m.cpuModel)}, ${m.nproc} cores, ${m.totalMemGiB} GiB, ${escapeXml(m.platform)} ${escapeXml(m.kernel)}; node ${m.node}
(V8 ${m.v8}); ${escapeXml(m.memcached ?? "no memcached")}; load average ${m.loadAvg} at the start · source ${escapeXml(src)}</p>`;
}

export function reportHtml(r: Results): string {
  const goalClass = (row: string[]) => ({ met: "met", missed: "missed" }[row[3]] ?? "notjudged");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wasmcached benchmarks, ${escapeXml(r.date)}</title><style>${CSS}</style></head>
<body>
<h1>wasmcached benchmarks</h1>
${metaHtml(r)}
${r.quick ? '<p class="quick">Quick run (CI): tiny sizes and one short round. It shows the suite works; its numbers mean nothing.</p>' : ""}
<h2>Targets</h2>
${htmlTable(goalsTable(r.goals), goalClass)}
${engineHtml(r)}
${serverHtml(r)}
${timelineHtml(r)}
${memoryHtml(r)}
</body></html>
`;
}

export function summaryMarkdown(r: Results): string {
  const parts: string[] = [
    `# wasmcached benchmarks, ${r.date}`, "",
    `command: \`${r.command}\``, "",
    `machine: ${r.machine.cpuModel}, ${r.machine.nproc} cores, ${r.machine.totalMemGiB} GiB; node ${r.machine.node}; ` +
      `${r.machine.memcached ?? "no memcached"}; load average ${r.machine.loadAvg} at the start; ` +
      `source ${r.source.commit?.slice(0, 12) ?? "unknown"}`,
    "", "## Targets", "", mdTable(goalsTable(r.goals)),
  ];
  if (r.engine) parts.push("", "## Engines in process", "", mdTable(engineTable(r.engine)));
  if (r.server) parts.push("", `## Servers over ${r.server.config.tls ? "TLS" : "TCP"}`, "", mdTable(serverTable(r.server)));
  if (r.timeline) parts.push("", "## Latency timeline with a full cache", "", mdTable(timelineTable(r.timeline)));
  if (r.memory) parts.push("", "## Memory per item", "", mdTable(memoryTable(r.memory)));
  return parts.join("\n") + "\n";
}

export function goalLines(r: Results): string[] {
  return r.goals.map((g) => `${verdict(g).toUpperCase().padEnd(10)} ${g.name}: ${g.goal} — ${g.measured}${g.note ? ` (${g.note})` : ""}`);
}
