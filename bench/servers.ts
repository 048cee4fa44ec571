// The servers under test: how each target is started, found ready, asked for its stats and
// memory, and stopped. Each runs in its own process group so stopping it stops anything it
// forked, and a last-resort exit hook never leaves one running after the harness dies.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const HOST = "127.0.0.1";
const GC_PROBE = fileURLToPath(new URL("./gc-probe.js", import.meta.url));

export const WASMCACHED = "wasmcached";
export const WASMCACHED_JS = "wasmcached-js";
// A server that does nothing but answer (no storage, static replies of a hit's size): what the
// runtime's sockets alone cost per request, the floor for wasmcached's host (issue 17). The
// node:net one on Node, Deno and Bun, and one on Bun's own Bun.listen.
export const NODE_FLOOR = "node-floor";
// How Deno and Bun are run, as `npm run start:deno` / `start:bun` run them (env execs deno: the
// process group and its CPU time stay the server's).
const DENO = "env DENO_NO_UPDATE_CHECK=1 node_modules/.bin/deno run -A";
const BUN = "node_modules/.bin/bun";
const NET_FLOOR = "bench/calibration/echo-server.mjs";
const FLOORS: Record<string, string> = {
  [NODE_FLOOR]: `node ${NET_FLOOR}`,
  "deno-floor": `${DENO} ${NET_FLOOR}`,
  "bun-floor": `${BUN} ${NET_FLOOR}`,
  "bun-listen-floor": `${BUN} bench/calibration/bun-listen-floor.mjs`,
};
const RUN_AS = "nobody";
// {port}, {mb} and {user} are filled in; {user} becomes "-u nobody" when we are root, as both
// servers refuse to run as root without -u.
const SERVER_FLAGS = "-p {port} -U 0 -m {mb} {user}";
export const DEFAULT_WASMCACHED_CMD = `node dist/host/cli.js ${SERVER_FLAGS}`;
/** The same, with --perf-basic-prof: perf can name the JIT code (JS functions, wasm-function[N]). */
export const PROFILED_WASMCACHED_CMD = `node --perf-basic-prof dist/host/cli.js ${SERVER_FLAGS}`;
const OTHER_WASMCACHED: Record<string, string> = {
  [WASMCACHED_JS]: `node dist/host/cli.js --engine js ${SERVER_FLAGS}`,
  "wasmcached-deno": `${DENO} dist/host/deno/main.js ${SERVER_FLAGS}`,
  "wasmcached-bun": `${BUN} dist/host/bun/main.js ${SERVER_FLAGS}`,
  // Another checkout, built (--base-dir): an earlier commit measured side by side with this one.
  "wasmcached-base": `node {base}/dist/host/cli.js ${SERVER_FLAGS}`,
  "wasmcached-bun-base": `${BUN} {base}/dist/host/bun/main.js ${SERVER_FLAGS}`,
};
// A target's worker threads: "memcached@t4", "wasmcached@t2". Without the suffix one thread,
// so that the comparisons kept from before threads stay one core against one core.
const THREADS_SUFFIX = /@t([1-9]\d*)$/;
const DEFAULT_THREADS = 1;

const START_TIMEOUT_MS = 15_000;   // node startup plus wasm compilation on a busy machine
const PORT_POLL_MS = 50;
const STOP_GRACE_MS = 2_000;
const STDERR_KEEP = 4_000;
const STDERR_LINES_SHOWN = 8;
const STATS_TIMEOUT_MS = 5_000;
const CLOCK_TICKS = 100; // USER_HZ, fixed at 100 on Linux for /proc/*/stat
const KB = 1024;

export interface TargetOptions {
  memoryMb: number;
  /** the Node wasmcached command (placeholders as in DEFAULT_WASMCACHED_CMD) */
  wasmcachedCmd: string;
  /** Node servers: record GC pauses into this file (bench/gc-probe.ts) */
  gcLog?: string;
  /** the checkout the "wasmcached-base" target runs */
  baseDir?: string;
  /** more server flags, the same for every target (--tls: -Z and its certificate) */
  extraArgs?: string[];
}

export type TargetStatus = "ok" | "failed";

export interface Target {
  name: string;
  command: string[];
  port: number;
  child?: ChildProcess;
  stderr: string;
  exited?: string;
  status: TargetStatus;
  error?: string;
}

export function isMemcached(name: string): boolean {
  return name.startsWith("memcached");
}

export function isFloor(name: string): boolean {
  return name in FLOORS;
}

/** A target name without its thread suffix, and its thread count. */
export function targetThreads(name: string): { server: string; threads: number } {
  const m = THREADS_SUFFIX.exec(name);
  return m ? { server: name.slice(0, m.index), threads: Number(m[1]) } : { server: name, threads: DEFAULT_THREADS };
}

export function knownTarget(name: string): boolean {
  const { server } = targetThreads(name);
  return server === WASMCACHED || server in OTHER_WASMCACHED || isMemcached(server) || isFloor(name);
}

/** The targets that run on Node, where the GC probe can be loaded. */
export function runsOnNode(command: string[]): boolean {
  return path.basename(command[0] ?? "") === "node";
}

function commandFor(name: string, port: number, o: TargetOptions): string[] {
  const user = process.getuid?.() === 0 ? ["-u", RUN_AS] : [];
  const { server, threads } = targetThreads(name);
  const t = ["-t", String(threads)];
  const extra = o.extraArgs ?? [];
  if (isFloor(name)) return [...FLOORS[name].split(" "), String(port)];
  if (isMemcached(server)) {
    return ["memcached", ...user, ...t, "-U", "0", "-l", HOST, "-p", String(port), "-m", String(o.memoryMb), ...extra];
  }
  const template = server === WASMCACHED ? o.wasmcachedCmd : OTHER_WASMCACHED[server];
  if (template.includes("{base}") && !o.baseDir) throw new Error(`the ${server} target needs --base-dir`);
  const argv = template.replaceAll("{port}", String(port)).replaceAll("{mb}", String(o.memoryMb))
    .replaceAll("{user}", user.join(" ")).replaceAll("{base}", o.baseDir ?? "").split(/\s+/).filter(Boolean);
  return [...(o.gcLog && runsOnNode(argv) ? [argv[0], "--import", GC_PROBE, ...argv.slice(1)] : argv), ...t, ...extra];
}

const started: Target[] = [];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function spawnTarget(t: Target, gcLog: string | undefined): void {
  const [cmd, ...args] = t.command;
  const env = gcLog ? { ...process.env, BENCH_GC_LOG: gcLog } : process.env;
  const child = spawn(cmd, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "ignore", "pipe"] });
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForPort(t: Target): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (t.exited) throw new Error(t.exited);
    if (await canConnect(t.port)) return;
    await sleep(PORT_POLL_MS);
  }
  throw new Error(`did not accept connections on port ${t.port} within ${START_TIMEOUT_MS / 1000} s`);
}

/** Starts a target and waits until it accepts connections; a failure is in its status. */
export async function startTarget(name: string, o: TargetOptions): Promise<Target> {
  const port = await freePort();
  const t: Target = { name, port, command: commandFor(name, port, o), stderr: "", status: "ok" };
  if (o.gcLog) fs.writeFileSync(o.gcLog, "");
  spawnTarget(t, o.gcLog);
  try {
    await waitForPort(t);
  } catch (e) {
    failTarget(t, (e as Error).message);
    await stopTarget(t);
  }
  return t;
}

/**
 * Marks a target failed, with the first lines of its stderr (a Node error prints its message
 * before the stack).
 */
export function failTarget(t: Target, why: string): void {
  const lines = t.stderr.split("\n").map((l) => l.trim()).filter(Boolean).slice(0, STDERR_LINES_SHOWN);
  t.error = lines.length ? `${why}; stderr: ${lines.join(" / ")}` : why;
  t.status = "failed";
}

export async function stopTarget(t: Target): Promise<void> {
  const child = t.child;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  killGroup(child.pid, "SIGTERM");
  await Promise.race([gone, sleep(STOP_GRACE_MS)]);
  if (child.exitCode === null && child.signalCode === null) killGroup(child.pid, "SIGKILL");
}

export async function stopAll(): Promise<void> {
  await Promise.all(started.map(stopTarget));
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(-pid, sig); } catch { /* already gone */ }
}

export function installCleanup(): void {
  process.on("exit", () => {
    for (const t of started) {
      if (t.child?.pid && t.child.exitCode === null && t.child.signalCode === null) killGroup(t.child.pid, "SIGKILL");
    }
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));
}

/** User + system CPU seconds of every process in the group (a server may fork helpers). */
export function groupCpuSeconds(pgid: number | undefined): number {
  const { user, system } = groupCpuSplit(pgid);
  return user + system;
}

/** User and system CPU seconds, apart, of every process in the group (every thread of each). */
export function groupCpuSplit(pgid: number | undefined): { user: number; system: number } {
  if (!pgid) return { user: NaN, system: NaN };
  let user = 0;
  let system = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8"); } catch { continue; }
    // fields after the parenthesised command: state ppid pgrp ... utime(14) stime(15)
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) !== pgid) continue;
    user += Number(f[11]);
    system += Number(f[12]);
  }
  return { user: user / CLOCK_TICKS, system: system / CLOCK_TICKS };
}

/** Resident memory of the target's process in bytes (VmRSS), NaN when it is gone. */
export function rssBytes(t: Target): number {
  try {
    const status = fs.readFileSync(`/proc/${t.child?.pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Number(kb) * KB : NaN;
  } catch {
    return NaN;
  }
}

/** The server's `stats`, by name. */
export function serverStats(port: number): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: HOST, port });
    let text = "";
    const timer = setTimeout(() => { s.destroy(); reject(new Error("stats did not answer")); }, STATS_TIMEOUT_MS);
    s.on("connect", () => s.write("stats\r\n"));
    s.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (!text.endsWith("END\r\n")) return;
      clearTimeout(timer);
      s.destroy();
      const m = new Map<string, string>();
      for (const line of text.split("\r\n")) {
        const [tag, name, value] = line.split(" ");
        if (tag === "STAT" && name) m.set(name, value);
      }
      resolve(m);
    });
    s.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}
