// The Node socket adapter: node:net listeners (TCP, and a UNIX socket for -s) feeding the
// runtime-agnostic driver. A TLS listener (-Z, node/tls.ts) puts each accepted socket through
// the handshake first; the driver sees the same plain bytes either way.
import net from "node:net";
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { Connection, Driver, Transport } from "../driver.js";
import { ListenError, type ListenAddress } from "../listen_address.js";
import { strerror } from "../system_error.js";
import type { NodeTls } from "./tls.js";
import { readInPlace } from "./reads.js";

export interface Listener {
  /** The bound TCP ports, in -l order. */
  ports: number[];
  /** The listening sockets' descriptors, in -l order (Node), for other threads to share. */
  fds: number[];
  close(): Promise<void>;
}

/** How worker threads share a port: one socket's descriptor, or one socket each. */
export interface ShareSpec {
  /** Listen on these descriptors (another thread's sockets) instead of binding. */
  fds?: number[];
  /** Bind with SO_REUSEPORT, beside the other threads' sockets on the same port. */
  reusePort?: boolean;
}

// memcached writes IPv6 addresses as tcp6:[addr]:port.
function tcpAddr(ip: string | undefined, port: number | undefined): string {
  if (!ip) return "tcp:unknown";
  return ip.includes(":") ? `tcp6:[${ip}]:${port}` : `tcp:${ip}:${port}`;
}

// A UNIX socket's client has no address: memcached prints its zeroed peer address this way.
const UNIX_PEER = "?:<AF 0>";
// memcached reads a listener's own address into a sockaddr_in6 (28 bytes), so `stats conns`
// shows only the first 26 bytes of its socket path (its clients' listen_addr, read into a
// sockaddr_storage, show it whole).
const LISTENER_PATH_MAX = 26;

// The accepted socket, then (TLS) the socket its handshake produced. `unixPath`: accepted on
// the -s socket.
class SocketTransport implements Transport {
  readonly kind: "tcp" | "local";

  constructor(public s: net.Socket, private readonly unixPath?: string) {
    this.kind = unixPath === undefined ? "tcp" : "local";
  }

  write(bytes: Uint8Array): void { this.s.write(bytes); }
  // Buffer.allocUnsafe carves small replies out of Node's shared pool: no ArrayBuffer per
  // reply, which a Uint8Array slice would cost.
  writeCopyOf(bytes: Uint8Array, start: number, end: number): void {
    const copy = Buffer.allocUnsafe(end - start);
    copy.set(bytes.subarray(start, end));
    this.s.write(copy);
  }
  pendingBytes(): number { return this.s.writableLength; }
  end(): void { this.s.end(); }
  destroy(): void { this.s.destroy(); }
  pause(): void { this.s.pause(); }
  resume(): void { this.s.resume(); }
  addr(): string { return this.unixPath === undefined ? tcpAddr(this.s.remoteAddress, this.s.remotePort) : UNIX_PEER; }
  listenAddr(): string {
    return this.unixPath === undefined ? tcpAddr(this.s.localAddress, this.s.localPort) : `unix:${this.unixPath}`;
  }
}

// `inPlace`: a plain socket, read into the thread's receive buffer where the runtime allows.
function attach(c: Connection, s: net.Socket, inPlace: boolean): void {
  if (!inPlace || !readInPlace(s, (n, bytes) => c.onData(bytes, n))) s.on("data", (chunk: Buffer) => c.onData(chunk));
  s.on("drain", () => c.onDrain());
  s.on("close", () => c.onClose());
  s.on("end", () => c.onEnd());
}

function serve(driver: Driver, s: net.Socket, tls: NodeTls | undefined, unixPath?: string): void {
  if (unixPath === undefined) s.setNoDelay(true);
  const t = new SocketTransport(s, unixPath);
  // A connection over -c is refused before any handshake, in plain text, as memcached does.
  const c = driver.accept(t);
  s.on("error", () => s.destroy());
  if (!c) {
    // Refused: nothing is read from it, so close fully once the refusal is sent.
    s.once("finish", () => s.destroy());
    return;
  }
  if (!tls) {
    attach(c, s, true);
    return;
  }
  // Until the handshake is done, only closing concerns the driver (failure, idle timeout), and
  // a client that stops sending mid-handshake is done: half-open applies from then on.
  s.on("close", () => c.onClose());
  s.allowHalfOpen = false;
  tls.handshake(s, (secure) => {
    t.s = secure;
    secure.allowHalfOpen = true;
    secure.on("error", () => secure.destroy());
    attach(c, secure, false);
  });
}

// Node keeps a listening socket's descriptor on its handle (not public API, stable since v0.x).
function descriptorOf(server: net.Server): number {
  return (server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
}

// Node's listen() takes { fd } too (a handle another thread bound); its types do not say so.
type ListenAt = net.ListenOptions | { fd: number };

function listening(server: net.Server, at: ListenAt, fail: (err: Error) => Error = (e) => e): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(fail(err)));
    server.listen(at as net.ListenOptions, () => resolve());
  });
}

// -s: memcached removes a socket file left behind by an earlier run (never any other kind of
// file) and binds under a umask that gives the socket file the -a mode from its creation, so no
// client ever finds it with another mode. Node binds a path synchronously inside listen(); the
// chmod afterwards covers a runtime that does not, and a worker thread, which may not set the
// process's umask (the file then has the process umask's mode for that moment: 0755 under the
// usual 022, which lets no other user connect). memcached serves no TLS on it. With `fd`, a
// worker thread listens on the socket another thread bound.
export async function listenUnix(driver: Driver, path: string, mask: number, backlog: number, fd?: number): Promise<Listener> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => serve(driver, s, undefined, path));
  if (fd !== undefined) {
    await listening(server, { fd });
  } else {
    try {
      if (lstatSync(path).isSocket()) unlinkSync(path);
    } catch {
      // nothing there
    }
    const umask = isMainThread ? process.umask(~mask & 0o777) : undefined;
    try {
      await listening(server, { path, backlog }, (err) => new ListenError(`bind(): ${strerror(err)}\nfailed to listen on UNIX socket: ${path}`));
    } finally {
      if (umask !== undefined) process.umask(umask);
    }
    chmodSync(path, mask & 0o777);
  }
  driver.listeners.push(`unix:${Buffer.from(path).subarray(0, LISTENER_PATH_MAX).toString()}`);
  return { ports: [], fds: [descriptorOf(server)], close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** One bound listener. */
export interface BoundSocket {
  port: number;
  /** Its descriptor, for other threads to listen on (-1 where the runtime does not say). */
  fd: number;
  close(): Promise<void>;
}

/** How one listener is shared with other threads: another's descriptor, or SO_REUSEPORT. */
export interface SocketShare {
  fd?: number;
  reusePort?: boolean;
}

/** A node:net listener on `host` ("": every interface) and `port` (0: any free one). */
export async function listenNet(
  driver: Driver, host: string, port: number, backlog: number, tls?: NodeTls, share: SocketShare = {},
): Promise<BoundSocket> {
  // Half-open: a client that pipelines commands and then shuts its write side down
  // (`printf ... | nc`) still gets every reply; the driver ends our side when done.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => serve(driver, s, tls));
  const at: ListenAt = share.fd !== undefined ? { fd: share.fd }
    : { host: host || undefined, port, backlog, ...(share.reusePort ? { reusePort: true } : {}) };
  await listening(server, at);
  const address = server.address() as net.AddressInfo;
  driver.listeners.push(tcpAddr(address.address, address.port));
  return { port: address.port, fd: descriptorOf(server), close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Binds each address in order; those asking for any free port share the one the first got. */
export async function bindAll(
  addresses: ListenAddress[], bind: (a: ListenAddress, port: number, i: number) => Promise<BoundSocket>,
): Promise<Listener> {
  const bound: BoundSocket[] = [];
  let ephemeral = 0;
  try {
    for (const [i, a] of addresses.entries()) {
      const b = await bind(a, a.port < 0 ? ephemeral : a.port, i);
      if (a.port < 0) ephemeral = b.port;
      bound.push(b);
    }
  } catch (err) {
    await Promise.all(bound.map((b) => b.close()));
    throw err;
  }
  return {
    ports: bound.map((b) => b.port),
    fds: bound.map((b) => b.fd),
    close: () => Promise.all(bound.map((b) => b.close())).then(() => undefined),
  };
}

export function listenTcp(driver: Driver, addresses: ListenAddress[], backlog: number, tls?: NodeTls, share: ShareSpec = {}): Promise<Listener> {
  return bindAll(addresses, (a, port, i) => listenNet(driver, a.host, port, backlog, a.tls ? tls : undefined,
    { fd: share.fds?.[i], reusePort: share.reusePort }));
}
