// Server benchmark (issue 3): the same C load generator (bench/loadgen.c) against wasmcached and
// against Debian's memcached -t 1, in one run, reporting wasmcached/memcached ratios. wasmcached
// on Deno and on Bun (issue 7) are targets too, so the three runtimes meet the same load in one run.
//
// Absolute numbers on this shared 2-core machine swing by about ±20% between rounds, so the
// targets are ratios, the targets run alternately (ABBA) so noise hits both, and each figure is
// the median over rounds. The load generator takes one core; the server gets the other.
//
// The reported ratio is the median over rounds of the two targets' back-to-back ratio.
//
//   npm run bench:server [-- --quick] [--targets wasmcached,memcached] [--rounds N] ...
//   npm run bench:server -- --targets wasmcached-deno,wasmcached-bun,wasmcached
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const LOADGEN_SRC = path.join(ROOT, "bench/loadgen.c");
const LOADGEN_BIN = path.join(ROOT, "bench/results/tmp/loadgen");
const RESULTS_DIR = path.join(ROOT, "bench/results");

const HOST = "127.0.0.1";
const MEMORY_MB = 1024;
const CONNECTIONS = 32;
const KEYS = 10_000;
const VALUE_LEN = 100;
const SET_PCT = 10;
const MULTIGET_KEYS = 10;
const PIPELINE_DEPTH = 16;
const PRELOAD_DEPTH = 16;

// Noise on this machine comes in bursts of seconds (other sessions' builds and tests): more,
// shorter rounds give the paired-ratio median more chances to see both targets in calm periods.
const FULL = { warmupS: 1, durationS: 3, rounds: 5 };
const QUICK = { warmupS: 0.3, durationS: 1, rounds: 1 };

const START_TIMEOUT_MS = 15_000;   // node startup plus wasm compilation on a busy machine
const PORT_POLL_MS = 50;
const STOP_GRACE_MS = 2_000;
// loadgen bounds itself (connect 5 s, drain 2 s); this is the backstop if it hangs anyway
const LOADGEN_SLACK_MS = 15_000;
const STDERR_KEEP = 4_000;
// generous: 10k sets take well under a second even on a starved machine (loadgen gives up at 30 s)
const PRELOAD_BUDGET_S = 30;

// {user} becomes "-u nobody" when we are root: both servers refuse to run as root without -u
const SERVER_FLAGS = `-p {port} -U 0 -m ${MEMORY_MB} {user}`;
const DEFAULT_WASMCACHED_CMD = `node dist/host/cli.js ${SERVER_FLAGS}`;
const RUN_AS = "nobody";
const SUBJECT = "wasmcached";
const DEFAULT_TARGETS = [SUBJECT, "memcached"];
// The same server on the other runtimes, as `npm run start:deno` / `start:bun` start it (env
// execs deno: the process group and its CPU time stay the server's).
const RUNTIME_CMDS: Record<string, string> = {
  "wasmcached-deno": `env DENO_NO_UPDATE_CHECK=1 node_modules/.bin/deno run -A dist/host/deno/main.js ${SERVER_FLAGS}`,
  "wasmcached-bun": `node_modules/.bin/bun dist/host/bun/main.js ${SERVER_FLAGS}`,
};

interface Workload {
  name: string;
  label: string;
  args: string[];
  /** the issue's target for the ratio subject/baseline */
  minRatio: number;
}

const WORKLOADS: Workload[] = [
  { name: "depth1", label: "90% get / 10% set, depth 1", minRatio: 0.8,
    args: ["-m", "mix", "-d", "1", "-s", String(SET_PCT)] },
  { name: "pipeline16", label: `90% get / 10% set, ${PIPELINE_DEPTH}-deep pipeline`, minRatio: 4.0,
    args: ["-m", "mix", "-d", String(PIPELINE_DEPTH), "-s", String(SET_PCT)] },
  { name: "multiget10", label: `${MULTIGET_KEYS}-key multi-get, depth 1`, minRatio: 1.0,
    args: ["-m", "multiget", "-d", "1", "-g", String(MULTIGET_KEYS)] },
];

interface Options {
  quick: boolean;
  strict: boolean;
  targets: string[];
  wasmcachedCmd: string;
  workloads: Workload[];
  rounds: number;
  warmupS: number;
  durationS: number;
  out?: string;
}

interface LoadgenResult {
  rps: number;
  requests: number;
  keys_per_s: number;
  hits: number;
  misses: number;
  error_replies: number;
  bad_replies: number;
  failed_connections: number;
  unanswered: number;
  latency_us: { p50: number; p99: number; p999: number; max: number };
  [k: string]: unknown;
}

interface RunOutcome {
  round?: number;
  ok: boolean;
  result?: LoadgenResult;
  error?: string;
  /** CPU the server's process group used during the whole loadgen run (warmup included) */
  server_cpu_s?: number;
  /** server CPU / wall time: below ~0.9 at depth 1 means the server was starved, not slow */
  server_cores?: number;
  /** all replies (warmup included) per server CPU-second: far less sensitive to machine noise */
  req_per_cpu_s?: number;
}

interface Target {
  name: string;
  command: string[];
  port: number;
  child?: ChildProcess;
  stderr: string;
  exited?: string;
  failure?: string;
}

// ---------- command line ----------

function usage(): never {
  console.log(`usage: node dist/bench/server.js [options]
  --quick                 ${QUICK.durationS} s per workload, ${QUICK.rounds} round (CI)
  --targets a,b[,c...]    targets to compare (default ${DEFAULT_TARGETS.join(",")}); the last one is
                          the baseline: the ratio is a/b, and with more targets each is also
                          reported against the last.
                          "${SUBJECT}" runs --wasmcached-cmd (Node); ${Object.keys(RUNTIME_CMDS).join(" and ")}
                          run the same server on those runtimes; any name starting with
                          "memcached" is its own memcached -t 1 instance, so
                          --targets memcached2,memcached checks the harness (ratio ~1.0)
  --wasmcached-cmd CMD    server command; {port} is replaced, {user} becomes "-u ${RUN_AS}" when
                          running as root (default: ${DEFAULT_WASMCACHED_CMD})
                          also read from $WASMCACHED_CMD
  --workloads a,b         subset of ${WORKLOADS.map((w) => w.name).join(",")} (default all)
  --rounds N              rounds per workload (default ${FULL.rounds}); figures are medians
  --duration S            measured seconds per run (default ${FULL.durationS})
  --warmup S              unmeasured seconds before each run (default ${FULL.warmupS})
  --out FILE              JSON output (default bench/results/server-<date>[-quick].json)
  --strict                exit 3 if a target ratio is missed or ${SUBJECT} did not run`);
  process.exit(0);
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const base = quick ? QUICK : FULL;
  const o: Options = {
    quick, strict: false, targets: DEFAULT_TARGETS,
    wasmcachedCmd: process.env.WASMCACHED_CMD || DEFAULT_WASMCACHED_CMD, workloads: WORKLOADS, ...base,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--quick") continue;
    else if (a === "--strict") o.strict = true;
    else if (a === "--targets") o.targets = next().split(",").map((s) => s.trim()).filter(Boolean);
    else if (a === "--wasmcached-cmd") o.wasmcachedCmd = next();
    else if (a === "--rounds") o.rounds = Math.ceil(positive(next(), a));
    else if (a === "--workloads") o.workloads = pickWorkloads(next());
    else if (a === "--duration") o.durationS = positive(next(), a);
    else if (a === "--warmup") o.warmupS = nonNegative(next(), a);
    else if (a === "--out") o.out = path.resolve(next());
    else if (a === "--help" || a === "-h") usage();
    else throw new Error(`unknown option ${a} (try --help)`);
  }
  validateTargets(o.targets);
  return o;
}

function pickWorkloads(list: string): Workload[] {
  return list.split(",").map((name) => {
    const w = WORKLOADS.find((x) => x.name === name.trim());
    if (!w) throw new Error(`unknown workload ${name}; known: ${WORKLOADS.map((x) => x.name).join(", ")}`);
    return w;
  });
}

function positive(s: string, what: string): number {
  const n = Number(s);
  if (!(n > 0)) throw new Error(`${what} must be a positive number, got ${s}`);
  return n;
}

function nonNegative(s: string, what: string): number {
  const n = Number(s);
  if (!(n >= 0)) throw new Error(`${what} must be a number >= 0, got ${s}`);
  return n;
}

function validateTargets(targets: string[]): void {
  if (targets.length < 1) throw new Error("--targets takes at least one name");
  if (new Set(targets).size !== targets.length) throw new Error("--targets names must differ");
  for (const t of targets) {
    if (t !== SUBJECT && !RUNTIME_CMDS[t] && !isMemcached(t)) throw new Error(`unknown target ${t}`);
  }
}

function isMemcached(name: string): boolean {
  return name.startsWith("memcached");
}

// ---------- processes ----------

const started: Target[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function commandFor(name: string, port: number, o: Options): string[] {
  const user = process.getuid?.() === 0 ? ["-u", RUN_AS] : [];
  const wasmcached = name === SUBJECT ? o.wasmcachedCmd : RUNTIME_CMDS[name];
  if (wasmcached) {
    return wasmcached.replaceAll("{port}", String(port)).replaceAll("{user}", user.join(" "))
      .split(/\s+/).filter(Boolean);
  }
  return ["memcached", ...user, "-t", "1", "-U", "0", "-l", HOST, "-p", String(port), "-m", String(MEMORY_MB)];
}

function spawnTarget(t: Target): void {
  const [cmd, ...args] = t.command;
  // own process group, so stopping it also stops anything it forked
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ["ignore", "ignore", "pipe"] });
  t.child = child;
  started.push(t);
  child.stderr?.on("data", (d: Buffer) => {
    if (t.stderr.length < STDERR_KEEP) t.stderr = (t.stderr + d.toString()).slice(0, STDERR_KEEP);
  });
  child.on("error", (e) => { t.exited = `could not be spawned: ${e.message}`; });
  child.on("exit", (code, sig) => { t.exited ??= `exited (code ${code}, signal ${sig})`; });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => { s.destroy(); resolve(false); });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPort(t: Target): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (t.exited) throw new Error(t.exited);
    if (await canConnect(t.port)) return;
    await sleep(PORT_POLL_MS);
  }
  throw new Error(`did not accept connections on port ${t.port} within ${START_TIMEOUT_MS / 1000} s`);
}

async function startTarget(name: string, o: Options): Promise<Target> {
  const port = await freePort();
  const t: Target = { name, port, command: commandFor(name, port, o), stderr: "" };
  spawnTarget(t);
  try {
    await waitForPort(t);
  } catch (e) {
    t.failure = describeFailure(t, (e as Error).message);
  }
  return t;
}

const STDERR_LINES_SHOWN = 8;

function describeFailure(t: Target, why: string): string {
  // the first lines carry the cause (a Node error prints its message before the stack)
  const lines = t.stderr.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, STDERR_LINES_SHOWN);
  return lines.length ? `${why}\n    stderr: ${lines.join("\n            ")}` : why;
}

async function stopTarget(t: Target): Promise<void> {
  const child = t.child;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  killGroup(child.pid, "SIGTERM");
  await Promise.race([gone, sleep(STOP_GRACE_MS)]);
  if (child.exitCode === null && child.signalCode === null) killGroup(child.pid, "SIGKILL");
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(-pid, sig); } catch { /* already gone */ }
}

function installCleanup(): void {
  // last resort: never leave a server of ours running after the harness dies
  process.on("exit", () => {
    for (const t of started) {
      if (t.child?.pid && t.child.exitCode === null && t.child.signalCode === null) killGroup(t.child.pid, "SIGKILL");
    }
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
}

// ---------- load generator ----------

function compileLoadgen(): void {
  fs.mkdirSync(path.dirname(LOADGEN_BIN), { recursive: true });
  const r = spawnSync("gcc", ["-O2", "-Wall", "-Wextra", "-o", LOADGEN_BIN, LOADGEN_SRC], { encoding: "utf8" });
  if (r.error) throw new Error(`gcc could not be run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`compiling ${LOADGEN_SRC} failed:\n${r.stderr}`);
}

function commonArgs(port: number): string[] {
  return ["-H", HOST, "-p", String(port), "-c", String(CONNECTIONS), "-k", String(KEYS), "-v", String(VALUE_LEN)];
}

function runLoadgen(args: string[], budgetS: number): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = spawn(LOADGEN_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout.on("data", (d: Buffer) => { out += d; });
    child.stderr.on("data", (d: Buffer) => { err = (err + d).slice(-STDERR_KEEP); });
    const timer = setTimeout(() => child.kill("SIGKILL"), budgetS * 1000 + LOADGEN_SLACK_MS);
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      resolve(loadgenOutcome(out, err, code, sig));
    });
  });
}

function loadgenOutcome(out: string, err: string, code: number | null, sig: string | null): RunOutcome {
  const line = out.trim().split("\n").pop() ?? "";
  let result: LoadgenResult | undefined;
  try { result = line ? JSON.parse(line) as LoadgenResult : undefined; } catch { /* reported below */ }
  const errText = err.trim().split("\n").slice(-5).join("; ");
  if (code === 0 && result) return { ok: true, result };
  const why = sig ? `killed by ${sig}` : code === 2 ? "server misbehaved" : `exit code ${code}`;
  return { ok: false, result, error: `${why}${errText ? `: ${errText}` : ""}` };
}

async function preload(t: Target): Promise<RunOutcome> {
  return runLoadgen([...commonArgs(t.port), "-m", "preload", "-d", String(PRELOAD_DEPTH)], PRELOAD_BUDGET_S);
}

async function measure(t: Target, w: Workload, o: Options): Promise<RunOutcome> {
  const args = [...commonArgs(t.port), ...w.args, "-t", String(o.durationS), "-w", String(o.warmupS)];
  const cpu0 = groupCpuSeconds(t.child?.pid), wall0 = Date.now();
  const r = await runLoadgen(args, o.warmupS + o.durationS);
  const cpu = groupCpuSeconds(t.child?.pid) - cpu0, wall = (Date.now() - wall0) / 1000;
  if (t.exited) return { ok: false, result: r.result, error: describeFailure(t, `server ${t.exited}`) };
  const replies = r.result?.all_replies;
  return { ...r, server_cpu_s: cpu, server_cores: cpu / wall,
    req_per_cpu_s: typeof replies === "number" && cpu > 0 ? replies / cpu : undefined };
}

const CLOCK_TICKS = 100; // USER_HZ, fixed at 100 on Linux for /proc/*/stat

/** User+system CPU of every process in the group (a server may fork helpers). */
function groupCpuSeconds(pgid: number | undefined): number {
  if (!pgid) return NaN;
  let ticks = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8"); } catch { continue; }
    // fields after the parenthesised command: state ppid pgrp ... utime(14) stime(15)
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / CLOCK_TICKS;
}

// ---------- statistics ----------

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Summary {
  rps: number;
  keys_per_s: number;
  latency_us: { p50: number; p99: number; p999: number; max: number };
  rounds_ok: number;
  rounds_failed: number;
  hit_ratio: number;
  server_cores: number;
  req_per_cpu_s: number;
}

function summarize(runs: RunOutcome[]): Summary | undefined {
  const good = runs.filter((r) => r.ok && r.result);
  const ok = good.map((r) => r.result as LoadgenResult);
  if (ok.length === 0) return undefined;
  const med = (f: (r: LoadgenResult) => number) => median(ok.map(f));
  const hits = ok.reduce((s, r) => s + r.hits, 0), misses = ok.reduce((s, r) => s + r.misses, 0);
  return {
    rps: med((r) => r.rps),
    keys_per_s: med((r) => r.keys_per_s),
    latency_us: {
      p50: med((r) => r.latency_us.p50), p99: med((r) => r.latency_us.p99),
      p999: med((r) => r.latency_us.p999), max: Math.max(...ok.map((r) => r.latency_us.max)),
    },
    rounds_ok: ok.length,
    rounds_failed: runs.length - ok.length,
    hit_ratio: hits + misses > 0 ? hits / (hits + misses) : NaN,
    server_cores: median(good.map((r) => r.server_cores ?? NaN)),
    req_per_cpu_s: median(good.map((r) => r.req_per_cpu_s ?? NaN)),
  };
}

// ---------- the run ----------

interface WorkloadReport {
  name: string;
  label: string;
  min_ratio: number;
  runs: Record<string, RunOutcome[]>;
  summary: Record<string, Summary | undefined>;
  /** the headline pair: the first target over the last (the baseline), e.g. "wasmcached/memcached" */
  ratio_of?: string;
  /** median over rounds of subject rps / baseline rps within the round */
  ratio?: number;
  ratio_of_medians?: number;
  round_ratios?: number[];
  /** the same for requests per server CPU-second */
  cpu_efficiency_ratio?: number;
  pass?: boolean;
  /** with three or more targets, keyed "a/baseline": every target but the baseline, over it */
  vs_baseline?: Record<string, Comparison>;
}

interface Comparison {
  ratio: number;
  ratio_of_medians: number;
  round_ratios: number[];
  cpu_efficiency_ratio?: number;
}

/** ABBA order, for any number of targets: each goes first as often, by round and by workload. */
function orderFor(targets: Target[], workloadIdx: number, round: number): Target[] {
  const k = (workloadIdx + round) % targets.length;
  return [...targets.slice(k), ...targets.slice(0, k)];
}

async function runWorkload(w: Workload, idx: number, targets: Target[], o: Options): Promise<WorkloadReport> {
  const runs: Record<string, RunOutcome[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (const t of orderFor(targets, idx, round)) {
      if (t.failure) continue;
      const r = { round, ...await measure(t, w, o) };
      runs[t.name].push(r);
      logRun(w, round, t, r);
      if (t.exited) t.failure = r.error;
    }
  }
  const summary = Object.fromEntries(targets.map((t) => [t.name, summarize(runs[t.name])]));
  return { name: w.name, label: w.label, min_ratio: w.minRatio, runs, summary, ...ratios(w, targets, runs, summary) };
}

function ratios(w: Workload, targets: Target[], runs: Record<string, RunOutcome[]>,
                summary: Record<string, Summary | undefined>): Partial<WorkloadReport> {
  if (targets.length < 2) return {};
  const names = targets.map((t) => t.name);
  const base = names[names.length - 1];
  const head = compare(names[0], base, runs, summary);
  const report: Partial<WorkloadReport> = head
    ? { ratio_of: `${names[0]}/${base}`, ...head, pass: head.ratio >= w.minRatio }
    : {};
  if (names.length > 2) {
    report.vs_baseline = {};
    for (const n of names.slice(0, -1)) {
      const c = compare(n, base, runs, summary);
      if (c) report.vs_baseline[`${n}/${base}`] = c;
    }
  }
  return report;
}

function compare(a: string, b: string, runs: Record<string, RunOutcome[]>,
                 summary: Record<string, Summary | undefined>): Comparison | undefined {
  const sa = summary[a], sb = summary[b];
  if (!sa || !sb) return undefined;
  // Each round runs the targets back to back, so a round's ratio cancels slow drifts in
  // machine load; the median of those drops the rounds a burst of noise hit on one side only.
  const roundRatios = pairedRatios(runs[a], runs[b], (r) => r.result?.rps);
  const efficiency = pairedRatios(runs[a], runs[b], (r) => r.req_per_cpu_s);
  return { ratio: roundRatios.length ? median(roundRatios) : sa.rps / sb.rps, ratio_of_medians: sa.rps / sb.rps,
    round_ratios: roundRatios, cpu_efficiency_ratio: efficiency.length ? median(efficiency) : undefined };
}

function pairedRatios(as: RunOutcome[], bs: RunOutcome[], f: (r: RunOutcome) => number | undefined): number[] {
  const out: number[] = [];
  for (const ra of as) {
    const rb = bs.find((x) => x.round === ra.round);
    const x = ra.ok ? f(ra) : undefined, y = rb?.ok ? f(rb) : undefined;
    if (x !== undefined && y !== undefined && Number.isFinite(x / y)) out.push(x / y);
  }
  return out;
}

function logRun(w: Workload, round: number, t: Target, r: RunOutcome): void {
  const head = `  ${w.name.padEnd(10)} round ${round + 1}  ${t.name.padEnd(NAME_WIDTH)}`;
  if (r.ok && r.result) {
    const l = r.result.latency_us;
    console.log(`${head} ${fmtRate(r.result.rps)} req/s  p50 ${fmtUs(l.p50)}  p99 ${fmtUs(l.p99)}` +
      `  server ${(r.server_cores ?? NaN).toFixed(2)} cores`);
  } else {
    console.log(`${head} FAILED: ${r.error}`);
  }
}

// ---------- report ----------

const NAME_WIDTH = 15; // "wasmcached-deno"
const fmtRatio = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(2)}x`).padStart(6);

/** A PASS/MISS verdict only means something for wasmcached on Node against memcached. */
function judged(ratioOf: string | undefined): boolean {
  const [a, b] = (ratioOf ?? "").split("/");
  return a === SUBJECT && isMemcached(b ?? "");
}

function fmtRate(n: number): string {
  return Number.isFinite(n) ? `${(n / 1000).toFixed(1)}k`.padStart(8) : "       -";
}

function fmtUs(n: number | undefined): string {
  return n === undefined ? "-" : n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${n.toFixed(0)} us`;
}

function printReport(reports: WorkloadReport[], targets: Target[]): void {
  console.log("\nresults (medians over rounds; latency from the load generator, upper bucket edge)");
  for (const r of reports) {
    console.log(`\n${r.name}: ${r.label}`);
    for (const t of targets) {
      const s = r.summary[t.name];
      if (!s) { console.log(`  ${t.name.padEnd(NAME_WIDTH)} not measured${t.failure ? " (failed)" : ""}`); continue; }
      const l = s.latency_us;
      console.log(`  ${t.name.padEnd(NAME_WIDTH)} ${fmtRate(s.rps)} req/s  p50 ${fmtUs(l.p50)}  p99 ${fmtUs(l.p99)}` +
        `  p99.9 ${fmtUs(l.p999)}  max ${fmtUs(l.max)}  hits ${(s.hit_ratio * 100).toFixed(1)}%` +
        `  server ${s.server_cores.toFixed(2)} cores, ${fmtRate(s.req_per_cpu_s).trim()} req/cpu-s`);
    }
    if (r.ratio !== undefined) {
      const verdict = judged(r.ratio_of) ? ` (target >= ${r.min_ratio}x)  ${r.pass ? "PASS" : "MISS"}` : "";
      console.log(`  ratio ${r.ratio_of} = ${r.ratio.toFixed(2)}x${verdict}` +
        `  per round: ${r.round_ratios?.map((x) => x.toFixed(2)).join(", ")}`);
      if (r.cpu_efficiency_ratio !== undefined) {
        console.log(`  requests per server CPU-second ${r.ratio_of} = ${r.cpu_efficiency_ratio.toFixed(2)}x`);
      }
    }
  }
  printRatioSummary(reports);
  printBaselineSummary(reports);
}

function printRatioSummary(reports: WorkloadReport[]): void {
  const ratioOf = reports.find((r) => r.ratio_of)?.ratio_of;
  if (!ratioOf) return;
  console.log(`\n${ratioOf}, median of per-round ratios: throughput (the target) and req per server CPU-s`);
  for (const r of reports) {
    const verdict = judged(r.ratio_of) ? `  target >= ${String(r.min_ratio).padEnd(3)} ${r.pass ? "PASS" : "MISS"}` : "";
    console.log(`  ${r.name.padEnd(11)} ${fmtRatio(r.ratio)}${verdict}  cpu ${fmtRatio(r.cpu_efficiency_ratio)}`);
  }
}

function printBaselineSummary(reports: WorkloadReport[]): void {
  if (!reports.some((r) => r.vs_baseline)) return;
  console.log("\nevery target over the baseline, median of per-round ratios: throughput and req per server CPU-s");
  for (const r of reports) {
    for (const [pair, c] of Object.entries(r.vs_baseline ?? {})) {
      console.log(`  ${r.name.padEnd(11)} ${pair.padEnd(2 * NAME_WIDTH + 1)} ${fmtRatio(c.ratio)}  cpu ${fmtRatio(c.cpu_efficiency_ratio)}` +
        `  per round: ${c.round_ratios.map((x) => x.toFixed(2)).join(", ")}`);
    }
  }
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return (r.stdout || r.stderr || "").trim();
}

function outputPath(o: Options): string {
  const date = new Date().toISOString().slice(0, 10);
  // a harness check (e.g. memcached2 vs memcached) must not overwrite the real comparison
  const pair = o.targets.join(",") === DEFAULT_TARGETS.join(",") ? "" : `-${o.targets.join("-vs-")}`;
  return o.out ?? path.join(RESULTS_DIR, `server-${date}${pair}${o.quick ? "-quick" : ""}.json`);
}

function writeJson(file: string, o: Options, targets: Target[], reports: WorkloadReport[]): void {
  const doc = {
    benchmark: "server",
    date: new Date().toISOString(),
    quick: o.quick,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version,
      memcached: tool("memcached", ["-V"]), gcc: tool("gcc", ["-dumpversion"]) },
    config: { connections: CONNECTIONS, keys: KEYS, key_len: 16, value_len: VALUE_LEN, set_pct: SET_PCT,
      multiget_keys: MULTIGET_KEYS, pipeline_depth: PIPELINE_DEPTH, rounds: o.rounds,
      warmup_s: o.warmupS, duration_s: o.durationS, memory_mb: MEMORY_MB },
    targets: targets.map((t) => ({ name: t.name, command: t.command.join(" "), failure: t.failure })),
    ratio: targets.length >= 2 ? `${targets[0].name}/${targets[targets.length - 1].name}` : null,
    workloads: reports,
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + "\n");
}

// ---------- main ----------

async function startAll(o: Options): Promise<Target[]> {
  const targets: Target[] = [];
  for (const name of o.targets) {
    const t = await startTarget(name, o);
    if (!t.failure) {
      const p = await preload(t);
      if (!p.ok) t.failure = describeFailure(t, `preload of ${KEYS} keys failed: ${p.error}`);
    }
    if (t.failure) announceFailure(t);
    else console.log(`${t.name}: ${t.command.join(" ")}  (port ${t.port}, ${KEYS} keys preloaded)`);
    targets.push(t);
  }
  return targets;
}

function announceFailure(t: Target): void {
  const hint = !isMemcached(t.name)
    ? `\n  (is it built? npm run build; or point --wasmcached-cmd / $WASMCACHED_CMD at the server)` +
      `\n  continuing with the other targets; no ratios against this one can be computed.`
    : "";
  console.log(`\n*** ${t.name} could not be benchmarked: ${t.command.join(" ")}\n  ${t.failure}${hint}\n`);
}

function exitCode(o: Options, targets: Target[], reports: WorkloadReport[]): number {
  // a memcached that failed means the harness or the machine is broken, whatever --strict says
  const baselineBroken = targets.some((t) => isMemcached(t.name) &&
    (t.failure || reports.some((r) => r.runs[t.name]?.some((run) => !run.ok))));
  if (baselineBroken) return 1;
  if (!o.strict) return 0;
  const subject = targets.find((t) => t.name === SUBJECT);
  const missed = reports.some((r) => r.pass !== true);
  return !subject || subject.failure || missed ? 3 : 0;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  installCleanup();
  compileLoadgen();
  console.log(`server benchmark: ${CONNECTIONS} connections, ${KEYS} keys x ${VALUE_LEN} B, ` +
    `${o.rounds} round(s) x (${o.warmupS} s warmup + ${o.durationS} s) per workload and target\n`);
  try {
    const all = await startAll(o);
    // a target that failed to start is left out, and with it the ratios
    const live = all.filter((t) => !t.failure);
    if (live.length === 0) throw new Error("no target could be started");
    const reports: WorkloadReport[] = [];
    for (const [i, w] of o.workloads.entries()) reports.push(await runWorkload(w, i, live, o));
    printReport(reports, all);
    const file = outputPath(o);
    writeJson(file, o, all, reports);
    console.log(`\nwrote ${path.relative(ROOT, file)}`);
    return exitCode(o, all, reports);
  } finally {
    await Promise.all(started.map(stopTarget));
  }
}

main().then((code) => process.exit(code), (e: Error) => {
  console.error(`bench:server: ${e.message}`);
  process.exit(1);
});
