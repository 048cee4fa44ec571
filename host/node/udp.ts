// The Node UDP adapter: node:dgram sockets feeding the runtime-agnostic UdpEndpoint.
import dgram from "node:dgram";
import { UdpEndpoint } from "../udp.js";
import type { ListenAddress } from "../listen_address.js";
import type { ShareSpec } from "./listen.js";

export interface UdpListener {
  /** The bound UDP ports, in -l order. */
  ports: number[];
  /** Each socket's bound address, in -l order (for `stats conns`). */
  bound: { address: string; port: number }[];
  /** The sockets' descriptors, in -l order, for other threads to share (-1: not known). */
  fds: number[];
  close(): Promise<void>;
}

const asBuffer = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

function bind(socket: dgram.Socket, host: string, port: number, fd: number | undefined): Promise<{ address: string; port: number }> {
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(fd === undefined ? { address: host || undefined, port } : { fd }, () => {
      socket.removeListener("error", reject);
      const { address, port: bound } = socket.address();
      resolve({ address, port: bound });
    });
  });
}

// Node keeps a socket's descriptor on its handle (not public API), reached through the
// socket's state as dgram itself does: the `_handle` getter prints a deprecation warning
// (DEP0112) on the server's stderr, and so does Deno's. Only Node shares UDP by descriptor
// (Runtime.share); elsewhere there is none to give (-1).
function descriptorOf(socket: dgram.Socket): number {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === "state symbol");
  if (!state) return -1;
  return (socket as unknown as Record<symbol, { handle?: { fd?: number } }>)[state]?.handle?.fd ?? -1;
}

/**
 * One socket per -l address. With `share`, worker threads read the same port, as memcached's
 * workers all serve UDP: on the first thread's descriptors, or each on its own SO_REUSEPORT one.
 */
export async function listenUdp(endpoint: UdpEndpoint, addresses: ListenAddress[], share: ShareSpec = {}): Promise<UdpListener> {
  const sockets: dgram.Socket[] = [];
  const bound: { address: string; port: number }[] = [];
  let ephemeral = 0;
  try {
    for (const [i, a] of addresses.entries()) {
      const type = a.host.includes(":") ? "udp6" : "udp4";
      const socket = dgram.createSocket(share.reusePort ? { type, reusePort: true } as dgram.SocketOptions : { type });
      sockets.push(socket);
      socket.on("message", (msg, from) => {
        const peer = from.family === "IPv6" ? `udp6:[${from.address}]:${from.port}` : `udp:${from.address}:${from.port}`;
        endpoint.onDatagram(msg, (parts) => socket.send(parts.map(asBuffer), from.port, from.address), peer);
      });
      // A datagram the kernel cannot deliver (ICMP unreachable) is not the server's problem.
      socket.on("error", () => undefined);
      const b = await bind(socket, a.host, a.port < 0 ? ephemeral : a.port, share.fds?.[i]);
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
    fds: sockets.map(descriptorOf),
    close: () => Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
