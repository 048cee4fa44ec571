// `npm run start:bun`: the wasmcached command line on Bun, serving TCP with Bun.listen.
import { runCli } from "../cli.js";
import { listenTcp } from "./listen.js";
import { compileCore } from "../wasm_engine.js";

const Bun = (globalThis as unknown as { Bun: { version: string } }).Bun;

// Bun.listen binds every worker's socket with SO_REUSEPORT.
void runCli({ name: "bun", version: `bun-${Bun.version}`, listenTcp, reusePort: true, compile: compileCore });
