// Ways to make the core trap on purpose, for the trap-recovery tests: break an item's link in
// linear memory so that a real request traps, or make one export throw like a trap would while
// leaving every structure whole. Plus a stderr catcher for the trap reports.
import type { Engine } from "../../host/wasm_engine.js";

// assembly/cache/item.ts: the item header.
const IT_NEXT = 0;
const IT_CLSID = 26; // the class in the low 6 bits, the LRU above them
const CLSID_MASK = 63;
const IT_NKEY = 27;
const IT_KEY = 36;
/** Far beyond any memory the core reserves (at most 4 GiB, but never within 16 bytes of it). */
const WILD_ADDRESS = 0xfffffff0;

const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message: string) => Error } }).WebAssembly.RuntimeError;

/** The header address of the item holding `key` (no client flags), found by its key bytes. */
export function itemAddress(engine: Engine, key: string): number {
  const mem = Buffer.from(engine.memory().buffer);
  const needle = Buffer.from(key, "latin1");
  const found: number[] = [];
  for (let at = mem.indexOf(needle); at >= 0; at = mem.indexOf(needle, at + 1)) {
    const it = at - IT_KEY;
    // The key's other copies (the input area, a reply) are not preceded by a header.
    if (it >= 0 && mem[it + IT_NKEY] === needle.length && (mem[it + IT_CLSID] & CLSID_MASK) !== 0) found.push(it);
  }
  if (found.length !== 1) throw new Error(`expected one item header for ${key}, found ${found.length}`);
  return found[0];
}

/** Points the item's LRU `next` link outside linear memory: unlinking it then traps. */
export function breakLruLink(engine: Engine, key: string): void {
  new DataView(engine.memory().buffer).setUint32(itemAddress(engine, key) + IT_NEXT, WILD_ADDRESS, true);
}

type Exports = Record<string, unknown>;

/**
 * Makes the core's export `name` throw a RuntimeError whenever `when` holds for its arguments,
 * without running it: a trap that leaves every structure as it was. The engine's next fresh
 * instance (after a reset) has no such export.
 */
export function trapIn(engine: Engine, name: string, when: (...args: number[]) => boolean = () => true): void {
  const holder = engine as unknown as { x: Exports };
  const real = holder.x[name] as (...args: number[]) => number;
  holder.x = {
    ...holder.x,
    [name]: (...args: number[]) => {
      if (when(...args)) throw new RuntimeError("unreachable (test)");
      return real(...args);
    },
  };
}

/** True when the first `len` bytes of the engine's input area hold `marker` (for trapIn's `when`). */
export function inputIncludes(engine: Engine, marker: string, len: number): boolean {
  const input = Buffer.from(engine.memory().buffer, engine.inAddr, len);
  return input.includes(marker, 0, "latin1");
}

/** Collects what is written to stderr (where trap reports go) until restore(). */
export class StderrCatcher {
  private readonly original = process.stderr.write;
  private text = "";

  constructor() {
    process.stderr.write = ((chunk: string | Uint8Array) => {
      this.text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
      return true;
    }) as typeof process.stderr.write;
  }

  lines(): string[] { return this.text.split("\n").filter(Boolean); }

  restore(): void { process.stderr.write = this.original; }
}
