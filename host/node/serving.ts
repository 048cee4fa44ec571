// What one thread that serves connections sets up: its driver, its TLS context and its
// listeners (TCP, the -s UNIX socket, UDP). A server on one thread has one; with worker
// threads every worker has its own over the shared core (host/threads/worker.ts), and the
// workers after the first share the first one's sockets the way their runtime can.
import type { Engine } from "../wasm_engine.js";
import type { ProtocolEngine } from "../engine_api.js";
import { Driver, type DriverOptions, type ShutdownMode } from "../driver.js";
import { WorkerBuffers } from "../worker_buffers.js";
import { listenUnix, type Listener, type ShareSpec } from "./listen.js";
import { listenUdp, type UdpListener } from "./udp.js";
import { listenAddresses, type ListenAddress } from "../listen_address.js";
import { TlsContext, TlsEvents, tlsConfig, loadTlsMaterial, refreshCerts, cipherError } from "../tls.js";
import { UdpEndpoint } from "../udp.js";
import { SharedTlsSessions } from "../tls_shared_sessions.js";
import type { ServerOptions } from "../options.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { Setting } from "../../assembly/abi/settings.js";
import type { Runtime } from "./server.js";

const KB = 1024;
const MB = 1024 * KB;

/**
 * How later worker threads share a kind of socket with the first: listen on its descriptor
 * ("fd"), bind one of their own with SO_REUSEPORT ("reusePort"), or leave it to the first
 * worker alone ("first": the runtime can do neither).
 */
export type ShareMode = "fd" | "reusePort" | "first";

export interface ShareModes { tcp: ShareMode; udp: ShareMode; unix: ShareMode }

/** What the first worker bound, for the others (structured-clonable). */
export interface FirstSockets {
  tcpPorts: number[];
  tcpFds: number[];
  udpPorts: number[];
  udpFds: number[];
  unixFds: number[];
  /** Every listener as `stats conns` names it, the same on every worker. */
  listeners: string[];
}

export interface ServingSetup {
  opts: ServerOptions;
  runtime: Runtime;
  protocol: ProtocolEngine;
  /** The WASM core, which UDP needs (the JS twin serves no UDP). */
  core?: Engine;
  onShutdown(mode: ShutdownMode): void;
  /** Worker threads: the shared connection table, watchers elsewhere, accept balancing. */
  threads?: Pick<DriverOptions, "registry" | "fanout" | "onAccepted" | "onReleased">;
  /** Another worker bound the sockets first. */
  first?: FirstSockets;
  /** refresh_certs reloaded this thread's certificates: the other threads' should follow. */
  onCertsRefreshed?(): void;
  /** What every worker's TLS context shares: ticket keys, and with ssl_session_cache the
   * sessions (tls_shared_sessions.ts). */
  tlsShared?: TlsShared;
}

/** Structured-clonable, for worker threads. */
export interface TlsShared {
  ticketKeys: Uint8Array;
  sessions?: SharedArrayBuffer;
}

export interface Serving {
  driver: Driver;
  sockets: FirstSockets;
  /** Reloads this thread's certificates (another thread's refresh_certs); null or why not. */
  reloadCerts(): string | null;
  close(): Promise<void>;
}

function shareFor(mode: ShareMode, fds: number[] | undefined): ShareSpec | null {
  if (fds === undefined) return mode === "reusePort" ? { reusePort: true } : {};
  if (mode === "first") return null;
  return mode === "fd" ? { fds } : { reusePort: true };
}

// A later worker binds the ports the first one got (-p -1 asked for any free one).
function samePorts(addresses: ListenAddress[], ports: number[] | undefined): ListenAddress[] {
  return ports ? addresses.map((a, i) => ({ ...a, port: ports[i] ?? a.port })) : addresses;
}

export async function startServing(s: ServingSetup): Promise<Serving> {
  const { opts, runtime } = s;
  let tls: TlsContext | undefined;
  const reloadCerts = () => {
    const problem = refreshCerts(opts, tls!);
    if (problem === null) driver.setStat(HostStat.SSL_CERT_REFRESH_TIME, s.core!.currentTime());
    return problem;
  };
  const driver = new Driver(s.protocol, {
    maxConns: opts.maxConns,
    idleTimeout: opts.idleTimeout,
    verbose: opts.verbose,
    trace: (line) => process.stderr.write(line + "\n"),
    log: (line) => process.stderr.write(line + "\n"),
    loginRequired: opts.sasl || opts.authFile !== "",
    watcherBufferBytes: opts.watcherLogbufSize * KB,
    buffers: new WorkerBuffers(opts.readBufMemLimit * MB, opts.threads),
    onShutdown: s.onShutdown,
    refreshCerts: () => {
      const problem = reloadCerts();
      if (problem === null) s.onCertsRefreshed?.();
      return problem;
    },
    ...s.threads,
  });
  if (opts.sslEnabled) tls = startTls(opts, driver, runtime, s.tlsShared);
  const first = s.first;
  const closers: (() => Promise<void>)[] = [];
  const sockets: FirstSockets = { tcpPorts: [], tcpFds: [], udpPorts: [], udpFds: [], unixFds: [], listeners: [] };
  // Listeners come first where memcached numbers connections (`stats conns`, watch's cfd). The
  // count is set before the first socket can take a client, since a worker serves as soon as
  // it listens, and again once every socket is bound.
  if (!first) driver.engine.setSetting(Setting.CONN_FD_BASE, listenerCount(opts, s.core !== undefined));
  try {
    // -s serves a UNIX socket instead of TCP and UDP, as memcached does.
    if (opts.unixSocket !== "") {
      const share = shareFor(runtime.share.unix, first?.unixFds);
      if (share) {
        const l = await listenUnix(driver, opts.unixSocket, opts.unixMask, opts.backlog, share.fds?.[0]);
        closers.push(() => l.close());
        sockets.unixFds = l.fds;
      }
    } else {
      if (opts.port !== 0) {
        const share = shareFor(runtime.share.tcp, first?.tcpFds)!;
        const addresses = samePorts(listenAddresses(opts.listen, opts.port, opts.sslEnabled), first?.tcpPorts);
        const l: Listener = await runtime.listenTcp(driver, addresses, opts.backlog, tls, share);
        closers.push(() => l.close());
        sockets.tcpPorts = l.ports;
        sockets.tcpFds = l.fds;
      }
      const share = shareFor(runtime.share.udp, first?.udpFds);
      if (s.core && opts.udpPort !== 0 && share) {
        const u = await serveUdp(s, driver, share, first?.udpPorts);
        closers.push(() => u.close());
        sockets.udpPorts = u.ports;
        sockets.udpFds = u.fds;
      }
    }
  } catch (err) {
    await Promise.all(closers.map((c) => c()));
    throw err;
  }
  // Every worker lists the same listeners, whatever it could bind itself.
  if (first) driver.listeners.splice(0, driver.listeners.length, ...first.listeners);
  else driver.engine.setSetting(Setting.CONN_FD_BASE, driver.fdBase());
  sockets.listeners = [...driver.listeners];
  return {
    driver,
    sockets,
    reloadCerts: () => (tls ? reloadCerts() : null),
    close: async () => {
      const done = Promise.all(closers.map((c) => c()));
      driver.closeAll();
      await done;
    },
  };
}

async function serveUdp(s: ServingSetup, driver: Driver, share: ShareSpec, ports: number[] | undefined): Promise<UdpListener> {
  const endpoint = new UdpEndpoint(s.core!, {
    onShutdown: s.onShutdown,
    onTrap: (err, datagram, peer) => driver.trapped(err, "udp", { peer, input: datagram }),
    refreshCerts: (noreply) => driver.refreshCerts(noreply),
  });
  const addresses = samePorts(listenAddresses(s.opts.listen, s.opts.udpPort, s.opts.sslEnabled), ports);
  const udp = await listenUdp(endpoint, addresses, share);
  for (const a of udp.bound) driver.listeners.push(udpAddr(a.address, a.port));
  return udp;
}

// The sockets startServing will bind: the -s one, or one per -l address for TCP and, with the
// core (the JS twin serves no UDP), for UDP.
function listenerCount(opts: ServerOptions, udp: boolean): number {
  if (opts.unixSocket !== "") return 1;
  const tcp = opts.port !== 0 ? listenAddresses(opts.listen, opts.port, opts.sslEnabled).length : 0;
  const datagram = udp && opts.udpPort !== 0 ? listenAddresses(opts.listen, opts.udpPort, opts.sslEnabled).length : 0;
  return tcp + datagram;
}

function udpAddr(host: string, port: number): string {
  return host.includes(":") ? `udp6:[${host}]:${port}` : `udp:${host}:${port}`;
}

// The certificates are loaded before any socket is bound, as memcached does.
function startTls(opts: ServerOptions, driver: Driver, runtime: Runtime, shared: TlsShared | undefined): TlsContext {
  const material = loadTlsMaterial(opts);
  const events: TlsEvents = {
    handshakeFailed: () => driver.count(HostStat.SSL_HANDSHAKE_ERRORS, 1),
    newSession: () => driver.count(HostStat.SSL_NEW_SESSIONS, 1),
  };
  try {
    const config = {
      ...tlsConfig(opts),
      ticketKeys: shared?.ticketKeys,
      sessions: shared?.sessions ? new SharedTlsSessions(shared.sessions) : undefined,
    };
    return runtime.createTls(config, material, events);
  } catch (err) {
    if (opts.sslCiphers && /cipher/i.test((err as Error).message)) throw cipherError(opts);
    throw err;
  }
}
