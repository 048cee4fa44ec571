// What the control thread and its worker and background threads say to each other.
import type { ShutdownMode } from "../driver.js";
import type { CoreShare } from "../wasm_engine.js";
import type { SharedHostInit } from "./shared_host.js";
import type { FirstSockets, TlsShared } from "../node/serving.js";

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
  /** -Z: what every worker's TLS context shares. */
  tls?: TlsShared;
}

export interface WorkerReady {
  kind: "ready";
  sockets: FirstSockets;
}

/** A worker could not start: the error, with what the CLI needs to report it as memcached does. */
export interface WorkerFailed {
  kind: "failed";
  message: string;
  /** TlsError (with its line end) or ListenError; anything else is a plain Error. */
  error?: { tls: string } | { listen: true };
}

export type FromWorker = WorkerReady | WorkerFailed | { kind: "shutdown"; mode: ShutdownMode } | { kind: "closed" };
export type ToWorker = { kind: "close" };
