// The Node UDP adapter: node:dgram sockets feeding the runtime-agnostic UdpEndpoint.
import dgram from "node:dgram";
import { UdpEndpoint } from "../udp.js";
import type { ListenAddress } from "../listen_address.js";

export interface UdpListener {
  /** The bound UDP ports, in -l order. */
  ports: number[];
  /** Each socket's bound address, in -l order (for `stats conns`). */
  bound: { address: string; port: number }[];
  close(): Promise<void>;
}

const asBuffer = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

function bind(socket: dgram.Socket, host: string, port: number): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: host || undefined, port }, () => {
      socket.removeListener("error", reject);
      const { address, port: bound } = socket.address();
      resolve({ address, port: bound });
    });
  });
}

export async function listenUdp(endpoint: UdpEndpoint, addresses: ListenAddress[]): Promise<UdpListener> {
  const sockets: dgram.Socket[] = [];
  const bound: { address: string; port: number }[] = [];
  let ephemeral = 0;
  try {
    for (const a of addresses) {
      const socket = dgram.createSocket({ type: a.host.includes(":") ? "udp6" : "udp4" });
      sockets.push(socket);
      socket.on("message", (msg, from) => {
        const peer = from.family === "IPv6" ? `udp6:[${from.address}]:${from.port}` : `udp:${from.address}:${from.port}`;
        endpoint.onDatagram(msg, (parts) => socket.send(parts.map(asBuffer), from.port, from.address), peer);
      });
      // A datagram the kernel cannot deliver (ICMP unreachable) is not the server's problem.
      socket.on("error", () => undefined);
      const b = await bind(socket, a.host, a.port < 0 ? ephemeral : a.port);
      // every interface asking for any free port shares the one the first got
      if (a.port < 0) ephemeral = b.port;
      bound.push(b);
    }
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  return {
    ports: bound.map((b) => b.port),
    bound,
    close: () => Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
