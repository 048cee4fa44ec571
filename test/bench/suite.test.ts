// The benchmark suite's quick mode, end to end: every part runs, the result file has every
// section filled in, and the report is one self-contained page holding every chart. Speed is
// not judged here; that the suite works is.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/servers.js";
import type { Results } from "../../bench/results.js";
import { fmtCount } from "../../bench/format.js";

const SUITE = join(REPO_ROOT, "dist/bench/suite.js");
const SUITE_LIMIT_MS = 150_000;
const ENGINES = ["wasm", "js", "lru-cache"];
const OUTCOMES = ["ok", "out of heap", "map limit", "timeout", "failed"];
const CHARTS = [
  "engine-throughput-fill", "engine-throughput-get", "engine-throughput-overwrite", "engine-rss", "engine-heap",
  "engine-bytes-per-item", "engine-gc-timeline", "server-throughput", "server-latency-depth1",
  "server-latency-pipeline16", "server-latency-multiget10", "timeline-wasmcached", "timeline-memcached",
  "memory-rss-per-item",
];

interface Run { code: number | null; stderr: string }

function runSuite(out: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SUITE, "--quick", "--out", out], { cwd: REPO_ROOT, timeout: SUITE_LIMIT_MS, maxBuffer: 1 << 24 },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stderr }));
  });
}

describe("bench: the quick suite (npm run bench -- --quick)", function () {
  this.timeout(SUITE_LIMIT_MS + 10_000);
  let dir: string;
  let run: Run;
  let results: Results;
  let html: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-bench-"));
    run = await runSuite(dir);
    results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as Results;
    html = readFileSync(join(dir, "report.html"), "utf8");
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 0 and reports its progress", () => {
    expect(run.code, run.stderr.slice(-3000)).to.equal(0);
    for (const part of ["engine", "server", "timeline", "memory"]) expect(run.stderr).to.include(`── ${part}`);
  });

  it("runs every engine at every size, the WASM engine and lru-cache to the end", () => {
    const e = results.engine!;
    const groups = e.config.sizes.length + 1;
    expect(e.runs).to.have.length(ENGINES.length * groups);
    for (const r of e.runs) {
      expect(OUTCOMES).to.include(r.status);
      if (r.engine === "js") continue;
      expect(r.status, `${r.engine} ${r.items} ${r.values}: ${r.error}`).to.equal("ok");
      expect(r.problems).to.deep.equal([]);
      expect(r.phases.map((p) => p.name)).to.deep.equal(["fill", "get", "overwrite"]);
      for (const p of r.phases) expect(p.opsPerSec).to.be.above(0);
      expect(r.memory!.rssPerItem).to.be.a("number");
      expect(r.storedItems).to.equal(r.items);
    }
  });

  it("measures every workload on wasmcached and memcached, with latency percentiles", () => {
    const s = results.server!;
    expect(s.workloads.map((w) => w.name)).to.deep.equal(["depth1", "pipeline16", "multiget10", "paced"]);
    for (const w of s.workloads) {
      for (const t of ["wasmcached", "memcached"]) {
        const x = w.summary[t]!;
        expect(x.rps, `${w.name} ${t}`).to.be.above(0);
        expect(x.latencyUs.p50).to.be.at.most(x.latencyUs.p99);
        expect(x.latencyUs.p99).to.be.at.most(x.latencyUs.max);
      }
      expect(w.vsBaseline["wasmcached/memcached"].ratio).to.be.above(0);
    }
  });

  it("runs the do-nothing Node server on single-key workloads, and paces at half of memcached's depth-1 rate", () => {
    const s = results.server!;
    const served = s.workloads.filter((w) => "node-floor" in w.rounds).map((w) => w.name);
    expect(served).to.deep.equal(["depth1", "pipeline16", "paced"]);
    for (const w of s.workloads.filter((x) => served.includes(x.name))) {
      const floor = w.summary["node-floor"]!;
      expect(floor.rps, w.name).to.be.above(0);
      expect(floor.reqPerCpuS, w.name).to.be.above(0);
    }
    const paced = s.workloads.find((w) => w.name === "paced")!;
    expect(paced.rate).to.be.closeTo(s.workloads[0].summary.memcached!.rps / 2, 1);
    // paced, no server is sent more than the rate asked for, whatever it could do flat out
    for (const t of ["wasmcached", "memcached"]) expect(paced.summary[t]!.rps).to.be.within(1, paced.rate! * 1.25);
  });

  it("draws a latency timeline with the WASM server's GC pauses beside it", () => {
    const w = results.timeline!.targets.find((x) => x.name === "wasmcached")!;
    expect(w.status, w.error).to.equal("ok");
    expect(w.points.length).to.be.above(10);
    expect(w.run!.startS).to.be.at.least(w.fill!.endS);
    expect(w.gc).to.not.equal(null);
    const m = results.timeline!.targets.find((x) => x.name === "memcached")!;
    expect(m.points.length).to.be.above(10);
    expect(m.gc).to.equal(null);
  });

  it("measures RSS per item of wasmcached and memcached for both data sets", () => {
    const m = results.memory!;
    expect(m.runs).to.have.length(4);
    for (const r of m.runs) {
      expect(r.status, `${r.target} ${r.values}: ${r.error}`).to.equal("ok");
      expect(r.storedItems).to.equal(r.items);
      expect(r.rssPerItem).to.be.a("number");
    }
  });

  it("lists every target, none judged in a quick run", () => {
    expect(results.goals.length).to.be.at.least(4);
    for (const g of results.goals) expect(g.met).to.equal(null);
  });

  it("writes a self-contained report with every chart", () => {
    for (const id of CHARTS) expect(html, id).to.match(new RegExp(`<svg id="${id}"[^>]*>[\\s\\S]*?</svg>`));
    for (const n of results.engine!.config.sizes) expect(html).to.include(`<svg id="engine-gc-histogram-${fmtCount(n)}"`);
    expect(html).to.not.match(/<script|<link|\ssrc=|href="http/);
    expect(readFileSync(join(dir, "summary.md"), "utf8")).to.include("## Targets");
  });
});
