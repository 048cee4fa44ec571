// What the control thread and its worker and background threads say to each other.
import type { CoreShare } from "../wasm_engine.js";
import type { SharedHostInit } from "./shared_host.js";
import type { FirstSockets } from "../node/serving.js";

/** A worker's or the background thread's start: its thread block and what it shares. */
export interface ThreadStart {
  share: CoreShare & { threadBlocks: number };
  shared: SharedHostInit;
  thread: number;
  /** "node", "deno" or "bun": whose sockets and TLS a worker uses. */
  runtime: string;
}

export interface WorkerStart extends ThreadStart {
  /** What the first worker bound, for the others to share. */
  first?: FirstSockets;
}

export interface WorkerReady {
  kind: "ready";
  sockets: FirstSockets;
}

export type FromWorker = WorkerReady | { kind: "shutdown" } | { kind: "closed" } | { kind: "failed"; message: string };
export type ToWorker = { kind: "close" };
