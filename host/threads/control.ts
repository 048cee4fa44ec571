// A server with worker threads (-t N, N > 1), memcached's thread layout: this thread (the
// control thread, memcached's main) sets the core up on a shared memory and starts N worker
// threads, which serve the connections, and one background thread, which runs maintenance
// and the clock. It keeps an instance of its own (thread block 0) for `server.engine`.
//
// Thread blocks: 0 this thread, 1..N the workers, N + 1 the background thread.
import { Worker } from "node:worker_threads";
import type { ShutdownMode } from "../driver.js";
import { Engine, type CompiledCore } from "../wasm_engine.js";
import type { ServerOptions } from "../options.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { createSharedHost, SharedHost, CONTROL_THREAD, FIRST_WORKER, threadBlocksFor } from "./shared_host.js";
import { gateFor } from "./gate.js";
import type { FromWorker, ThreadStart, WorkerFailed, WorkerReady, WorkerStart } from "./messages.js";
import { TlsError } from "../tls.js";
import { createSharedSessions } from "../tls_shared_sessions.js";
import type { TlsShared } from "../node/serving.js";
import { randomBytes } from "node:crypto";
import { ListenError } from "../listen_address.js";
import { forwardStdio, OWN_STDIO } from "./stdio.js";
import type { ShareModes } from "../node/serving.js";

export interface ThreadedRuntime {
  /** "node", "deno" or "bun". */
  name: string;
  /** How workers after the first share its sockets, per kind (node/serving.ts). */
  share: ShareModes;
  /** Compiles the core, with whatever the runtime needs for threads (Node 20: no Liftoff). */
  compile(bytes: Uint8Array): Promise<CompiledCore>;
}

export interface ThreadedServer {
  engine: Engine;
  /** How many connections each worker serves now (tests and bench/ check the spread). */
  connectionsPerWorker(): number[];
  ports: number[];
  udpPorts: number[];
  close(): Promise<void>;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);
const BACKGROUND_URL = new URL("./background.js", import.meta.url);

interface Started { worker: Worker; ready: WorkerReady }

function waitFor<T extends FromWorker["kind"]>(w: Worker, kind: T): Promise<Extract<FromWorker, { kind: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.kind === "failed") reject(workerError(m));
      if (m.kind !== kind) return;
      w.off("message", onMessage);
      resolve(m as Extract<FromWorker, { kind: T }>);
    };
    w.on("message", onMessage);
    w.once("error", reject);
  });
}

// One set of ticket keys (48 bytes, as node:tls takes them) and one session cache for every
// worker's TLS context, as memcached's threads share one SSL_CTX.
const TICKET_KEYS_BYTES = 48;
function tlsShared(opts: ServerOptions): TlsShared {
  return { ticketKeys: randomBytes(TICKET_KEYS_BYTES), sessions: opts.sslSessionCache ? createSharedSessions() : undefined };
}

// The error a worker failed with, as the CLI tells them apart (its exit code and message).
function workerError(m: WorkerFailed): Error {
  if (m.error && "tls" in m.error) return new TlsError(m.message, m.error.tls);
  if (m.error && "listen" in m.error) return new ListenError(m.message);
  return new Error(m.message);
}

export async function startThreadedServer(
  opts: ServerOptions, wasm: Uint8Array, runtime: ThreadedRuntime, prepare: (engine: Engine) => void,
  onShutdown: (mode: ShutdownMode) => void,
): Promise<ThreadedServer> {
  const workers = opts.threads;
  const blocks = threadBlocksFor(workers);
  const background = workers + 1;
  const module = await runtime.compile(wasm);
  const sharedInit = createSharedHost(blocks, opts.maxConns, `wasmcached-${process.pid}-${Date.now()}`);
  const shared = new SharedHost(sharedInit, CONTROL_THREAD);
  const engine = Engine.createShared(module, opts, blocks, {}, gateFor(shared));
  prepare(engine);
  engine.setHostStat(HostStat.PID, process.pid);
  engine.setHostStat(HostStat.THREADS, workers);
  engine.setHostStat(HostStat.ACCEPTING_CONNS, 1);
  const share = engine.share();
  const base: ThreadStart = { share, shared: sharedInit, thread: 0, runtime: runtime.name };
  const tls = opts.sslEnabled ? tlsShared(opts) : undefined;

  const bg = new Worker(BACKGROUND_URL, { workerData: { ...base, thread: background }, ...OWN_STDIO });
  forwardStdio(bg);
  const started: Worker[] = [bg];
  let all: Started[];
  try {
    const first = await startWorker({ ...base, thread: FIRST_WORKER, tls }, started);
    all = [first, ...await Promise.all(Array.from({ length: workers - 1 }, (_, i) => startWorker({
      ...base, thread: FIRST_WORKER + 1 + i, first: first.ready.sockets, tls,
    }, started)))];
  } catch (err) {
    // A worker that cannot bind (the port is taken) fails the start: none may outlive it.
    await Promise.all(started.map((w) => w.terminate()));
    shared.close();
    throw err;
  }
  const sockets = all[0].ready.sockets;
  for (const { worker } of all) worker.on("message", (m: FromWorker) => { if (m.kind === "shutdown") onShutdown(m.mode); });

  let closing: Promise<void> | undefined;
  return {
    engine,
    connectionsPerWorker: () => Array.from({ length: workers }, (_, i) => shared.connectionsOf(FIRST_WORKER + i)),
    ports: sockets.tcpPorts,
    udpPorts: sockets.udpPorts,
    close() {
      closing ??= (async () => {
        engine.setHostStat(HostStat.ACCEPTING_CONNS, 0);
        await Promise.all(all.map(async ({ worker }) => {
          worker.postMessage({ kind: "close" });
          await waitFor(worker, "closed");
        }));
        shared.stop();
        await waitFor(bg, "closed");
        // Every worker at once: the listening descriptors they share are closed together.
        await Promise.all([...all.map(({ worker }) => worker.terminate()), bg.terminate()]);
        shared.close();
      })();
      return closing;
    },
  };
}

async function startWorker(start: WorkerStart, started: Worker[]): Promise<Started> {
  const worker = new Worker(WORKER_URL, { workerData: start, ...OWN_STDIO });
  forwardStdio(worker);
  started.push(worker);
  const ready = await waitFor(worker, "ready");
  return { worker, ready };
}
