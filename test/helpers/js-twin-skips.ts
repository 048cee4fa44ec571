// Which differential cases the pure-JS twin (`wasmcached --engine js`) sits out, and why: the
// ones that use a command it does not serve (it answers ERROR there, host/README.md). Every
// other case of the text corpus runs against it too.
import { toBytes, type Piece } from "./servers.js";

interface Skip {
  /** A command line of the case's input that the twin does not serve. */
  command: RegExp;
  reason: string;
}

const SKIPS: readonly Skip[] = [
  { command: /^ *cache_memlimit\b/m, reason: "cache_memlimit resizes the WASM engine's slab memory" },
  {
    command: /^ *stats +(items|slabs|sizes|sizes_enable|sizes_disable|detail|cachedump)\b/m,
    reason: "stats items/slabs/sizes/detail/cachedump report the WASM engine's slabs, LRUs and prefix counters",
  },
];

/** Why the twin skips a case with this input, or undefined when it runs it. */
export function jsTwinSkip(send: readonly Piece[]): string | undefined {
  const text = send.map((p) => (typeof p === "function" ? "" : toBytes(p).toString("latin1"))).join("");
  return SKIPS.find((s) => s.command.test(text))?.reason;
}
