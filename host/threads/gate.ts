// The recovery gate of a thread's instance of the core (recovery.ts), wired to its exports.
import type { CoreExports } from "../wasm_engine.js";
import { SharedRecovery, CoreGate, type StuckPolicy } from "./recovery.js";
import type { SharedHost } from "./shared_host.js";

export function gateFor(shared: SharedHost, policy?: StuckPolicy): (x: CoreExports) => CoreGate {
  return (x) => {
    const memory = (x as unknown as { memory: { buffer: ArrayBufferLike } }).memory;
    let view = new Int32Array(memory.buffer);
    const core32 = () => {
      if (view.buffer !== memory.buffer) view = new Int32Array(memory.buffer);
      return view;
    };
    return new SharedRecovery(shared, core32, x.recoveryAddr() >>> 2, () => x.recoveryBegin() === 1, () => x.recoveryEnd(), policy);
  };
}
