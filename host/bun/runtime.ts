// What Bun brings to startServer: its TCP listener and TLS, its name, and how workers share
// sockets: Bun.listen and Bun's node:dgram bind one each with SO_REUSEPORT; its node:net
// listens on another socket's descriptor (the -s socket).
import { listenTcp } from "./listen.js";
import { BunTls } from "./tls.js";
import { compileCore } from "../wasm_engine.js";
import type { Runtime } from "../node/server.js";

const Bun = (globalThis as unknown as { Bun: { version: string } }).Bun;

export const BUN_RUNTIME: Runtime = {
  name: "bun",
  version: `bun-${Bun.version}`,
  createTls: (config, material, events) => new BunTls(config, material, events),
  listenTcp,
  share: { tcp: "reusePort", udp: "reusePort", unix: "fd" },
  compile: compileCore,
};
