// A running wasmcached: the core, the driver, the TCP listeners and the timers.
// The CLI wraps this; tests and the benchmark start servers in-process with it too.
// Deno and Bun run it as well (they provide node:fs, node:dgram and process) with
// their own TCP listener: see Runtime.
import { readFileSync } from "node:fs";
import { Engine } from "../wasm_engine.js";
import { compileThreadedCore } from "./compile.js";
import type { CacheEngine, ProtocolEngine } from "../engine_api.js";
import type { Driver, ShutdownMode } from "../driver.js";
import { listenTcp, type Listener, type ShareSpec } from "./listen.js";
import { NodeTls } from "./tls.js";
import type { ListenAddress } from "../listen_address.js";
import type { TlsConfig, TlsContext, TlsEvents, TlsMaterial } from "../tls.js";
import { ServerOptions, defaultServerOptions, validateEngineOptions } from "../options.js";
import { readCoreWasm, type CoreBuild } from "../wasm.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { createJsTwin, jsTwinRefusal } from "../js/twin.js";
import { startThreadedServer, type ThreadedRuntime } from "../threads/control.js";
import { startServing } from "./serving.js";
import { strerror } from "../system_error.js";
import { restoreCache } from "../restart/restart.js";

export interface RunningServer<E extends CacheEngine = Engine> {
  /** The storage: the WASM core's wrapper, or with `engine: "js"` the JS twin's storage engine.
   * With worker threads, this thread's own instance of the shared core. */
  engine: E;
  /** What the driver feeds connections through: the WASM core, or the JS twin's text protocol. */
  protocol: ProtocolEngine;
  /** The connection driver of a server on one thread (worker threads have one each). */
  driver?: Driver;
  /** With worker threads: how many connections each serves now. */
  connectionsPerWorker?(): number[];
  /** Bound TCP ports, one per -l address. */
  ports: number[];
  /** Bound UDP ports (-U), one per -l address; empty when UDP is off. */
  udpPorts: number[];
  close(): Promise<void>;
}

const ONE_SECOND = 1000;
const KB = 1024;
const MB = 1024 * KB;

/** What differs between the runtimes that run startServer. */
export interface Runtime extends ThreadedRuntime {
  /** What `stats` shows as `libevent`, e.g. "node-20.20.2". */
  version: string;
  /** The runtime's TLS (-Z), for its TLS listeners; throws if the runtime refuses the ciphers. */
  createTls(config: TlsConfig, material: TlsMaterial, events: TlsEvents): TlsContext;
  /** `tls`: what createTls made, for the addresses that serve TLS; `share`: sockets another
   * worker thread bound (serving.ts). */
  listenTcp(driver: Driver, addresses: ListenAddress[], backlog: number, tls?: TlsContext, share?: ShareSpec): Promise<Listener>;
}

export const NODE_RUNTIME: Runtime = {
  name: "node",
  version: `node-${process.versions.node}`,
  createTls: (config, material, events) => new NodeTls(config, material, events),
  listenTcp: listenTcp as Runtime["listenTcp"],
  // Every worker listens on the first one's descriptors, on every Node version: one accept
  // queue the workers take turns at spreads connections evenly, where SO_REUSEPORT (Node ≥
  // 22.12) hashes them to a queue per worker (bench/spread.ts, host/README.md "Threads").
  share: { tcp: "fd", udp: "fd", unix: "fd" },
  compile: compileThreadedCore,
};

/** Options that leave the WASM core in place (the default engine). */
export type WasmServerOptions = Partial<ServerOptions> & { engine?: "wasm" };

interface Engines {
  engine: CacheEngine;
  protocol: ProtocolEngine;
  /** The WASM core, when it is the one serving (UDP and credentials need it). */
  core?: Engine;
}

async function createEngines(opts: ServerOptions, build: CoreBuild): Promise<Engines> {
  if (opts.engine === "js") {
    const twin = createJsTwin(opts);
    return { engine: twin.storage, protocol: twin.protocol };
  }
  const core = await Engine.create(readCoreWasm(build), opts);
  restoreFromFile(core, opts);
  warnMemoryCeiling(core, opts);
  loadCredentials(core, opts);
  return { engine: core, protocol: core, core };
}

// -e: the cache saved by the last graceful stop, before anything else touches the core (the
// credentials are loaded after: a failed restore starts the core over).
function restoreFromFile(core: Engine, opts: ServerOptions): void {
  if (opts.memoryFile) restoreCache(core.image(), opts.memoryFile, (line) => process.stderr.write(line + "\n"));
}

// memcached takes any -m and allocates only what it uses; one wasm32 memory holds 4 GiB, so a
// limit past that is taken too (limit_maxbytes shows it) and the cache evicts at the ceiling.
function warnMemoryCeiling(core: Engine, opts: ServerOptions): void {
  const ceiling = core.itemCeiling();
  if (opts.memoryLimitMb * MB <= ceiling) return;
  const itemsMb = Math.floor(ceiling / MB);
  process.stderr.write(`wasmcached: -m ${opts.memoryLimitMb} is more than one WebAssembly memory (4 GiB) can hold ` +
    `with the hash table and buffers: items are evicted at about ${itemsMb} MB\n`);
}

/** `build`: the checked core ("debug") lets tests run the server with its assertions on. */
export async function startServer(options?: WasmServerOptions, onShutdown?: (mode: ShutdownMode) => void, runtime?: Runtime, build?: CoreBuild): Promise<RunningServer>;
export async function startServer(options: Partial<ServerOptions>, onShutdown?: (mode: ShutdownMode) => void, runtime?: Runtime, build?: CoreBuild): Promise<RunningServer<CacheEngine>>;
export async function startServer(
  options: Partial<ServerOptions> = {}, onShutdown?: (mode: ShutdownMode) => void, runtime: Runtime = NODE_RUNTIME, build: CoreBuild = "release",
): Promise<RunningServer<CacheEngine>> {
  const opts = { ...defaultServerOptions(), ...options };
  const problem = validateEngineOptions(opts) ?? jsTwinRefusal(opts);
  if (problem) throw new Error(problem);
  if (opts.engine === "wasm" && opts.threads > 1) return startWithThreads(opts, onShutdown, runtime, build);
  const { engine, protocol, core } = await createEngines(opts, build);
  protocol.setHostVersion(runtime.version);
  let closing: Promise<void> | undefined;
  const serving = await startServing({
    opts, runtime, protocol, core, onShutdown: (mode) => (onShutdown ? onShutdown(mode) : void server.close()),
  });
  const driver = serving.driver;
  driver.setStat(HostStat.PID, process.pid);
  driver.setStat(HostStat.THREADS, opts.threads);
  driver.setStat(HostStat.ACCEPTING_CONNS, 1);
  engine.start();
  const tick = setInterval(() => {
    const cpu = process.cpuUsage();
    driver.setStat(HostStat.RUSAGE_USER_US, cpu.user);
    driver.setStat(HostStat.RUSAGE_SYSTEM_US, cpu.system);
    driver.kickIdle(Date.now());
  }, ONE_SECOND);
  tick.unref();
  const server: RunningServer<CacheEngine> = {
    engine,
    protocol,
    driver,
    ports: serving.sockets.tcpPorts,
    udpPorts: serving.sockets.udpPorts,
    close() {
      closing ??= (async () => {
        clearInterval(tick);
        engine.stop();
        driver.setStat(HostStat.ACCEPTING_CONNS, 0);
        await serving.close();
      })();
      return closing;
    },
  };
  return server;
}

/** A credentials file memcached would refuse; the message is memcached's, byte for byte. */
export class CredentialsError extends Error {
  constructor(message: string, readonly endsLine = true) {
    super(message);
  }
}


/** The SASL password file: -o sasl_pwdb, else $MEMCACHED_SASL_PWDB (as memcached's pwdb builds). */
export function saslPasswordFile(opts: ServerOptions): string {
  return opts.saslPwdb || process.env.MEMCACHED_SASL_PWDB || "";
}

// -Y's file, or with -S the SASL password file: `user:password` lines, copied into the core
// once. The host never looks inside; the core checks the format and every login.
function loadCredentials(engine: Engine, opts: ServerOptions): void {
  const file = opts.authFile || (opts.sasl ? saslPasswordFile(opts) : "");
  if (!file) return;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const why = strerror(err);
    // memcached's vperror repeats strerror after its own message.
    throw new CredentialsError(`Could not open authfile [${file}] for reading, error ${why}: ${why}`);
  }
  const refused = engine.loadCredentials(bytes);
  bytes.fill(0); // the core holds the only copy
  if (refused === "malformed") throw new CredentialsError(`Authfile [${file}] has a malformed entry. Should be 'user:password'`, false);
  if (refused) throw new CredentialsError(`Authfile [${file}] is too large (at most 16 KiB)`);
}

// -t N > 1: worker threads over one shared core (host/threads/control.ts).
async function startWithThreads(
  opts: ServerOptions, onShutdown: ((mode: ShutdownMode) => void) | undefined, runtime: Runtime, build: CoreBuild,
): Promise<RunningServer> {
  let server: RunningServer | undefined;
  const threaded = await startThreadedServer(opts, readCoreWasm(build), runtime, (engine) => {
    restoreFromFile(engine, opts);
    warnMemoryCeiling(engine, opts);
    loadCredentials(engine, opts);
    engine.setHostVersion(runtime.version);
  }, (mode) => (onShutdown ? onShutdown(mode) : void server?.close()));
  server = {
    engine: threaded.engine,
    protocol: threaded.engine,
    connectionsPerWorker: () => threaded.connectionsPerWorker(),
    ports: threaded.ports,
    udpPorts: threaded.udpPorts,
    close: () => threaded.close(),
  };
  return server;
}
