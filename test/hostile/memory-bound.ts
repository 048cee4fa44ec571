// The most resident memory a wasmcached process may hold: README.md ("Memory bound") derives
// each term; the hostile suites assert it.
//
//   RSS ≤ runtime + isolates × thread runtime + linear memory + moving workers × I/O garbage
//         + connections × idle connection + buffering connections × their buffers
import { Engine, compileCore } from "../../host/wasm_engine.js";
import { OUTPUT_HIGH_WATER, READ_CHUNK_MAX } from "../../host/driver.js";
import { readCoreWasm } from "../../host/wasm.js";
import { defaultServerOptions, type ServerOptions } from "../../host/options.js";
import { threadBlocksFor } from "../../host/threads/shared_host.js";
import { expect } from "chai";
import { MiB } from "../helpers/rss.js";

/** Node, V8, the compiled core and the CLI before any client (measured 52-54 MB on Node 20). */
export const RUNTIME_MAX = 64 * MiB;
/**
 * Each worker and the background thread with -t N > 1: an isolate with its own heap and its
 * own instance of the core (measured ~10 MiB each: 104 MiB at the start with -t 4).
 */
export const THREAD_RUNTIME_MAX = 16 * MiB;
/**
 * Socket reads and reply copies already dropped but not yet collected, per worker that moves
 * data (each isolate collects its own): V8 frees buffers only at a GC, and glibc keeps freed
 * pages for reuse. Measured up to ~41 MB with one client streaming sets at loopback speed
 * (input.test.ts).
 */
export const IO_GARBAGE_MAX = 64 * MiB;
/**
 * What a scenario that moves little data may leave uncollected: V8's young generation, where
 * short-lived objects wait for a scavenge, is at most 3 × 16 MiB on 64-bit Node.
 */
export const QUIET_GARBAGE_MAX = 48 * MiB;
/** An idle connection: the socket, its handle and the driver's Connection (measured ~8 KB). */
export const CONNECTION_IDLE_MAX = 16 * 1024;

export interface ServerShape {
  /** The core's whole linear memory reservation (memoryCap), every thread's areas included. */
  linear: number;
  /** Worker threads (-t); one serves everything when it is 1. */
  workers: number;
  /** Isolates beyond the main one: the workers and the background thread, with -t > 1. */
  threadIsolates: number;
  /**
   * The most input one connection may buffer: reading stops once READ_AHEAD or what the core
   * asked for (at most its input area) is buffered, after one more read.
   */
  inputMax: number;
  /**
   * The most output one connection may buffer: reading stops above OUTPUT_HIGH_WATER, replies
   * held during a swallow go out above it too, and one process() call adds its output area.
   */
  outputMax: number;
}

/** The sizes that matter for a server started with these options (built in-process, then dropped). */
export async function serverShape(options: Partial<ServerOptions>): Promise<ServerShape> {
  const workers = options.threads ?? defaultServerOptions().threads;
  const engine = Engine.createShared(await compileCore(readCoreWasm("release")), options, threadBlocksFor(workers));
  return {
    linear: engine.memoryCap(),
    workers,
    threadIsolates: workers > 1 ? workers + 1 : 0,
    inputMax: engine.inSize + READ_CHUNK_MAX,
    outputMax: 2 * OUTPUT_HIGH_WATER + engine.outSize,
  };
}

export interface Load {
  /** Connections open at once. */
  connections: number;
  /** Of those, how many may hold a full input buffer, and how many a full output buffer. */
  buffering?: { input?: number; output?: number };
}

function connectionsMax(shape: ServerShape, load: Load): number {
  return load.connections * CONNECTION_IDLE_MAX
    + (load.buffering?.input ?? 0) * shape.inputMax
    + (load.buffering?.output ?? 0) * shape.outputMax;
}

/** The most RSS the process may hold under `load`: garbage in every worker a connection may be on. */
export function rssBound(shape: ServerShape, load: Load): number {
  const moving = Math.min(shape.workers, load.connections);
  return RUNTIME_MAX + shape.threadIsolates * THREAD_RUNTIME_MAX + shape.linear + moving * IO_GARBAGE_MAX
    + connectionsMax(shape, load);
}

/** The most RSS may grow while `load` moves little data (no I/O garbage to speak of). */
export function growthBound(shape: ServerShape, load: Load): number {
  return connectionsMax(shape, load) + Math.min(shape.workers, load.connections) * QUIET_GARBAGE_MAX;
}

export const mb = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/**
 * Asserts a measured peak (or growth) against its bound. With WASMCACHED_RSS_REPORT set, every
 * measurement is printed as well: README.md ("Memory bound") quotes them.
 */
export function expectWithin(measured: number, bound: number, what: string): void {
  const line = `${what}: ${mb(measured)}, bound ${mb(bound)}`;
  if (process.env.WASMCACHED_RSS_REPORT) console.log(`      ${line}`);
  expect(measured, line).to.be.at.most(bound);
}
