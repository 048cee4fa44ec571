// What Deno brings to startServer: Node's adapters on its node:net and node:dgram, whose
// servers cannot listen on another's descriptor, so workers bind a socket each with
// SO_REUSEPORT.
import { NODE_RUNTIME, type Runtime } from "../node/server.js";

const Deno = (globalThis as unknown as { Deno: { version: { deno: string } } }).Deno;

export const DENO_RUNTIME: Runtime = { ...NODE_RUNTIME, name: "deno", version: `deno-${Deno.version.deno}`, reusePort: true };
