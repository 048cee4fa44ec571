// `npm run bench`: the whole benchmark suite, WASM against JS. It runs the parts in turn with
// progress on stderr, then writes results.json, report.html (charts) and summary.md (tables).
//
//   npm run bench                          everything, ~10 min on 2 cores
//   npm run bench -- --quick               tiny sizes, one short round: proves the suite works (CI)
//   npm run bench -- --parts server --targets wasmcached-deno,wasmcached-bun,wasmcached
//   npm run bench -- --help
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_ENGINES, ENGINE_FULL, ENGINE_QUICK, runEnginePart, type EngineSection } from "./engine.js";
import { ENGINES, type EngineName } from "./engine-subjects.js";
import { evaluateGoals } from "./goals.js";
import { compileLoadgen } from "./loadgen.js";
import { machineInfo, sourceInfo } from "./machine.js";
import { MEMORY_FULL, MEMORY_QUICK, MEMORY_TARGETS, runMemoryPart } from "./memory.js";
import { Progress } from "./progress.js";
import { goalLines, reportHtml, summaryMarkdown } from "./report.js";
import { PARTS, type PartName, type Results } from "./results.js";
import {
  baselineBroken, DEFAULT_KEYS, runServerPart, SERVER_FULL, SERVER_QUICK, validateTargets, validateWorkloads, WORKLOADS,
} from "./server.js";
import { DEFAULT_WASMCACHED_CMD, installCleanup, isFloor, NODE_FLOOR, ROOT, stopAll, WASMCACHED, WASMCACHED_JS } from "./servers.js";
import { runTimelinePart, TIMELINE_FULL, TIMELINE_QUICK } from "./timeline.js";
import { fmtCount, parseCount } from "./format.js";
import { coreWasmUrl } from "../host/wasm.js";

const DEFAULT_OUT = path.join(ROOT, "bench/results/tmp");
const DEFAULT_TARGETS = [NODE_FLOOR, WASMCACHED, WASMCACHED_JS, "memcached"];

const HELP = `usage: npm run bench [-- options]     (node dist/bench/suite.js [options])

  --quick               tiny sizes and one short round: checks the suite works, in well under a minute
  --out DIR             where results.json, report.html and summary.md go (default bench/results/tmp)
  --parts LIST          ${PARTS.join(",")} (default all)

engine part (in process)
  --engines LIST        ${ENGINES.join(",")} (default all)
  --sizes LIST          item counts of the 100 B runs (default ${ENGINE_FULL.sizes.map(fmtCount).join(",")})
  --mixed-items N       item count of the mixed-size runs (default ${fmtCount(ENGINE_FULL.mixedItems)})
  --ops N               random gets and overwrites per run (default ${fmtCount(ENGINE_FULL.ops)})
  --engine-timeout S    a run still going after S seconds is recorded as "timeout" (default ${ENGINE_FULL.timeoutS})
  --heap-mb N           --max-old-space-size of every engine run (default ${ENGINE_FULL.heapMb})
  --seed N              PRNG seed of the random key orders (default 1)

server and timeline parts (over TCP)
  --targets LIST        servers, the last one the baseline (default ${DEFAULT_TARGETS.join(",")});
                        also wasmcached-deno, wasmcached-bun, wasmcached-base and
                        wasmcached-bun-base (see --base-dir), and
                        any name starting with "memcached" (its own memcached: memcached2,memcached
                        checks the harness); a name ending in @tN runs N worker threads
                        (wasmcached@t4,memcached@t4), one without it; ${NODE_FLOOR}, deno-floor,
                        bun-floor and bun-listen-floor are a server that does nothing but answer
                        (node:net on Node, Deno and Bun; Bun.listen; single-key workloads only)
  --workloads LIST      ${WORKLOADS.map((w) => w.name).join(",")} (default all; handshake needs --tls;
                        paced runs at half the baseline's depth1 req/s and needs depth1 before it)
  --keys N              keys preloaded and requested (default ${fmtCount(DEFAULT_KEYS)})
  --rounds N            rounds per workload (default ${SERVER_FULL.rounds})
  --duration S          measured seconds per run (default ${SERVER_FULL.durationS})
  --warmup S            unmeasured seconds before each run (default ${SERVER_FULL.warmupS})
  --wasmcached-cmd CMD  the Node wasmcached command; {port}, {mb} and {user} are filled in
                        (default: ${DEFAULT_WASMCACHED_CMD}; also $WASMCACHED_CMD)
  --base-dir DIR        a built checkout of another commit, for the wasmcached-base and
                        wasmcached-bun-base targets
  --tls                 the server part over TLS: every target with -Z (a fresh self-signed
                        RSA 2048 certificate), the load generator with -T, plus the handshake
                        workload

Exit status 1 when the harness failed (memcached or the WASM engine did not run cleanly);
missed targets are findings in the report, never a failure.`;

interface Options {
  quick: boolean;
  out: string;
  parts: PartName[];
  engines: EngineName[];
  sizes?: number[];
  mixedItems?: number;
  ops?: number;
  engineTimeoutS?: number;
  heapMb?: number;
  seed: number;
  targets: string[];
  workloads: string[];
  rounds?: number;
  durationS?: number;
  warmupS?: number;
  wasmcachedCmd: string;
  baseDir?: string;
  tls: boolean;
  keys?: number;
}

function list<T extends string>(text: string | undefined, known: readonly T[], what: string): T[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  for (const x of items) if (!known.includes(x as T)) throw new Error(`unknown ${what} ${x}; known: ${known.join(", ")}`);
  return items as T[];
}

function positive(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(n > 0)) throw new Error(`${what} must be a positive number, got ${text}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values: v } = parseArgs({
    args: argv, strict: true,
    options: {
      quick: { type: "boolean", default: false }, out: { type: "string" }, parts: { type: "string" },
      engines: { type: "string" }, sizes: { type: "string" }, "mixed-items": { type: "string" }, ops: { type: "string" },
      "engine-timeout": { type: "string" }, "heap-mb": { type: "string" }, seed: { type: "string" }, targets: { type: "string" },
      workloads: { type: "string" }, rounds: { type: "string" }, duration: { type: "string" }, warmup: { type: "string" },
      "wasmcached-cmd": { type: "string" }, "base-dir": { type: "string" }, tls: { type: "boolean", default: false },
      keys: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(HELP);
    process.exit(0);
  }
  // The do-nothing server speaks no TLS.
  const targets = v.targets?.split(",").map((s) => s.trim()).filter(Boolean) ?? DEFAULT_TARGETS.filter((t) => !v.tls || !isFloor(t));
  validateTargets(targets);
  if (v.tls && targets.some(isFloor)) throw new Error("the do-nothing servers serve no TLS");
  const warmup = v.warmup === undefined ? undefined : Number(v.warmup);
  if (warmup !== undefined && !(warmup >= 0)) throw new Error(`--warmup must be a number >= 0, got ${v.warmup}`);
  return {
    quick: v.quick!, out: path.resolve(v.out ?? DEFAULT_OUT),
    parts: list(v.parts, PARTS, "part") ?? [...PARTS],
    engines: list(v.engines, ENGINES, "engine") ?? DEFAULT_ENGINES,
    sizes: v.sizes?.split(",").map(parseCount), mixedItems: v["mixed-items"] ? parseCount(v["mixed-items"]) : undefined,
    ops: v.ops ? parseCount(v.ops) : undefined, engineTimeoutS: positive(v["engine-timeout"], "--engine-timeout"),
    heapMb: positive(v["heap-mb"], "--heap-mb"),
    seed: v.seed ? Number(v.seed) : 1, targets,
    workloads: workloadsFor(v.workloads, v.tls!),
    rounds: positive(v.rounds, "--rounds"), durationS: positive(v.duration, "--duration"), warmupS: warmup,
    wasmcachedCmd: v["wasmcached-cmd"] ?? process.env.WASMCACHED_CMD ?? DEFAULT_WASMCACHED_CMD,
    baseDir: v["base-dir"] === undefined ? undefined : path.resolve(v["base-dir"]),
    tls: v.tls!, keys: v.keys ? parseCount(v.keys) : undefined,
  };
}

function workloadsFor(text: string | undefined, tls: boolean): string[] {
  const chosen = list(text, WORKLOADS.map((w) => w.name), "workload");
  const tlsOnly = WORKLOADS.filter((w) => w.tlsOnly).map((w) => w.name);
  if (!chosen) return WORKLOADS.filter((w) => tls || !w.tlsOnly).map((w) => w.name);
  const needTls = chosen.filter((w) => tlsOnly.includes(w));
  if (needTls.length && !tls) throw new Error(`workload ${needTls.join(", ")} needs --tls`);
  validateWorkloads(chosen);
  return chosen;
}

function commandLine(argv: string[]): string {
  const quoted = argv.map((a) => (/[\s"'{}]/.test(a) ? JSON.stringify(a) : a));
  return process.env.npm_lifecycle_event === "bench"
    ? ["npm run bench", ...(argv.length ? ["--", ...quoted] : [])].join(" ")
    : ["node dist/bench/suite.js", ...quoted].join(" ");
}

async function timed<T>(part: PartName, o: Options, seconds: Results["seconds"], progress: Progress,
                        run: () => Promise<T>): Promise<T | null> {
  if (!o.parts.includes(part)) return null;
  progress.line(`── ${part}`);
  const t0 = Date.now();
  const r = await run();
  seconds[part] = Math.round((Date.now() - t0) / 100) / 10;
  return r;
}

const TCP_PARTS: PartName[] = ["server", "timeline", "memory"];

async function runParts(o: Options, progress: Progress, seconds: Results["seconds"]) {
  if (o.parts.some((p) => TCP_PARTS.includes(p))) compileLoadgen();
  const e = o.quick ? ENGINE_QUICK : ENGINE_FULL;
  const s = o.quick ? SERVER_QUICK : SERVER_FULL;
  const engine = await timed("engine", o, seconds, progress, () => runEnginePart({
    engines: o.engines, sizes: o.sizes ?? e.sizes, mixedItems: o.mixedItems ?? e.mixedItems, ops: o.ops ?? e.ops,
    heapMb: o.heapMb ?? e.heapMb, timeoutS: o.engineTimeoutS ?? e.timeoutS, seed: o.seed,
  }, progress));
  const server = await timed("server", o, seconds, progress, () => runServerPart({
    targets: o.targets, workloads: o.workloads, rounds: o.rounds ?? s.rounds, durationS: o.durationS ?? s.durationS,
    warmupS: o.warmupS ?? s.warmupS, wasmcachedCmd: o.wasmcachedCmd, baseDir: o.baseDir, tls: o.tls, keys: o.keys,
  }, progress));
  // The do-nothing server stores nothing: it has no timeline to show.
  const timeline = await timed("timeline", o, seconds, progress, () => runTimelinePart({
    ...(o.quick ? TIMELINE_QUICK : TIMELINE_FULL), targets: o.targets.filter((t) => !isFloor(t)), wasmcachedCmd: o.wasmcachedCmd,
  }, progress));
  const memory = await timed("memory", o, seconds, progress, () => runMemoryPart({
    ...(o.quick ? MEMORY_QUICK : MEMORY_FULL), targets: MEMORY_TARGETS, wasmcachedCmd: o.wasmcachedCmd,
  }, progress));
  return { engine, server, timeline, memory };
}

/** The WASM engine must run cleanly at every size: if not, the harness or the engine is broken. */
function wasmBroken(e: EngineSection | null): boolean {
  return !!e?.runs.some((r) => r.engine === "wasm" && (r.status !== "ok" || r.problems.length > 0));
}

// Indented, but with arrays of numbers (histogram buckets, timeline points, GC pauses) on one
// line each: a committed result stays readable in a diff without running to tens of thousands
// of lines.
function resultJson(r: Results): string {
  return JSON.stringify(r, null, 1).replace(/\[[\s\d.,eE+-]*\]/g, (a) => a.replace(/\s+/g, "")) + "\n";
}

function write(o: Options, r: Results): void {
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, "results.json"), resultJson(r));
  fs.writeFileSync(path.join(o.out, "report.html"), reportHtml(r));
  fs.writeFileSync(path.join(o.out, "summary.md"), summaryMarkdown(r));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const o = parseOptions(argv);
  installCleanup();
  const progress = new Progress();
  const machine = machineInfo();
  progress.line(`wasmcached benchmarks${o.quick ? " (quick)" : ""}: ${o.parts.join(", ")}; ${machine.nproc} cores, load ${machine.loadAvg}`);
  const seconds: Results["seconds"] = {};
  const sections = await runParts(o, progress, seconds);
  const results: Results = {
    suite: "wasmcached-bench", version: 1, quick: o.quick, date: new Date().toISOString(), command: commandLine(argv),
    machine, source: sourceInfo(ROOT, coreWasmUrl("release")), seconds,
    goals: evaluateGoals({ quick: o.quick, ...sections }), ...sections,
  };
  write(o, results);
  progress.line("targets:");
  for (const line of goalLines(results)) progress.line(`  ${line}`);
  progress.line(`wrote ${path.join(o.out, "results.json")}, report.html and summary.md`);
  const broken = wasmBroken(sections.engine) || (sections.server !== null && baselineBroken(sections.server));
  return broken ? 1 : 0;
}

main().then((code) => process.exit(code), async (e: Error) => {
  console.error(`bench: ${e.message}`);
  await stopAll();
  process.exit(1);
});
