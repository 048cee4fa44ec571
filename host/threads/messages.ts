// What the control thread and its worker and background threads say to each other.
import type { CoreShare } from "../wasm_engine.js";
import type { SharedHostInit } from "./shared_host.js";
import type { ShareSpec } from "../node/listen.js";

/** A worker's or the background thread's start: its thread block and what it shares. */
export interface ThreadStart {
  share: CoreShare & { threadBlocks: number };
  shared: SharedHostInit;
  thread: number;
  /** "node", "deno" or "bun": which socket adapter a worker uses. */
  runtime: string;
}

export interface WorkerStart extends ThreadStart {
  /** The port the first worker bound (-p -1 picks one): the others use the same. */
  port?: number;
  tcpShare?: ShareSpec;
  udpPort?: number;
  /** The first worker's UDP sockets, which every worker reads. */
  udpFds?: number[];
}

export interface WorkerReady {
  kind: "ready";
  ports: number[];
  fds: number[];
  udpPorts: number[];
  udpFds: number[];
}

export type FromWorker = WorkerReady | { kind: "shutdown" } | { kind: "closed" } | { kind: "failed"; message: string };
export type ToWorker = { kind: "close" };
