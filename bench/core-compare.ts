// The core alone, this build against another checkout's (issue 13: what threads cost a core on
// one thread): both engines in this process, one connection each, fed the same 16-deep
// pipelines of text commands (90% get / 10% set of 10k keys of 100 B by default, all present) straight
// into their input areas through process(), no sockets. Rounds alternate which engine goes
// first; reported: ns per command per round, and this build's ratio to the other's.
//
//   node dist/bench/core-compare.js --base-dir ../earlier-checkout [--dir ../other] [--rounds 9] [--keys N] [--out FILE]
//
// With many keys the items no longer fit the CPU's caches: what a lookup costs is then mostly
// waiting for memory.
//
// --dir measures another built checkout in place of this one. A checkout must be built (npm run
// build) and have Engine.create, connOpen, process, memory and inAddr, in host/wasm_engine.ts
// or, before the rooms issue, host/engine.ts.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { machineInfo } from "./machine.js";

const DEFAULT_KEYS = 10_000;
const DEPTH = 16;
const SET_EVERY = 10;
const VALUE = "x".repeat(100);
// Enough distinct pipelines that a round's requests cover the key space.
const MIN_BATCHES = 256;
const CALLS = 60_000;
const FILL_CHUNK = 64 * 1024;
const MEMORY_MB = 64;
const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

interface CoreEngine {
  connOpen(id: number): boolean;
  process(id: number, len: number): number;
  memory(): Uint8Array;
  readonly inAddr: number;
}

async function load(dir: string, keys: number): Promise<CoreEngine> {
  const wrapper = ["dist/host/wasm_engine.js", "dist/host/engine.js"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!wrapper) throw new Error(`${dir}: no built engine wrapper (npm run build there first)`);
  const { Engine } = await import(wrapper) as {
    Engine: { create(wasm: Uint8Array, o: object): Promise<CoreEngine> };
  };
  const e = await Engine.create(fs.readFileSync(path.join(dir, "build/core.wasm")), { memoryLimitMb: MEMORY_MB, threads: 1 });
  e.connOpen(0);
  let fill = "";
  for (let k = 0; k < keys; k++) fill += `set key:${k} 0 0 ${VALUE.length}\r\n${VALUE}\r\n`;
  const bytes = Buffer.from(fill);
  for (let at = 0; at < bytes.length;) {
    const chunk = bytes.subarray(at, at + FILL_CHUNK);
    e.memory().set(chunk, e.inAddr);
    at += e.process(0, chunk.length);
  }
  return e;
}

// A fixed pseudo-random sequence, the same for both engines.
function pipelines(keys: number): Buffer[] {
  let seed = 1;
  const next = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  return Array.from({ length: Math.max(MIN_BATCHES, Math.ceil(keys / DEPTH)) }, () => {
    let s = "";
    for (let i = 0; i < DEPTH; i++) {
      const key = `key:${next(keys)}`;
      s += next(SET_EVERY) === 0 ? `set ${key} 0 0 ${VALUE.length}\r\n${VALUE}\r\n` : `get ${key}\r\n`;
    }
    return Buffer.from(s);
  });
}

function nsPerCommand(e: CoreEngine, batches: Buffer[]): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    const b = batches[i % batches.length];
    e.memory().set(b, e.inAddr);
    e.process(0, b.length);
  }
  return Number(process.hrtime.bigint() - t0) / (CALLS * DEPTH);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: { "base-dir": { type: "string" }, dir: { type: "string" }, rounds: { type: "string", default: "9" },
      keys: { type: "string", default: String(DEFAULT_KEYS) }, out: { type: "string" } },
  });
  if (!v["base-dir"]) throw new Error("--base-dir <checkout> is required");
  const baseDir = path.resolve(v["base-dir"]);
  const rounds = Number(v.rounds);
  const thisDir = path.resolve(v.dir ?? REPO);
  const keys = Number(v.keys);
  if (!Number.isInteger(keys) || keys < 1) throw new Error("--keys takes a positive whole number");
  const engines = { this: await load(thisDir, keys), base: await load(baseDir, keys) };
  const batches = pipelines(keys);
  const ns: Record<"this" | "base", number[]> = { this: [], base: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? (["base", "this"] as const) : (["this", "base"] as const);
    for (const name of order) ns[name].push(nsPerCommand(engines[name], batches));
  }
  const ratios = ns.this.map((x, i) => x / ns.base[i]);
  const m = machineInfo();
  const text = [
    `# The core alone: ${thisDir} against ${baseDir}`,
    "",
    `command: \`node dist/bench/core-compare.js --base-dir ${v["base-dir"]}${v.dir ? ` --dir ${v.dir}` : ""} --rounds ${rounds} --keys ${keys}\``,
    "",
    `machine: ${m.cpuModel}, ${m.nproc} cores; node ${process.version}; load average ${m.loadAvg} at the end`,
    "",
    `${DEPTH}-deep pipelines, 90% get / 10% set of ${keys} keys of ${VALUE.length} B, ${CALLS * DEPTH} commands per round`,
    "",
    "| round | this build ns/command | base ns/command | ratio |",
    "|---:|---:|---:|---:|",
    ...ratios.map((q, i) => `| ${i + 1} | ${ns.this[i].toFixed(1)} | ${ns.base[i].toFixed(1)} | ${q.toFixed(3)} |`),
    `| median | ${median(ns.this).toFixed(1)} | ${median(ns.base).toFixed(1)} | ${median(ratios).toFixed(3)} |`,
    "",
  ].join("\n");
  process.stdout.write(text);
  if (v.out) fs.writeFileSync(v.out, text);
}

await main();
