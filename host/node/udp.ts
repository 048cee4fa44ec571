// The Node UDP adapter: node:dgram sockets feeding the runtime-agnostic UdpEndpoint.
import dgram from "node:dgram";
import { UdpEndpoint } from "../udp.js";

export interface UdpListener {
  /** The bound UDP ports, in -l order. */
  ports: number[];
  /** The sockets' descriptors, in -l order, for other threads to share. */
  fds: number[];
  close(): Promise<void>;
}

const asBuffer = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

function bind(socket: dgram.Socket, host: string, port: number, fd: number | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(fd === undefined ? { address: host, port } : { fd }, () => {
      socket.removeListener("error", reject);
      resolve(socket.address().port);
    });
  });
}

/** With `fds`, every thread's endpoint reads the same sockets (memcached's workers all serve UDP). */
export async function listenUdp(endpoint: UdpEndpoint, hosts: string[], port: number, fds?: number[]): Promise<UdpListener> {
  const sockets: dgram.Socket[] = [];
  const ports: number[] = [];
  let chosen = port < 0 ? 0 : port;
  try {
    for (const [i, host] of hosts.entries()) {
      const socket = dgram.createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
      sockets.push(socket);
      socket.on("message", (msg, from) => {
        const peer = from.family === "IPv6" ? `udp6:[${from.address}]:${from.port}` : `udp:${from.address}:${from.port}`;
        endpoint.onDatagram(msg, (parts) => socket.send(parts.map(asBuffer), from.port, from.address), peer);
      });
      // A datagram the kernel cannot deliver (ICMP unreachable) is not the server's problem.
      socket.on("error", () => undefined);
      chosen = await bind(socket, host, chosen, fds?.[i]); // every interface shares the first port
      ports.push(chosen);
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  return {
    ports,
    fds: sockets.map((s) => (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1),
    close: () => Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
