// Where the built core lives, for Node-side callers (the Deno and Bun hosts read the same file).
import { readFileSync } from "node:fs";

export type CoreBuild = "release" | "debug";

const FILES: Record<CoreBuild, string> = { release: "core.wasm", debug: "core.debug.wasm" };

export function coreWasmUrl(build: CoreBuild = "release"): URL {
  // dist/host/wasm.js → <package>/build/
  return new URL(`../../build/${FILES[build]}`, import.meta.url);
}

export function readCoreWasm(build: CoreBuild = "release"): Uint8Array {
  return readFileSync(coreWasmUrl(build));
}
