// The Node socket adapter: node:net listeners (TCP, and a UNIX socket for -s) feeding the
// runtime-agnostic driver.
import net from "node:net";
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { Driver, Transport } from "../driver.js";
import { ListenError, strerror } from "../strerror.js";

export interface Listener {
  /** The bound TCP ports, in -l order. */
  ports: number[];
  close(): Promise<void>;
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

function transportFor(s: net.Socket, unixPath?: string): Transport {
  const local = unixPath !== undefined;
  return {
    kind: local ? "local" : "tcp",
    write: (bytes) => { s.write(bytes); },
    // Buffer.allocUnsafe carves small replies out of Node's shared pool: no ArrayBuffer per
    // reply, which a Uint8Array slice would cost.
    writeCopyOf: (view) => {
      const copy = Buffer.allocUnsafe(view.length);
      copy.set(view);
      s.write(copy);
    },
    pendingBytes: () => s.writableLength,
    end: () => { s.end(); },
    destroy: () => { s.destroy(); },
    pause: () => { s.pause(); },
    resume: () => { s.resume(); },
    addr: () => (local ? UNIX_PEER : tcpAddr(s.remoteAddress, s.remotePort)),
    listenAddr: () => (local ? `unix:${unixPath}` : tcpAddr(s.localAddress, s.localPort)),
  };
}

function serve(driver: Driver, s: net.Socket, unixPath?: string): void {
  if (unixPath === undefined) s.setNoDelay(true);
  const c = driver.accept(transportFor(s, unixPath));
  s.on("error", () => s.destroy());
  if (!c) {
    // Refused: nothing is read from it, so close fully once the refusal is sent.
    s.once("finish", () => s.destroy());
    return;
  }
  s.on("data", (chunk: Buffer) => c.onData(chunk));
  s.on("drain", () => c.onDrain());
  s.on("close", () => c.onClose());
  s.on("end", () => c.onEnd());
}

// -s: memcached removes a socket file left behind by an earlier run (never any other kind of
// file) and binds under a umask that gives the socket file the -a mode from its creation, so no
// client ever finds it with another mode. Node binds a path synchronously inside listen(); the
// chmod afterwards covers a runtime that does not.
export async function listenUnix(driver: Driver, path: string, mask: number, backlog: number): Promise<Listener> {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // nothing there
  }
  const server = net.createServer({ allowHalfOpen: true }, (s) => serve(driver, s, path));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new ListenError(`bind(): ${strerror(err)}\nfailed to listen on UNIX socket: ${path}`)));
    const umask = process.umask(~mask & 0o777);
    try {
      server.listen({ path, backlog }, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
  chmodSync(path, mask & 0o777);
  driver.listeners.push(`unix:${Buffer.from(path).subarray(0, LISTENER_PATH_MAX).toString()}`);
  return { ports: [], close: () => new Promise<void>((r) => server.close(() => r())) };
}

export async function listenTcp(driver: Driver, hosts: string[], port: number, backlog: number): Promise<Listener> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  let chosen = port < 0 ? 0 : port;
  for (const host of hosts) {
    // Half-open: a client that pipelines commands and then shuts its write side down
    // (`printf ... | nc`) still gets every reply; the driver ends our side when done.
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => serve(driver, s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port: chosen, backlog }, () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    const bound = address.port;
    driver.listeners.push(tcpAddr(address.address, bound));
    chosen = bound; // every interface shares the port an ephemeral request got first
    servers.push(server);
    ports.push(bound);
  }
  return {
    ports,
    close: () => Promise.all(servers.map((sv) => new Promise<void>((r) => sv.close(() => r())))).then(() => undefined),
  };
}
