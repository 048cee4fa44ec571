// Lock behaviour under load (issue 13): a wasmcached with worker threads, in this process so
// that its lock counters can be read (Engine.lockContention, assembly/abi/lock_counters.ts),
// driven over TCP by the load generator. For each thread count and workload: how often an
// acquisition found its lock taken, per million requests and per kind (item, LRU, global), how
// many of those slept rather than spun, and how long the waits took (mean and longest).
//
//   node dist/bench/locks.js [--threads 2,4] [--duration 3] [--out FILE]
import fs from "node:fs";
import { parseArgs } from "node:util";
import { startServer } from "../host/node/server.js";
import type { LockCounterName, LockKindName } from "../host/wasm_engine.js";
import { compileLoadgen, runLoadgen, type LoadMode } from "./loadgen.js";
import { FIXED, MIXED, type ValueSizes } from "./value-sizes.js";
import { machineInfo } from "./machine.js";

interface Workload {
  name: string;
  label: string;
  mode: LoadMode;
  keys: number;
  depth: number;
  setPct: number;
  values: ValueSizes;
  memoryMb: number;
}

const CONNECTIONS = 32;
const WORKLOADS: Workload[] = [
  { name: "spread", label: "10k keys, 90% get / 10% set, depth 1", mode: "mix", keys: 10_000, depth: 1, setPct: 10, values: FIXED, memoryMb: 1024 },
  { name: "hot", label: "16 keys, 50% get / 50% set, 16-deep", mode: "mix", keys: 16, depth: 16, setPct: 50, values: FIXED, memoryMb: 1024 },
  { name: "evicting", label: "1M keys, all sets, 32 B-2 KiB values into -m 64", mode: "mix", keys: 1_000_000, depth: 16, setPct: 100, values: MIXED, memoryMb: 64 },
];
const KINDS: LockKindName[] = ["ITEM", "LRU", "GLOBAL"];
const PER_MILLION = 1e6;
const NS_PER_US = 1e3;

type Contention = Record<LockKindName, Record<LockCounterName, number>>;

interface Row {
  threads: number;
  workload: Workload;
  requests: number;
  contention: Contention;
}

function delta(after: Contention, before: Contention): Contention {
  const out = {} as Contention;
  for (const k of KINDS) {
    const a = after[k];
    const b = before[k];
    // The longest wait is over the whole run (the counters cannot be reset); the rest are sums.
    out[k] = {
      CONTENDED: a.CONTENDED - b.CONTENDED, SPINS: a.SPINS - b.SPINS, SLEEPS: a.SLEEPS - b.SLEEPS,
      WAIT_NS: a.WAIT_NS - b.WAIT_NS, MAX_WAIT_NS: a.MAX_WAIT_NS,
    };
  }
  return out;
}

async function run(threads: number, w: Workload, durationS: number, warmupS: number): Promise<Row> {
  const server = await startServer({ port: -1, listen: ["127.0.0.1"], threads, memoryLimitMb: w.memoryMb });
  try {
    const port = server.ports[0];
    const before = server.engine.lockContention();
    const r = await runLoadgen({
      port, mode: w.mode, connections: CONNECTIONS, depth: w.depth, keys: w.keys, values: w.values,
      durationS, warmupS, setPct: w.setPct,
    });
    if (!r.ok || !r.result) throw new Error(`${w.name} at -t ${threads}: ${r.error}`);
    return { threads, workload: w, requests: r.result.all_replies, contention: delta(server.engine.lockContention(), before) };
  } finally {
    await server.close();
  }
}

function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "–";
}

function table(rows: Row[]): string {
  const out = [
    "| -t | workload | requests | kind | contended / M req | sleeps per contended | mean wait µs | longest wait µs |",
    "|---:|---|---:|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    for (const k of KINDS) {
      const c = r.contention[k];
      out.push(`| ${r.threads} | ${r.workload.name} | ${r.requests} | ${k.toLowerCase()} | ${fmt(c.CONTENDED / r.requests * PER_MILLION)} | `
        + `${c.CONTENDED ? fmt(c.SLEEPS / c.CONTENDED, 2) : "–"} | ${fmt(c.WAIT_NS / c.CONTENDED / NS_PER_US, 2)} | ${fmt(c.MAX_WAIT_NS / NS_PER_US, 0)} |`);
    }
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { threads: { type: "string", default: "2,4" }, duration: { type: "string", default: "3" }, out: { type: "string" } },
  });
  const threads = v.threads!.split(",").map(Number);
  const durationS = Number(v.duration);
  const warmupS = 0.5;
  compileLoadgen();
  const rows: Row[] = [];
  for (const t of threads) {
    for (const w of WORKLOADS) {
      const row = await run(t, w, durationS, warmupS);
      process.stderr.write(`-t ${t} ${w.name}: ${row.requests} requests\n`);
      rows.push(row);
    }
  }
  const m = machineInfo();
  const text = [
    `# Lock contention, ${new Date().toISOString().slice(0, 10)}`,
    "",
    `command: \`node dist/bench/locks.js ${process.argv.slice(2).join(" ")}\``.replace(/ `$/, "`"),
    "",
    `machine: ${m.cpuModel}, ${m.nproc} cores; node ${m.node}; load average ${m.loadAvg} at the end`,
    "",
    `${CONNECTIONS} connections, ${durationS} s measured after ${warmupS} s; workloads:`,
    ...WORKLOADS.map((w) => `- ${w.name}: ${w.label}`),
    "",
    table(rows),
    "",
  ].join("\n");
  if (v.out) fs.writeFileSync(v.out, text);
  process.stdout.write(text);
}

await main();
