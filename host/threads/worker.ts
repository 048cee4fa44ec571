// A worker thread (memcached's mc-worker): its own event loop, its own instance of the core
// on the shared memory, its own driver, TLS context and listeners (node/serving.ts) for the
// connections it accepts.
//
// Workers share the listening sockets the way their runtime can (host/README.md, "Threads"):
// on Node every worker listens on the first worker's descriptors and the kernel hands each
// connection to one of them; a worker that takes a connection while it serves more than the
// least busy worker pauses its event loop for a moment, so that the next ones go to the others.
import { parentPort, workerData } from "node:worker_threads";
import { Engine } from "../wasm_engine.js";
import { startServing } from "../node/serving.js";
import type { Runtime } from "../node/server.js";
import { SharedHost } from "./shared_host.js";
import { gateFor } from "./gate.js";
import type { WorkerStart, ToWorker, FromWorker, WorkerFailed } from "./messages.js";
import { TlsError } from "../tls.js";
import { ListenError } from "../listen_address.js";

// Long enough for another worker's event loop to take the next connection waiting; a worker
// still ahead after this many gives up waiting (no connection may be coming).
const ACCEPT_YIELD_MS = 1;
const ACCEPT_YIELDS = 5;
const IDLE_CHECK_MS = 1000;

async function runtimeNamed(name: string): Promise<Runtime> {
  if (name === "bun") return (await import("../bun/runtime.js")).BUN_RUNTIME;
  if (name === "deno") return (await import("../deno/runtime.js")).DENO_RUNTIME;
  return (await import("../node/server.js")).NODE_RUNTIME;
}

function post(msg: FromWorker): void { parentPort!.postMessage(msg); }

async function main(start: WorkerStart): Promise<void> {
  const shared = new SharedHost(start.shared, start.thread);
  const engine = Engine.attach(start.share, start.thread, gateFor(shared));
  const runtime = await runtimeNamed(start.runtime);
  // Only one accept queue for all lets a worker that is ahead leave connections to the others.
  const balance = runtime.share.tcp === "fd";
  const serving = await startServing({
    opts: start.share.opts,
    runtime,
    protocol: engine,
    core: engine,
    onShutdown: (mode) => post({ kind: "shutdown", mode }),
    threads: {
      registry: shared,
      fanout: shared,
      onAccepted: () => {
        shared.accepted();
        for (let i = 0; balance && i < ACCEPT_YIELDS && shared.ahead(); i++) shared.pause(ACCEPT_YIELD_MS);
      },
      onReleased: () => shared.closed(),
    },
    first: start.first,
    onCertsRefreshed: () => shared.certsRefreshed(),
    tlsShared: start.tls,
  });
  const driver = serving.driver;
  shared.subscribe((type, line) => driver.deliverLine(type, line), () => serving.reloadCerts());
  const idle = setInterval(() => driver.kickIdle(Date.now()), IDLE_CHECK_MS);
  parentPort!.on("message", (msg: ToWorker) => {
    if (msg.kind !== "close") return;
    clearInterval(idle);
    // The listening sockets stay open: workers share them, and the control thread ends every
    // worker at once.
    driver.closeAll();
    shared.close();
    post({ kind: "closed" });
  });
  post({ kind: "ready", sockets: serving.sockets });
}

function failed(err: Error): WorkerFailed {
  if (err instanceof TlsError) return { kind: "failed", message: err.message, error: { tls: err.lineEnd } };
  if (err instanceof ListenError) return { kind: "failed", message: err.message, error: { listen: true } };
  return { kind: "failed", message: err.message };
}

void main(workerData as WorkerStart).catch((err: Error) => post(failed(err)));
