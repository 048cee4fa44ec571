// The Node socket adapter: node:net listeners feeding the runtime-agnostic driver.
import net from "node:net";
import { Driver, Transport } from "../driver.js";

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
