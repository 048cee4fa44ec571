// The Node socket adapter: node:net listeners feeding the runtime-agnostic driver. A TLS
// listener (-Z, node/tls.ts) puts each accepted socket through the handshake first; the driver
// sees the same plain bytes either way.
import net from "node:net";
import { Connection, Driver, Transport } from "../driver.js";
import type { ListenAddress } from "../listen_address.js";
import type { NodeTls } from "./tls.js";

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

// The accepted socket, then (TLS) the socket its handshake produced.
class SocketTransport implements Transport {
  constructor(public s: net.Socket) {}

  write(bytes: Uint8Array): void { this.s.write(bytes); }
  // Buffer.allocUnsafe carves small replies out of Node's shared pool: no ArrayBuffer per
  // reply, which a Uint8Array slice would cost.
  writeCopyOf(view: Uint8Array): void {
    const copy = Buffer.allocUnsafe(view.length);
    copy.set(view);
    this.s.write(copy);
  }
  pendingBytes(): number { return this.s.writableLength; }
  end(): void { this.s.end(); }
  destroy(): void { this.s.destroy(); }
  pause(): void { this.s.pause(); }
  resume(): void { this.s.resume(); }
  addr(): string { return tcpAddr(this.s.remoteAddress, this.s.remotePort); }
  listenAddr(): string { return tcpAddr(this.s.localAddress, this.s.localPort); }
}

function attach(c: Connection, s: net.Socket): void {
  s.on("data", (chunk: Buffer) => c.onData(chunk));
  s.on("drain", () => c.onDrain());
  s.on("close", () => c.onClose());
  s.on("end", () => c.onEnd());
}

function serve(driver: Driver, s: net.Socket, tls: NodeTls | undefined): void {
  s.setNoDelay(true);
  const t = new SocketTransport(s);
  // A connection over -c is refused before any handshake, in plain text, as memcached does.
  const c = driver.accept(t);
  s.on("error", () => s.destroy());
  if (!c) {
    // Refused: nothing is read from it, so close fully once the refusal is sent.
    s.once("finish", () => s.destroy());
    return;
  }
  if (!tls) {
    attach(c, s);
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
    attach(c, secure);
  });
}

/** One bound listener. */
export interface BoundSocket {
  port: number;
  close(): Promise<void>;
}

/** A node:net listener on `host` ("": every interface) and `port` (0: any free one). */
export async function listenNet(driver: Driver, host: string, port: number, backlog: number, tls?: NodeTls): Promise<BoundSocket> {
  // Half-open: a client that pipelines commands and then shuts its write side down
  // (`printf ... | nc`) still gets every reply; the driver ends our side when done.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (s) => serve(driver, s, tls));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: host || undefined, port, backlog }, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  driver.listeners.push(tcpAddr(address.address, address.port));
  return { port: address.port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Binds each address in order; those asking for any free port share the one the first got. */
export async function bindAll(addresses: ListenAddress[], bind: (a: ListenAddress, port: number) => Promise<BoundSocket>): Promise<Listener> {
  const bound: BoundSocket[] = [];
  let ephemeral = 0;
  try {
    for (const a of addresses) {
      const b = await bind(a, a.port < 0 ? ephemeral : a.port);
      if (a.port < 0) ephemeral = b.port;
      bound.push(b);
    }
  } catch (err) {
    await Promise.all(bound.map((b) => b.close()));
    throw err;
  }
  return {
    ports: bound.map((b) => b.port),
    close: () => Promise.all(bound.map((b) => b.close())).then(() => undefined),
  };
}

export function listenTcp(driver: Driver, addresses: ListenAddress[], backlog: number, tls?: NodeTls): Promise<Listener> {
  return bindAll(addresses, (a, port) => listenNet(driver, a.host, port, backlog, a.tls ? tls : undefined));
}
