// Warm restart (-e): seconds to save a full cache on SIGUSR1 and to have it back after a start,
// wasmcached against memcached's own restart on the same machine.
//
//   node dist/bench/restart.js                               -m 1024 and -m 3072, 3 rounds, -t 4
//   node dist/bench/restart.js --sizes 256 --rounds 2        a quick look
//
// Each target is started once per size with -e, filled past its limit (values of 128 B – 1 KiB,
// so it ends full and evicting) by the C load generator, then restarted `rounds` times:
//   save     SIGUSR1 sent → the process has exited (memcached: msync of its mmap'ed file and the
//            metadata; wasmcached: the image written, synced and renamed, then the metadata)
//   restore  spawn → accepting connections and a `get` of an item stored before the first
//            restart answering a hit (polled every 5 ms); each spawn waits for the next whole
//            second after the save, as memcached refuses a file saved in the same second
// Both files are on the same disk, written and read back through the page cache (nothing is
// dropped between rounds). The files are removed after each target.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { compileLoadgen, runLoadgen } from "./loadgen.js";
import { ROOT, HOST, sleep, serverStats, freePort } from "./servers.js";
import { machineInfo, sourceInfo } from "./machine.js";
import { median, round } from "./format.js";
import type { ValueSizes } from "./value-sizes.js";

const VALUES: ValueSizes = { name: "mixed", min: 128, max: 1024, label: "128 B – 1 KiB values, even over octaves" };
// Keys to set per MB of -m: past what fits (about 2000 items of these sizes per MB), so that the
// cache is full and has evicted.
const KEYS_PER_MB = 2600;
// Two: with more, worker threads evicting from one class tail at once can each find its
// candidates locked and answer out of memory (memcached can too), which the load generator
// counts as a failure.
const FILL_CONNECTIONS = 2;
const FILL_DEPTH = 16;
const FILL_LIMIT_S = 600;
const POLL_MS = 5;
const START_LIMIT_MS = 120_000;
const STOP_LIMIT_MS = 600_000;
const THREADS = "4";
const MB = 1024 * 1024;
const USER = process.getuid?.() === 0 ? ["-u", "nobody"] : [];

interface Target { name: string; command(port: number, mb: number, file: string): string[] }

const TARGETS: Target[] = [
  { name: "wasmcached", command: (p, mb, f) => [process.execPath, "dist/host/cli.js", ...USER, "-t", THREADS, "-U", "0", "-p", String(p), "-m", String(mb), "-e", f] },
  { name: "memcached", command: (p, mb, f) => ["memcached", ...USER, "-t", THREADS, "-U", "0", "-l", HOST, "-p", String(p), "-m", String(mb), "-e", f] },
];

interface Round { saveS: number; restoreS: number }
interface Outcome { target: string; mb: number; items: number; evictions: number; imageBytes: number; rounds: Round[] }

function launch(argv: string[]): { child: ChildProcess; exited: Promise<void>; stderr: () => string } {
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return { child, exited, stderr: () => err };
}

// One `get` on a fresh connection: whether it hit, false if nobody listens yet.
function getHits(port: number, key: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    let reply = "";
    s.once("error", () => { s.destroy(); resolve(false); });
    s.once("close", () => resolve(false));
    s.once("connect", () => s.write(`get ${key}\r\n`));
    s.on("data", (d) => {
      reply += d.toString("latin1");
      if (!reply.endsWith("END\r\n")) return;
      s.destroy();
      resolve(reply.startsWith("VALUE "));
    });
  });
}

async function untilHit(port: number, key: string, started: number, server: ReturnType<typeof launch>): Promise<number> {
  for (;;) {
    if (await getHits(port, key)) return (performance.now() - started) / 1000;
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    if (performance.now() - started > START_LIMIT_MS) throw new Error(`no hit on ${key} within ${START_LIMIT_MS} ms: ${server.stderr()}`);
    await sleep(POLL_MS);
  }
}

async function start(target: Target, mb: number, file: string, probe: string): Promise<{ server: ReturnType<typeof launch>; port: number; seconds: number }> {
  const port = await freePort();
  const started = performance.now();
  const server = launch(target.command(port, mb, file));
  return { server, port, seconds: await untilHit(port, probe, started, server) };
}

async function stop(server: ReturnType<typeof launch>): Promise<number> {
  const started = performance.now();
  server.child.kill("SIGUSR1");
  const limit = sleep(STOP_LIMIT_MS).then(() => { throw new Error(`still running ${STOP_LIMIT_MS} ms after SIGUSR1`); });
  await Promise.race([server.exited, limit]);
  return (performance.now() - started) / 1000;
}

// memcached refuses its own file within the second it was saved in (the stop time must be
// before the start time, in whole seconds): every restart waits for the next one.
function nextSecond(): Promise<void> {
  return sleep(1000 - (Date.now() % 1000) + POLL_MS).then(() => undefined);
}

const keyName = (k: number) => `key:${String(k).padStart(12, "0")}`;

async function fill(port: number, keys: number): Promise<void> {
  const run = await runLoadgen({ port, mode: "preload", connections: FILL_CONNECTIONS, depth: FILL_DEPTH, keys, values: VALUES, durationS: FILL_LIMIT_S });
  if (!run.ok) throw new Error(run.error);
}

// A key stored late in the fill, so still there after the evictions.
async function survivor(port: number, keys: number): Promise<string> {
  for (let k = keys - 1; k > keys - 10_000; k--) if (await getHits(port, keyName(k))) return keyName(k);
  throw new Error("none of the last keys set is in the cache");
}

async function measure(target: Target, mb: number, rounds: number): Promise<Outcome> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `restart-bench-${target.name}-`));
  chmodSync(dir, 0o777); // the server writes there as -u nobody
  const file = path.join(dir, "cache");
  const keys = mb * KEYS_PER_MB;
  try {
    const port = await freePort();
    let server = launch(target.command(port, mb, file));
    await waitListening(port, server);
    await fill(port, keys);
    process.stderr.write(`${target.name} -m ${mb}: filled\n`);
    const probe = await survivor(port, keys);
    const stats = await serverStats(port);
    const out: Outcome = { target: target.name, mb, items: Number(stats.get("curr_items")), evictions: Number(stats.get("evictions")), imageBytes: 0, rounds: [] };
    for (let r = 0; r < rounds; r++) {
      const saveS = await stop(server);
      out.imageBytes = statSync(file).size;
      await nextSecond();
      const next = await start(target, mb, file, probe);
      server = next.server;
      out.rounds.push({ saveS, restoreS: next.seconds });
      process.stderr.write(`${target.name} -m ${mb} round ${r + 1}: save ${saveS.toFixed(2)} s, restore ${next.seconds.toFixed(2)} s\n`);
    }
    server.child.kill("SIGTERM");
    await server.exited;
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitListening(port: number, server: ReturnType<typeof launch>): Promise<void> {
  const started = performance.now();
  while (!(await canConnect(port))) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    if (performance.now() - started > START_LIMIT_MS) throw new Error("never listened");
    await sleep(POLL_MS);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => { s.destroy(); resolve(false); });
  });
}

function spread(values: number[]): string {
  return `${median(values).toFixed(2)} (${Math.min(...values).toFixed(2)} – ${Math.max(...values).toFixed(2)})`;
}

function report(outcomes: Outcome[], command: string): string {
  const m = machineInfo();
  const s = sourceInfo(ROOT, new URL("../../build/core.wasm", import.meta.url));
  const lines = [
    `$ ${command}`,
    `# ${new Date().toISOString()}, source ${s.commit?.slice(0, 7)}${s.dirty.length ? " (dirty)" : ""}, ${m.cpuModel} × ${m.nproc}, ${m.totalMemGiB} GiB, ${m.node}, ${m.memcached}, load ${m.loadAvg}`,
    `# -t ${THREADS}, ${VALUES.label}, ${KEYS_PER_MB} keys set per MB of -m; seconds, median (min – max) over the rounds`,
    "",
    "| target | -m | items | evicted | file | save s | restore s |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...outcomes.map((o) => `| ${o.target} | ${o.mb} | ${o.items} | ${o.evictions} | ${round(o.imageBytes / MB, 0)} MB | ` +
      `${spread(o.rounds.map((r) => r.saveS))} | ${spread(o.rounds.map((r) => r.restoreS))} |`),
    "",
    "rounds (save s / restore s):",
    ...outcomes.map((o) => `${o.target} -m ${o.mb}: ${o.rounds.map((r) => `${r.saveS.toFixed(3)}/${r.restoreS.toFixed(3)}`).join("  ")}`),
  ];
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    sizes: { type: "string", default: "1024,3072" }, rounds: { type: "string", default: "3" }, out: { type: "string" },
    targets: { type: "string", default: TARGETS.map((t) => t.name).join(",") },
  } });
  compileLoadgen();
  const outcomes: Outcome[] = [];
  for (const mb of values.sizes!.split(",").map(Number)) {
    for (const target of TARGETS.filter((t) => values.targets!.split(",").includes(t.name))) outcomes.push(await measure(target, mb, Number(values.rounds)));
  }
  const text = report(outcomes, `node dist/bench/restart.js ${process.argv.slice(2).join(" ")}`.trim());
  process.stdout.write(text);
  if (values.out) writeFileSync(values.out, text);
}

await main();
