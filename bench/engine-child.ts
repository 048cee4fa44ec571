// One engine run, in its own process (forked by engine.ts): fill the engine with N items, then
// random gets and random overwrites of existing keys, measuring ops/s, memory and GC pauses.
//
// The inputs of each chunk of operations (keys and value lengths) are written outside the
// timed sections into buffers that are reused, so the harness holds no more than one chunk and
// creates only the two small views per op that every engine is handed. The timed part of a
// chunk is the engine calls plus one event-loop turn, when the engines' clock and maintenance
// timers run, as between a server's reads.
import { createSubject, type Subject } from "./engine-subjects.js";
import type { ChildMessage, ChildTask, EngineRun, PhaseName, PhaseResult, RunStatus } from "./engine.js";
import { round } from "./format.js";
import { GcMonitor, type GcPause } from "./gc-monitor.js";
import { KEY_LEN, prng, randomKey, writeKey } from "./keys.js";
import { pauseSummary } from "./latency.js";
import { heapAfterGc, memorySample, now, type MemorySample } from "./process-memory.js";
import { byName, meanLength, valueLength, type ValueSizes } from "./value-sizes.js";

const CHUNK = 10_000;
// Small, because what the warm-up engine frees stays with the allocator and the measured run
// reuses it: that much of the run's RSS growth goes unseen.
const WARMUP_ITEMS = 10_000;
const WARMUP_ROUNDS = 3;
const PROGRESS_EVERY_MS = 500;
const MS_PER_S = 1000;
// printable values: a corrupted one is easy to spot in a dump
const PATTERN = "abcdefghijklmnopqrstuvwxyz";

/** The inputs of one chunk: keys back to back, each op's value length, one value buffer. */
class Chunk {
  readonly keys = new Uint8Array(CHUNK * KEY_LEN);
  readonly lengths = new Uint32Array(CHUNK);
  readonly value: Uint8Array;

  constructor(readonly sizes: ValueSizes) {
    this.value = new Uint8Array(sizes.max);
    for (let i = 0; i < this.value.length; i++) this.value[i] = PATTERN.charCodeAt(i % PATTERN.length);
  }

  write(count: number, keyOf: (j: number) => number): void {
    for (let j = 0; j < count; j++) {
      const k = keyOf(j);
      writeKey(this.keys, j * KEY_LEN, k);
      this.lengths[j] = valueLength(this.sizes, k);
    }
  }
}

type Loop = (c: Chunk, count: number) => number;

function setLoop(s: Subject): Loop {
  return (c, count) => {
    let refused = 0;
    for (let j = 0; j < count; j++) {
      const o = j * KEY_LEN;
      if (!s.set(c.keys.subarray(o, o + KEY_LEN), c.value.subarray(0, c.lengths[j]))) refused++;
    }
    return refused;
  };
}

// Kept in a module variable so the JIT cannot drop the result, as a real caller keeps it.
export let lastValue: Uint8Array | undefined;
function getLoop(s: Subject): Loop {
  return (c, count) => {
    let misses = 0;
    for (let j = 0; j < count; j++) {
      const o = j * KEY_LEN;
      const v = s.get(c.keys.subarray(o, o + KEY_LEN));
      if (v === undefined || v.length !== c.lengths[j]) misses++;
      lastValue = v;
    }
    return misses;
  };
}

interface PhaseSpec {
  name: PhaseName;
  ops: number;
  /** the key of op j of the phase, called in order */
  keyOf(j: number): number;
  loop: Loop;
}

function phaseSpecs(s: Subject, items: number, ops: number, seed: number): PhaseSpec[] {
  const getKeys = prng(seed * 1000 + 1);
  const overwriteKeys = prng(seed * 1000 + 2);
  return [
    { name: "fill", ops: items, keyOf: (j) => j, loop: setLoop(s) },
    { name: "get", ops, keyOf: () => randomKey(getKeys, items), loop: getLoop(s) },
    { name: "overwrite", ops, keyOf: () => randomKey(overwriteKeys, items), loop: setLoop(s) },
  ];
}

interface Report {
  progress(phase: PhaseName, done: number, total: number, opsPerSec: number): void;
  phase(result: PhaseResult, pauses: EngineRun["gcPauses"]): void;
}

async function runPhase(p: PhaseSpec, c: Chunk, gcm: GcMonitor, report: Report): Promise<{ result: PhaseResult; pauses: GcPause[] }> {
  heapAfterGc(); // the previous phase's garbage must not be collected inside this one
  let ms = 0;
  let misses = 0;
  let lastReport = now();
  const t0 = now();
  for (let done = 0; done < p.ops;) {
    const count = Math.min(CHUNK, p.ops - done);
    const base = done;
    c.write(count, (j) => p.keyOf(base + j));
    const t = now();
    misses += p.loop(c, count);
    await new Promise((r) => setImmediate(r));
    ms += now() - t;
    done += count;
    if (now() - lastReport >= PROGRESS_EVERY_MS) {
      lastReport = now();
      report.progress(p.name, done, p.ops, done / (ms / MS_PER_S));
    }
  }
  const pauses = await gcm.pauses(t0, now());
  lastValue = undefined;
  const result: PhaseResult = {
    name: p.name, ops: p.ops, seconds: ms / MS_PER_S, opsPerSec: Math.round(p.ops / (ms / MS_PER_S)), misses,
    gc: pauseSummary(pauses.map((x) => x.ms)), memory: memorySample(),
  };
  return { result, pauses };
}

const capacity = (items: number, sizes: ValueSizes) => ({ items, keyLength: KEY_LEN, meanValueLength: meanLength(sizes) });

// The same phases on a small throwaway engine, so the measured ones run optimised code from
// their first op (the fill in particular cannot be repeated on the same engine).
async function warmUp(task: ChildTask, sizes: ValueSizes, gcm: GcMonitor): Promise<void> {
  const n = Math.min(WARMUP_ITEMS, task.items);
  const s = await createSubject(task.engine, capacity(n, sizes));
  const c = new Chunk(sizes);
  const quiet: Report = { progress: () => {}, phase: () => {} };
  for (let r = 0; r < WARMUP_ROUNDS; r++) {
    for (const p of phaseSpecs(s, n, n, task.seed + r)) if (r === 0 || p.name !== "fill") await runPhase(p, c, gcm, quiet);
  }
  s.close();
}

function statusOf(e: unknown): RunStatus {
  if (e instanceof RangeError && /Map maximum size/i.test(e.message)) return "map limit";
  return "failed";
}

async function runPhases(s: Subject, task: ChildTask, sizes: ValueSizes, gcm: GcMonitor, report: Report,
                         r: EngineRun, at: { stage: string }): Promise<void> {
  const c = new Chunk(sizes);
  const start = now();
  for (const p of phaseSpecs(s, task.items, task.ops, task.seed)) {
    at.stage = p.name;
    const { result, pauses } = await runPhase(p, c, gcm, report);
    const sinceStart = pauses.map((x): [number, number] => [round(x.at - start, 1), round(x.ms, 3)]);
    r.phases.push(result);
    r.gcPauses.push(...sinceStart);
    report.phase(result, sinceStart);
    if (result.misses) r.problems.push(`${p.name}: ${result.misses} misses or refusals`);
  }
}

/** Memory after a full GC, and what the engine says it holds. */
function finish(s: Subject, task: ChildTask, before: MemorySample, r: EngineRun): void {
  heapAfterGc();
  const after = memorySample();
  r.storedItems = s.items();
  r.evictions = s.evictions();
  r.memory = {
    before, after,
    rssPerItem: Math.round((after.rss - before.rss) / r.storedItems),
    heapPerItem: Math.round((after.heapUsed - before.heapUsed) / r.storedItems),
  };
  if (r.storedItems !== task.items) r.problems.push(`${r.storedItems} items stored, expected ${task.items}`);
  if (r.evictions) r.problems.push(`${r.evictions} evictions: the engine was given too little memory`);
}

async function run(task: ChildTask, report: Report): Promise<EngineRun> {
  const sizes = byName(task.values);
  const r: EngineRun = {
    engine: task.engine, values: task.values, items: task.items, status: "ok", config: {}, phases: [],
    gcPauses: [], problems: [], wallSeconds: 0,
  };
  const gcm = new GcMonitor();
  const at = { stage: "warm-up" };
  try {
    await warmUp(task, sizes, gcm);
    heapAfterGc();
    const before = memorySample();
    const s = await createSubject(task.engine, capacity(task.items, sizes));
    r.config = s.config;
    await runPhases(s, task, sizes, gcm, report, r, at);
    finish(s, task, before, r);
    s.close();
  } catch (e) {
    r.status = statusOf(e);
    r.error = `${(e as Error).message} (during ${at.stage})`;
  }
  gcm.disconnect();
  return r;
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]) as ChildTask;
  const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
  const report: Report = {
    progress: (phase, done, total, opsPerSec) => { process.send!({ progress: { phase, done, total, opsPerSec } }); },
    phase: (phase, pauses) => { process.send!({ phase, pauses }); },
  };
  const result = await run(task, report);
  await send({ result });
  process.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
