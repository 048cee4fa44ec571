// The Node socket adapter: node:net listeners feeding the runtime-agnostic driver.
import net from "node:net";
import { Driver, Transport } from "../driver.js";

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

function transportFor(s: net.Socket): Transport {
  return {
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
    addr: () => tcpAddr(s.remoteAddress, s.remotePort),
    listenAddr: () => tcpAddr(s.localAddress, s.localPort),
  };
}

function serve(driver: Driver, s: net.Socket): void {
  s.setNoDelay(true);
  const c = driver.accept(transportFor(s));
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

export async function listenTcp(driver: Driver, hosts: string[], port: number, backlog: number, share: ShareSpec = {}): Promise<Listener> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  let chosen = port < 0 ? 0 : port;
  for (const [i, host] of hosts.entries()) {
    // Half-open: a client that pipelines commands and then shuts its write side down
    // (`printf ... | nc`) still gets every reply; the driver ends our side when done.
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => serve(driver, s));
    const at = share.fds ? { fd: share.fds[i] } : { host, port: chosen, backlog, ...(share.reusePort ? { reusePort: true } : {}) };
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(at, () => resolve());
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
    fds: servers.map(descriptorOf),
    close: () => Promise.all(servers.map((sv) => new Promise<void>((r) => sv.close(() => r())))).then(() => undefined),
  };
}

// Node keeps a listening socket's descriptor on its handle (not public API, stable since v0.x).
function descriptorOf(server: net.Server): number {
  return (server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
}
