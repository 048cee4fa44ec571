// The Node socket adapter: node:net listeners feeding the runtime-agnostic driver.
import net from "node:net";
import { Driver, Transport } from "../driver.js";

export interface Listener {
  /** The bound TCP ports, in -l order. */
  ports: number[];
  close(): Promise<void>;
}

function transportFor(s: net.Socket): Transport {
  return {
    write: (bytes) => { s.write(bytes); },
    pendingBytes: () => s.writableLength,
    end: () => { s.end(); },
    destroy: () => { s.destroy(); },
    pause: () => { s.pause(); },
    resume: () => { s.resume(); },
  };
}

function serve(driver: Driver, s: net.Socket): void {
  s.setNoDelay(true);
  const c = driver.accept(transportFor(s));
  s.on("error", () => s.destroy());
  if (!c) return;
  s.on("data", (chunk: Buffer) => c.onData(chunk));
  s.on("drain", () => c.onDrain());
  s.on("close", () => c.onClose());
  s.on("end", () => s.end());
}

export async function listenTcp(driver: Driver, hosts: string[], port: number, backlog: number): Promise<Listener> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  let chosen = port < 0 ? 0 : port;
  for (const host of hosts) {
    const server = net.createServer({ noDelay: true }, (s) => serve(driver, s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port: chosen, backlog }, () => resolve());
    });
    const bound = (server.address() as net.AddressInfo).port;
    chosen = bound; // every interface shares the port an ephemeral request got first
    servers.push(server);
    ports.push(bound);
  }
  return {
    ports,
    close: () => Promise.all(servers.map((sv) => new Promise<void>((r) => sv.close(() => r())))).then(() => undefined),
  };
}
