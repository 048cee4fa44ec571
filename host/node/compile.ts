// Compiling a core that threads will share. Node 20's baseline compiler (Liftoff) mishandles
// values kept across memory.atomic.wait32 (wasm-host-notes.md): there the threaded core is
// compiled with TurboFan only. The flag is process-wide and applies to compilations after it;
// Deno and Bun report a newer Node version and are left alone.
import { setFlagsFromString } from "node:v8";
import { compileCore, type CompiledCore } from "../wasm_engine.js";

const NODE_LIFTOFF_BUG_MAJOR = 20;
const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

export function compileThreadedCore(bytes: Uint8Array | ArrayBuffer): Promise<CompiledCore> {
  if (NODE_MAJOR <= NODE_LIFTOFF_BUG_MAJOR) setFlagsFromString("--no-liftoff");
  return compileCore(bytes);
}
