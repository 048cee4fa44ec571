// The Bun socket adapter: Bun.listen listeners feeding the runtime-agnostic driver.
//
// Bun's socket.write() sends what the kernel takes now and drops the rest, so this side keeps
// the write queue (flushed from the drain handler) that node:net gives the Node adapter.
import type { Connection, Driver, Transport } from "../driver.js";
import { bindAll, type BoundSocket, type Listener, type ShareSpec } from "../node/listen.js";
import type { ListenAddress } from "../listen_address.js";
import type { BunTls, BunTlsOptions } from "./tls.js";

// The part of Bun's API used here: the project compiles against Node's types only.
interface BunSocket {
  data: BunTransport;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Bytes the kernel took of bytes[offset, offset + length): the rest is not sent. */
  write(bytes: Uint8Array, offset?: number, length?: number): number;
  /** With no argument, sends FIN and keeps reading (shutdown(2) SHUT_WR). */
  shutdown(): void;
  /** Closes both directions. */
  end(): void;
  pause(): void;
  resume(): void;
  setNoDelay(on: boolean): boolean;
  getPeerCertificate(): object | null | undefined;
  /** Server side (isServer): TLS over this socket from now on, served by `socket`. */
  upgradeTLS(o: { tls: BunTlsOptions; socket: SocketHandler; isServer: boolean }): unknown;
}
interface SocketHandler {
  open(s: BunSocket): void;
  data(s: BunSocket, chunk: Uint8Array): void;
  drain(s: BunSocket): void;
  end(s: BunSocket): void;
  close(s: BunSocket): void;
  error(s: BunSocket, err: Error): void;
  handshake?(s: BunSocket, ok: boolean, err: Error | null): void;
}
interface TcpListener { readonly port: number; readonly hostname: string; stop(closeActive?: boolean): void }
interface ListenOptions {
  hostname: string;
  port: number;
  allowHalfOpen: boolean;
  reusePort?: boolean;
  socket: SocketHandler;
}
interface BunNet {
  listen(o: ListenOptions): TcpListener;
}

const bun = (): BunNet => (globalThis as unknown as { Bun: BunNet }).Bun;

// memcached writes IPv6 addresses as tcp6:[addr]:port.
function tcpAddr(ip: string, port: number): string {
  return ip.includes(":") ? `tcp6:[${ip}]:${port}` : `tcp:${ip}:${port}`;
}

class BunTransport implements Transport {
  conn: Connection | null = null;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private ending = false;
  private peerEnded = false;
  private closed = false;

  constructor(private readonly s: BunSocket) {}

  write(bytes: Uint8Array): void {
    if (this.closed || this.ending) return;
    this.queue.push(bytes);
    this.queued += bytes.length;
    if (this.queue.length === 1) this.flush();
  }

  // Bun's write() copies into the kernel before it returns: only the part it did not take,
  // if any, needs a copy of its own to wait in the queue. Its offset and length spare a view
  // per reply, which costs Bun more than the write's own work in JS.
  writeCopyOf(bytes: Uint8Array, start: number, end: number): void {
    if (this.closed || this.ending) return;
    const n = this.queue.length === 0 ? Math.max(this.s.write(bytes, start, end - start), 0) : 0;
    if (start + n < end) this.write(bytes.slice(start + n, end));
  }

  pendingBytes(): number { return this.queued; }

  end(): void {
    if (this.closed || this.ending) return;
    this.ending = true;
    if (this.queue.length === 0) this.finish();
  }

  destroy(): void {
    if (this.closed) return;
    this.drop();
    this.s.end();
  }

  pause(): void { this.s.pause(); }
  resume(): void { this.s.resume(); }
  addr(): string { return tcpAddr(this.s.remoteAddress, this.s.remotePort); }
  listenAddr(): string { return tcpAddr(this.s.localAddress, this.s.localPort); }

  /** The drain handler: the kernel takes bytes again. */
  onWritable(): void {
    if (this.flush()) this.conn?.onDrain();
  }

  /** The end handler: the client sent FIN. */
  onEnd(): void {
    this.peerEnded = true;
    this.conn?.onEnd();
  }

  onClose(): void {
    this.drop();
    this.conn?.onClose();
  }

  // Sends queued bytes until the kernel stops taking them; true once all are out.
  private flush(): boolean {
    if (this.closed) return false;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const n = this.s.write(head);
      if (n < 0) return false; // closed underneath us: the close handler follows
      this.queued -= n;
      if (n < head.length) {
        this.queue[0] = head.subarray(n);
        return false;
      }
      this.queue.shift();
    }
    if (this.ending) this.finish();
    return true;
  }

  private drop(): void {
    this.closed = true;
    this.queue = [];
    this.queued = 0;
  }

  // After the last reply: a refused socket closes; a served one half-closes as Node's
  // allowHalfOpen socket does, so a client that pipelined and then hung up reads every reply.
  private finish(): void {
    if (this.conn && !this.peerEnded) this.s.shutdown();
    else this.s.end();
  }
}

function handlers(driver: Driver, tls?: BunTls): SocketHandler {
  const h: SocketHandler = {
    open(s) {
      s.setNoDelay(true);
      s.data = new BunTransport(s);
      // A refused socket is not read: the transport closes it once the refusal is sent.
      s.data.conn = driver.accept(s.data);
    },
    data: (s, chunk) => s.data.conn?.onData(chunk),
    drain: (s) => s.data.onWritable(),
    end: (s) => s.data.onEnd(),
    close: (s) => s.data.onClose(),
    error: (s) => s.data.destroy(),
  };
  if (tls) h.handshake = (s, ok, err) => {
    if (!tls.handshake(s, ok, err)) s.data.destroy();
  };
  return h;
}

// Bun.listen takes no backlog (it always asks for 512): `backlog` is accepted and not used.
// Worker threads each bind the port with SO_REUSEPORT (`reusePort`): Bun.listen cannot listen
// on another socket's descriptor.
function listenBun(driver: Driver, host: string, port: number, reusePort: boolean): BoundSocket {
  // Half-open, as Node's listener: the driver ends our side once every reply is out.
  const l = bun().listen({ hostname: host || "0.0.0.0", port, allowHalfOpen: true, reusePort, socket: handlers(driver) });
  driver.listeners.push(tcpAddr(l.hostname, l.port));
  return { port: l.port, fd: -1, close: async () => l.stop() };
}

// A TLS listener: each accepted socket is upgraded in place with the certificates of the moment,
// so refresh_certs needs no new listener.
function listenBunTls(driver: Driver, host: string, port: number, reusePort: boolean, tls: BunTls): BoundSocket {
  const secure = handlers(driver, tls);
  const ignore = () => undefined;
  const l = bun().listen({
    hostname: host || "0.0.0.0", port, allowHalfOpen: true, reusePort,
    socket: {
      open: (raw) => { raw.upgradeTLS({ tls: tls.tlsOptions, socket: secure, isServer: true }); },
      data: ignore, drain: ignore, end: ignore, close: ignore, error: ignore,
    },
  });
  driver.listeners.push(tcpAddr(l.hostname, l.port));
  return { port: l.port, fd: -1, close: async () => l.stop() };
}

export function listenTcp(driver: Driver, addresses: ListenAddress[], _backlog: number, tls?: BunTls, share: ShareSpec = {}): Promise<Listener> {
  const reusePort = share.reusePort === true;
  return bindAll(addresses, async (a, port) => (a.tls ? listenBunTls(driver, a.host, port, reusePort, tls!) : listenBun(driver, a.host, port, reusePort)));
}
