// A running wasmcached: the core, the driver, the TCP listeners and the timers.
// The CLI wraps this; tests and the benchmark start servers in-process with it too.
// Deno and Bun run it as well (they provide node:fs, node:dgram and process) with
// their own TCP listener: see Runtime.
import { readFileSync } from "node:fs";
import { Engine } from "../wasm_engine.js";
import type { CacheEngine, ProtocolEngine } from "../engine_api.js";
import { Driver } from "../driver.js";
import { WorkerBuffers } from "../worker_buffers.js";
import { listenTcp, listenUnix, Listener } from "./listen.js";
import { NodeTls } from "./tls.js";
import { listenAddresses, ListenAddress } from "../listen_address.js";
import {
  TlsConfig, TlsContext, TlsEvents, TlsMaterial, tlsConfig, loadTlsMaterial, refreshCerts, cipherError,
} from "../tls.js";
import { listenUdp, UdpListener } from "./udp.js";
import { UdpEndpoint } from "../udp.js";
import { ServerOptions, defaultServerOptions, validateEngineOptions } from "../options.js";
import { readCoreWasm } from "../wasm.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { Setting } from "../../assembly/abi/settings.js";
import { createJsTwin, jsTwinRefusal } from "../js/twin.js";
import { strerror } from "../system_error.js";

export interface RunningServer<E extends CacheEngine = Engine> {
  /** The storage: the WASM core's wrapper, or with `engine: "js"` the JS twin's storage engine. */
  engine: E;
  /** What the driver feeds connections through: the WASM core, or the JS twin's text protocol. */
  protocol: ProtocolEngine;
  driver: Driver;
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
export interface Runtime {
  /** What `stats` shows as `libevent`, e.g. "node-20.20.2". */
  version: string;
  /** The runtime's TLS (-Z), for its TLS listeners; throws if the runtime refuses the ciphers. */
  createTls(config: TlsConfig, material: TlsMaterial, events: TlsEvents): TlsContext;
  /** `tls`: what createTls made, for the addresses that serve TLS. */
  listenTcp(driver: Driver, addresses: ListenAddress[], backlog: number, tls?: TlsContext): Promise<Listener>;
}

export const NODE_RUNTIME: Runtime = {
  version: `node-${process.versions.node}`,
  createTls: (config, material, events) => new NodeTls(config, material, events),
  listenTcp,
};

/** Options that leave the WASM core in place (the default engine). */
export type WasmServerOptions = Partial<ServerOptions> & { engine?: "wasm" };

interface Engines {
  engine: CacheEngine;
  protocol: ProtocolEngine;
  /** The WASM core, when it is the one serving (UDP and credentials need it). */
  core?: Engine;
}

async function createEngines(opts: ServerOptions): Promise<Engines> {
  if (opts.engine === "js") {
    const twin = createJsTwin(opts);
    return { engine: twin.storage, protocol: twin.protocol };
  }
  const core = await Engine.create(readCoreWasm("release"), opts);
  warnMemoryCeiling(core, opts);
  loadCredentials(core, opts);
  return { engine: core, protocol: core, core };
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

export async function startServer(options?: WasmServerOptions, onShutdown?: () => void, runtime?: Runtime): Promise<RunningServer>;
export async function startServer(options: Partial<ServerOptions>, onShutdown?: () => void, runtime?: Runtime): Promise<RunningServer<CacheEngine>>;
export async function startServer(
  options: Partial<ServerOptions> = {}, onShutdown?: () => void, runtime: Runtime = NODE_RUNTIME,
): Promise<RunningServer<CacheEngine>> {
  const opts = { ...defaultServerOptions(), ...options };
  const problem = validateEngineOptions(opts) ?? jsTwinRefusal(opts);
  if (problem) throw new Error(problem);
  const { engine, protocol, core } = await createEngines(opts);
  protocol.setHostVersion(runtime.version);
  let closing: Promise<void> | undefined;
  const driver = new Driver(protocol, {
    maxConns: opts.maxConns,
    idleTimeout: opts.idleTimeout,
    verbose: opts.verbose,
    trace: (line) => process.stderr.write(line + "\n"),
    log: (line) => process.stderr.write(line + "\n"),
    loginRequired: opts.sasl || opts.authFile !== "",
    watcherBufferBytes: opts.watcherLogbufSize * KB,
    buffers: new WorkerBuffers(opts.readBufMemLimit * MB, opts.threads),
    onShutdown: () => (onShutdown ? onShutdown() : void server.close()),
    refreshCerts: () => refreshTls(),
  });
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
  const tls = opts.sslEnabled ? startTls(opts, driver, runtime) : undefined;
  const refreshTls = () => {
    const problem = refreshCerts(opts, tls!);
    if (problem === null) driver.setStat(HostStat.SSL_CERT_REFRESH_TIME, engine.currentTime());
    return problem;
  };
  let listener: Listener | undefined;
  // -s serves a UNIX socket instead of TCP and UDP, as memcached does.
  const network = opts.unixSocket === "";
  if (!network) listener = await listenUnix(driver, opts.unixSocket, opts.unixMask, opts.backlog);
  else if (opts.port !== 0) {
    listener = await runtime.listenTcp(driver, listenAddresses(opts.listen, opts.port, opts.sslEnabled), opts.backlog, tls);
  }
  let udp: UdpListener | undefined;
  if (core && network && opts.udpPort !== 0) {
    const endpoint = new UdpEndpoint(core, {
      onShutdown: () => (onShutdown ? onShutdown() : void server.close()),
      onTrap: (err, datagram, peer) => driver.trapped(err, "udp", { peer, input: datagram }),
      refreshCerts: (noreply) => driver.refreshCerts(noreply),
    });
    udp = await listenUdp(endpoint, listenAddresses(opts.listen, opts.udpPort, opts.sslEnabled));
    for (const a of udp.bound) driver.listeners.push(udpAddr(a.address, a.port));
  }
  protocol.setSetting(Setting.CONN_FD_BASE, driver.fdBase());
  const server: RunningServer<CacheEngine> = {
    engine,
    protocol,
    driver,
    ports: listener?.ports ?? [],
    udpPorts: udp?.ports ?? [],
    close() {
      closing ??= (async () => {
        clearInterval(tick);
        engine.stop();
        driver.setStat(HostStat.ACCEPTING_CONNS, 0);
        const done = listener?.close();
        driver.closeAll();
        await Promise.all([done, udp?.close()]);
      })();
      return closing;
    },
  };
  return server;
}

function udpAddr(host: string, port: number): string {
  return host.includes(":") ? `udp6:[${host}]:${port}` : `udp:${host}:${port}`;
}

// The certificates are loaded before any socket is bound, as memcached does.
function startTls(opts: ServerOptions, driver: Driver, runtime: Runtime): TlsContext {
  const material = loadTlsMaterial(opts);
  const events: TlsEvents = {
    handshakeFailed: () => driver.count(HostStat.SSL_HANDSHAKE_ERRORS, 1),
    newSession: () => driver.count(HostStat.SSL_NEW_SESSIONS, 1),
  };
  try {
    return runtime.createTls(tlsConfig(opts), material, events);
  } catch (err) {
    if (opts.sslCiphers && /cipher/i.test((err as Error).message)) throw cipherError(opts);
    throw err;
  }
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
