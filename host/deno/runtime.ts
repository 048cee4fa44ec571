// What Deno brings to startServer: Node's adapters on its node:net and node:dgram. Neither
// listens on another socket's descriptor, so TCP workers bind a socket each with SO_REUSEPORT,
// and UDP (no SO_REUSEPORT in Deno's node:dgram) and the -s socket are the first worker's.
import { NODE_RUNTIME, type Runtime } from "../node/server.js";

const Deno = (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno;

export const DENO_RUNTIME: Runtime = {
  ...NODE_RUNTIME, name: "deno", version: `deno-${Deno.version.deno}`,
  share: { tcp: "reusePort", udp: "first", unix: "first" },
};
