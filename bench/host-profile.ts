// Where a depth-1 request's microseconds go (issue 17): the do-nothing Node server, wasmcached on
// Node and memcached -t 1 under the same load (32 connections, 90/10 get/set, 100 B values),
// taking turns. For each: server CPU per request, user and system, from /proc (every thread of
// the process, median over rounds); then one round under `perf record` splits that CPU by where
// it ran: the kernel, the runtime's C++ (V8, libuv, Node), libc, and JIT code — Node's own
// JavaScript (streams, net), wasmcached's host JavaScript, and the WASM core. The shares come
// from perf's samples and are applied to the /proc figures, since sampling slows the server.
//
//   node dist/bench/host-profile.js --out bench/results/host-profile-<date>.md
//   node dist/bench/host-profile.js --rounds 1 --seconds 2 --no-perf      a quick look
import { spawnSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { compileLoadgen, runLoadgen } from "./loadgen.js";
import { CONNECTIONS, MEMORY_MB, preload, SET_PCT } from "./server.js";
import {
  groupCpuSplit, NODE_FLOOR, PROFILED_WASMCACHED_CMD, ROOT, installCleanup, startTarget, stopTarget, type Target,
} from "./servers.js";
import { FIXED } from "./value-sizes.js";
import { machineInfo, sourceInfo } from "./machine.js";
import { median } from "./format.js";
import { coreWasmUrl } from "../host/wasm.js";

const TARGETS = [NODE_FLOOR, "wasmcached", "memcached"];
const PERF_HZ = 1999;
const US = 1e6;

interface Split { userUs: number; sysUs: number; rps: number }
type Category = "kernel" | "runtime C++" | "libc" | "Node JS" | "host JS" | "WASM core" | "other JIT";
const CATEGORIES: Category[] = ["kernel", "runtime C++", "libc", "Node JS", "host JS", "WASM core", "other JIT"];

// The server's own process: memcached and node are spawned directly (not through a shell).
function serverPid(t: Target): number {
  if (!t.child?.pid) throw new Error(`${t.name} has no process`);
  return t.child.pid;
}

async function load(t: Target, keys: number, seconds: number): Promise<{ replies: number; rps: number }> {
  const r = await runLoadgen({ port: t.port, mode: "mix", connections: CONNECTIONS, depth: 1, keys, values: FIXED,
    durationS: seconds, warmupS: 0, setPct: SET_PCT });
  if (!r.ok || !r.result) throw new Error(`${t.name}: ${r.error}`);
  return { replies: r.result.all_replies, rps: r.result.rps };
}

async function measure(t: Target, keys: number, seconds: number): Promise<Split> {
  const pid = serverPid(t);
  const a = groupCpuSplit(pid);
  const { replies, rps } = await load(t, keys, seconds);
  const b = groupCpuSplit(pid);
  return { userUs: (b.user - a.user) * US / replies, sysUs: (b.system - a.system) * US / replies, rps };
}

function category(dso: string, sym: string): Category {
  if (dso.startsWith("[kernel")) return "kernel";
  if (dso.startsWith("libc")) return "libc";
  if (dso === "node" || dso.startsWith("libstdc++") || dso === "memcached" || dso.startsWith("libevent")) return "runtime C++";
  if (sym.startsWith("JS:wasm-function") || sym.startsWith("JS:js-to-wasm") || sym.startsWith("JS:wasm-to-js")) return "WASM core";
  if (sym.includes("/dist/host/")) return "host JS";
  if (sym.startsWith("JS:") || sym.startsWith("Builtin:") || sym.startsWith("Builtins_")) return "Node JS";
  return "other JIT";
}

// Shares of perf samples by category while the server is under the same load.
async function perfShares(t: Target, keys: number, seconds: number, file: string): Promise<Record<Category, number>> {
  const rec = spawn("perf", ["record", "-F", String(PERF_HZ), "-p", String(serverPid(t)), "-o", file, "--", "sleep", String(seconds)],
    { stdio: "ignore" });
  const done = new Promise((r) => rec.once("exit", r));
  await load(t, keys, seconds + 1);
  await done;
  const rep = spawnSync("perf", ["report", "-i", file, "--no-children", "--sort", "dso,sym", "-F", "sample,dso,sym", "--stdio"],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const counts = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  let total = 0;
  for (const line of rep.stdout.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+(?: tid \d+)?)\s+\[.\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    counts[category(m[2], m[3].trim())] += n;
    total += n;
  }
  for (const c of CATEGORIES) counts[c] = total ? counts[c] / total : NaN;
  return counts;
}

function perfAvailable(): boolean {
  return spawnSync("perf", ["--version"], { stdio: "ignore" }).status === 0;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({ options: {
    keys: { type: "string", default: "100000" }, rounds: { type: "string", default: "5" },
    seconds: { type: "string", default: "4" }, out: { type: "string" }, "no-perf": { type: "boolean", default: false },
  } });
  const keys = Number(v.keys);
  const rounds = Number(v.rounds);
  const seconds = Number(v.seconds);
  const usePerf = !v["no-perf"] && perfAvailable();
  installCleanup();
  compileLoadgen();
  const machine = machineInfo();
  const targets: Target[] = [];
  for (const name of TARGETS) {
    const t = await startTarget(name, { memoryMb: MEMORY_MB, wasmcachedCmd: PROFILED_WASMCACHED_CMD });
    if (t.status !== "ok") throw new Error(`${name} did not start: ${t.error}`);
    const error = await preload(t, keys);
    if (error) throw new Error(`${name}: preload failed: ${error}`);
    targets.push(t);
  }
  const splits: Record<string, Split[]> = Object.fromEntries(TARGETS.map((n) => [n, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const t of [...targets.slice(r % targets.length), ...targets.slice(0, r % targets.length)]) {
        const s = await measure(t, keys, seconds);
        splits[t.name].push(s);
        process.stderr.write(`round ${r + 1} ${t.name.padEnd(11)} ${(s.rps / 1000).toFixed(1)}k req/s  user ${s.userUs.toFixed(2)}  sys ${s.sysUs.toFixed(2)} µs/req\n`);
      }
    }
    const shares: Record<string, Record<Category, number>> = {};
    if (usePerf) {
      const dir = fs.mkdtempSync(path.join(ROOT, "bench/results/tmp/perf-"));
      for (const t of targets) shares[t.name] = await perfShares(t, keys, seconds, path.join(dir, `${t.name}.data`));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const text = report(splits, shares, { keys, rounds, seconds, machine, argv: process.argv.slice(2) });
    if (v.out) fs.writeFileSync(path.resolve(v.out), text);
    process.stdout.write(text);
  } finally {
    await Promise.all(targets.map(stopTarget));
  }
}

interface Run { keys: number; rounds: number; seconds: number; machine: ReturnType<typeof machineInfo>; argv: string[] }

function report(splits: Record<string, Split[]>, shares: Record<string, Record<Category, number>>, run: Run): string {
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  const lines = [
    `# Where a depth-1 request's CPU goes`,
    "",
    `\`node dist/bench/host-profile.js ${run.argv.join(" ")}\`; ${run.machine.nproc} cores, load average ${run.machine.loadAvg} at the start; ` +
      `${sourceInfo(ROOT, coreWasmUrl("release")).commit ?? "unknown commit"}.`,
    `${CONNECTIONS} connections at depth 1, 90% get / 10% set of ${run.keys} keys with 100 B values, ` +
      `${run.rounds} rounds of ${run.seconds} s, the servers taking turns. CPU is every thread's user and system time from /proc ` +
      "divided by the replies; medians over rounds (min–max).",
    "",
    "| server | req/s | CPU µs/req | user | system |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const [name, s] of Object.entries(splits)) {
    const total = s.map((x) => x.userUs + x.sysUs);
    lines.push(`| ${name} | ${(median(s.map((x) => x.rps)) / 1000).toFixed(1)}k | ${median(total).toFixed(1)} (${spread(total)}) | ` +
      `${median(s.map((x) => x.userUs)).toFixed(1)} | ${median(s.map((x) => x.sysUs)).toFixed(1)} |`);
  }
  if (Object.keys(shares).length) {
    lines.push("", `Split by where perf's samples fell (${PERF_HZ} Hz, one more round each), as µs of the median CPU per request:`, "",
      `| server | ${CATEGORIES.join(" | ")} |`, `|---|${CATEGORIES.map(() => "---:").join("|")}|`);
    for (const [name, sh] of Object.entries(shares)) {
      const cpu = median(splits[name].map((x) => x.userUs + x.sysUs));
      lines.push(`| ${name} | ${CATEGORIES.map((c) => (sh[c] * cpu).toFixed(2)).join(" | ")} |`);
    }
  }
  return lines.join("\n") + "\n";
}

main().catch((e: Error) => {
  console.error(`host-profile: ${e.message}`);
  process.exit(1);
});
