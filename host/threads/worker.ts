// A worker thread (memcached's mc-worker): its own event loop, its own instance of the core
// on the shared memory, its own driver for the connections it accepts.
//
// Workers share the listening port (host/README.md, "Threads"): on Node 20 every worker
// listens on the first worker's socket descriptors and the kernel hands each connection to
// one of them; where the runtime has SO_REUSEPORT each binds its own socket. A worker that
// takes a connection while it serves more than the least busy worker pauses its event loop
// for a moment, so that the next connections go to the others.
import { parentPort, workerData } from "node:worker_threads";
import { Engine } from "../wasm_engine.js";
import { Driver } from "../driver.js";
import { UdpEndpoint } from "../udp.js";
import { SharedHost } from "./shared_host.js";
import { gateFor } from "./gate.js";
import type { WorkerStart, WorkerReady, ToWorker, FromWorker } from "./messages.js";
import type { Listener, ShareSpec } from "../node/listen.js";
import type { Driver as DriverType } from "../driver.js";

// Long enough for another worker's event loop to take the next connection waiting; a worker
// still ahead after this many gives up waiting (no connection may be coming).
const ACCEPT_YIELD_MS = 1;
const ACCEPT_YIELDS = 5;
const IDLE_CHECK_MS = 1000;

type ListenTcp = (driver: DriverType, hosts: string[], port: number, backlog: number, share?: ShareSpec) => Promise<Listener>;

async function listenerFor(runtime: string): Promise<ListenTcp> {
  const mod = runtime === "bun" ? await import("../bun/listen.js") : await import("../node/listen.js");
  return mod.listenTcp;
}

function post(msg: FromWorker): void { parentPort!.postMessage(msg); }

async function main(start: WorkerStart): Promise<void> {
  const shared = new SharedHost(start.shared, start.thread);
  const engine = Engine.attach(start.share, start.thread, gateFor(shared));
  const opts = start.share.opts;
  const driver = new Driver(engine, {
    maxConns: opts.maxConns,
    idleTimeout: opts.idleTimeout,
    verbose: opts.verbose,
    trace: (line) => process.stderr.write(line + "\n"),
    log: (line) => process.stderr.write(line + "\n"),
    loginRequired: opts.sasl || opts.authFile !== "",
    onShutdown: () => post({ kind: "shutdown" }),
    registry: shared,
    fanout: shared,
    onAccepted: () => {
      shared.accepted();
      for (let i = 0; i < ACCEPT_YIELDS && shared.ahead(); i++) shared.pause(ACCEPT_YIELD_MS);
    },
    onReleased: () => shared.closed(),
  });
  shared.subscribe((type, line) => driver.deliverLine(type, line));
  let tcp: Listener | undefined;
  if (opts.port !== 0) {
    const listenTcp = await listenerFor(start.runtime);
    tcp = await listenTcp(driver, opts.listen, start.port ?? opts.port, opts.backlog, start.tcpShare);
  }
  let udpFds: number[] = [];
  let udpPorts: number[] = [];
  if (opts.udpPort !== 0) {
    const { listenUdp } = await import("../node/udp.js");
    const endpoint = new UdpEndpoint(engine, {
      onShutdown: () => post({ kind: "shutdown" }),
      onTrap: (err, datagram, peer) => driver.trapped(err, "udp", { peer, input: datagram }),
    });
    const udp = await listenUdp(endpoint, opts.listen, start.udpPort ?? opts.udpPort, start.udpFds);
    udpFds = udp.fds;
    udpPorts = udp.ports;
  }
  const idle = setInterval(() => driver.kickIdle(Date.now()), IDLE_CHECK_MS);
  parentPort!.on("message", (msg: ToWorker) => {
    if (msg.kind !== "close") return;
    clearInterval(idle);
    driver.closeAll();
    shared.close();
    post({ kind: "closed" });
  });
  const ready: WorkerReady = {
    kind: "ready",
    ports: tcp?.ports ?? [],
    fds: tcp?.fds ?? [],
    udpPorts,
    udpFds,
  };
  post(ready);
}

void main(workerData as WorkerStart).catch((err: Error) => post({ kind: "failed", message: err.message }));
