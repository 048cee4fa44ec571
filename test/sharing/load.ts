// The shared-cache load: one Cache made here with room for every thread, `workers` threads
// attached to it racing on the same keys (load-worker.ts), then the checks whose answers are
// exact: every value read was whole and under its own key, the counter equals the sum of the
// increments that found it, and the invariant checker walks the structures whole.
import { Worker as NodeWorker } from "node:worker_threads";
import { Cache } from "../../host/index.js";
import type { Engine } from "../../host/wasm_engine.js";
import { Registry } from "../../host/sharing/registry.js";
import { COUNTER, type LoadReport, type LoadStart } from "./load-worker.js";

export type WorkerKind = "node" | "web";

export interface LoadSummary {
  workers: number;
  counter: string | undefined;
  expected: number;
  hits: number;
  problems: string[];
  /** The invariant checker's complaint, or "ok". */
  invariants: string;
  /** Threads still holding the cache after every worker closed it (the main thread). */
  attachedAfter: number;
}

const WORKER_URL = new URL("./load-worker.js", import.meta.url);
const WEB_WORKER_URL = new URL("./load-web-worker.js", import.meta.url);
type WebWorker = { postMessage(m: unknown): void; onmessage: ((e: { data: LoadReport }) => void) | null; terminate(): void };
const WebWorkerCtor = (globalThis as unknown as { Worker?: new (url: string, o: { type: "module" }) => WebWorker }).Worker;

/** The engine behind a Cache, for the invariant checker (not part of the public API). */
export function engineOf(cache: Cache): Engine {
  return (cache as unknown as { engine: Engine }).engine;
}

function runWorker(kind: WorkerKind, start: LoadStart): Promise<LoadReport> {
  if (kind === "web") {
    const w = new WebWorkerCtor!(WEB_WORKER_URL.href, { type: "module" });
    return new Promise((resolve) => {
      w.onmessage = (e) => { w.terminate(); resolve(e.data); };
      w.postMessage(start);
    });
  }
  const w = new NodeWorker(WORKER_URL, { workerData: start });
  return new Promise((resolve, reject) => {
    w.once("message", resolve);
    w.once("error", reject);
  });
}

export async function runSharedLoad(kind: WorkerKind, workers: number, ops: number, seed: number): Promise<LoadSummary> {
  const cache = await Cache.create({ memoryLimitMb: 16, threads: workers + 1 });
  try {
    cache.set(COUNTER, "0");
    const handle = cache.share();
    const reports = await Promise.all(Array.from({ length: workers }, (_, w) => runWorker(kind, { handle, writer: w, ops, seed: seed + w })));
    let invariants = "ok";
    try {
      engineOf(cache).checkInvariants();
    } catch (err) {
      invariants = err instanceof Error ? err.message : String(err);
    }
    return {
      workers,
      counter: cache.getString(COUNTER),
      expected: reports.reduce((n, r) => n + r.incrs, 0),
      hits: reports.reduce((n, r) => n + r.hits, 0),
      problems: reports.flatMap((r) => r.problems),
      invariants,
      attachedAfter: new Registry(handle.registry).attached(),
    };
  } finally {
    cache.close();
  }
}
