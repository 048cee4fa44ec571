// What Bun brings to startServer: its TCP listener, its name, and SO_REUSEPORT for workers
// (Bun.listen binds every worker's socket with it).
import { listenTcp } from "./listen.js";
import { compileCore } from "../wasm_engine.js";
import type { Runtime } from "../node/server.js";

const Bun = (globalThis as unknown as { Bun: { version: string } }).Bun;

export const BUN_RUNTIME: Runtime = { name: "bun", version: `bun-${Bun.version}`, listenTcp, reusePort: true, compile: compileCore };
