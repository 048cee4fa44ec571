// One thread of the shared-cache load (load.ts): attaches to the cache the main thread made and
// races the other threads on the same keys with self-checking values, then reports what it saw.
// Runs as a node:worker_threads worker on Node, Deno and Bun (the handle is its workerData);
// load-web-worker.ts runs the same load in a web Worker.
import { parentPort, workerData } from "node:worker_threads";
import { Cache, type CacheHandle } from "../../host/index.js";
import { checkedValue, valueProblem } from "../helpers/checked-values.js";
import { Rng } from "../helpers/rng.js";

export interface LoadStart { handle: CacheHandle; writer: number; ops: number; seed: number }
export interface LoadReport { writer: number; incrs: number; gets: number; hits: number; problems: string[] }

export const SHARED_KEYS = 64;
export const COUNTER = "counter";
const MAX_VALUE = 3000;
const PROBLEMS_KEPT = 5;
const decoder = new TextDecoder();

// 70% set, 25% get, 5% incr, on keys every thread uses.
const SET_PCT = 70;
const GET_PCT = 95;

export async function runLoad(start: LoadStart): Promise<LoadReport> {
  const cache = await Cache.attach(start.handle);
  const rng = new Rng(start.seed);
  const report: LoadReport = { writer: start.writer, incrs: 0, gets: 0, hits: 0, problems: [] };
  for (let seq = 0; seq < start.ops; seq++) {
    const key = `k${rng.int(SHARED_KEYS)}`;
    const roll = rng.int(100);
    if (roll < SET_PCT) {
      cache.set(key, checkedValue(key, start.writer, seq, 1 + rng.int(MAX_VALUE)));
    } else if (roll < GET_PCT) {
      report.gets++;
      const v = cache.get(key);
      if (v === undefined) continue;
      report.hits++;
      const problem = valueProblem(key, decoder.decode(v));
      if (problem && report.problems.length < PROBLEMS_KEPT) report.problems.push(problem);
    } else if (cache.incr(COUNTER, 1) !== undefined) {
      report.incrs++;
    }
  }
  cache.close();
  return report;
}

if (parentPort && workerData) {
  const port = parentPort;
  void runLoad(workerData as LoadStart).then((r) => port.postMessage(r));
}
