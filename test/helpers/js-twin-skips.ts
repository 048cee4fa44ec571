// Which differential cases the pure-JS twin (`wasmcached --engine js`) sits out, and why: the
// ones that use a command it does not serve (it answers ERROR there), and the ones whose
// expected reply depends on the WASM engine's slab memory (host/README.md). Every other case
// of the text corpus runs against it too.
import type { Case } from "./differential.js";
import { toBuffer } from "./socket-client.js";

interface Skip {
  applies(c: Case, input: string): boolean;
  reason: string;
}

const uses = (command: RegExp) => (_c: Case, input: string) => command.test(input);

const SKIPS: readonly Skip[] = [
  { applies: uses(/^ *cache_memlimit\b/m), reason: "cache_memlimit resizes the WASM engine's slab memory" },
  { applies: uses(/^ *m[gsdane]\b/m), reason: "the meta commands are served by the WASM engine only" },
  {
    applies: uses(/^ *stats +(items|slabs|sizes|sizes_enable|sizes_disable|detail|cachedump)\b/m),
    reason: "stats items/slabs/sizes/detail/cachedump report the WASM engine's slabs, LRUs and prefix counters",
  },
  {
    applies: uses(/^ *stats *\r?$/m),
    reason: "JsEngine has no hash table, slab mover or segmented LRU, so its stats leave their lines out",
  },
  {
    applies: (c) => c.serverArgs?.includes("-M") ?? false,
    reason: "with -M, where memory runs out depends on slab pages, and JsEngine counts item bytes",
  },
];

/** Why the twin skips this case, or undefined when it runs it. */
export function jsTwinSkip(c: Case): string | undefined {
  const pieces = Array.isArray(c.send) ? c.send : [c.send];
  const input = pieces.map((p) => (typeof p === "function" ? "" : toBuffer(p).toString("latin1"))).join("");
  return SKIPS.find((s) => s.applies(c, input))?.reason;
}
