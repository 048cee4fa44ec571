// What recovering from a trap costs at N items: the invariant checker's full walk (how long
// the event loop stalls when a trap leaves the structures whole) and a reset (the check
// failing on a broken link, plus building the fresh instance).
//
//   node dist/bench/recovery.js                  1M items of 16-byte keys and 100-byte values
//   node dist/bench/recovery.js --items 5M --memory 1500
//
// The release build, as a server runs it. Prints milliseconds; nothing is written to disk.
import { parseArgs } from "node:util";
import { Engine } from "../host/wasm_engine.js";
import { readCoreWasm } from "../host/wasm.js";
import { KEY_LEN, prng } from "./keys.js";
import { parseCount, round } from "./format.js";

const VALUE_LEN = 100;
const CHECK_ROUNDS = 5;
// assembly/cache/item.ts: the LRU `next` link is the header's first word; a key follows 36 bytes in.
const IT_KEY = 36;
const WILD_ADDRESS = 0xfffffff0;

function key(i: number): string {
  return `k${String(i).padStart(KEY_LEN - 1, "0")}`;
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { items: { type: "string", default: "1M" }, memory: { type: "string", default: "320" } } });
  const items = parseCount(values.items!);
  const engine = await Engine.create(readCoreWasm("release"), { memoryLimitMb: Number(values.memory) });
  const value = new Uint8Array(VALUE_LEN);
  const rand = prng(1);
  for (let i = 0; i < items; i++) {
    value[i % VALUE_LEN] = rand() & 0xff;
    if (engine.set(key(i), value) !== "STORED") throw new Error(`set ${i} failed: raise --memory`);
  }
  while (engine.maintain()); // finish any hash expansion, as the server's timer would
  const stored = Number(engine.stats().get("curr_items"));
  if (stored !== items) throw new Error(`${stored} of ${items} items stayed: raise --memory`);

  const checks = Array.from({ length: CHECK_ROUNDS }, () => timed(() => engine.checkInvariants())).sort((a, b) => a - b);
  console.log(`items ${items}, -m ${values.memory}`);
  console.log(`invariant check (whole walk): median ${round(checks[CHECK_ROUNDS >> 1], 1)} ms, min ${round(checks[0], 1)}, max ${round(checks[CHECK_ROUNDS - 1], 1)}`);

  // Break the link of the last item stored: the walk meets it early (it heads its LRU).
  const mem = Buffer.from(engine.memory().buffer);
  const at = mem.lastIndexOf(Buffer.from(key(items - 1))) - IT_KEY;
  new DataView(engine.memory().buffer).setUint32(at, WILD_ADDRESS, true);
  let outcome = "";
  const resetMs = timed(() => { outcome = engine.recover().outcome; });
  console.log(`recover() with a broken link: ${outcome} in ${round(resetMs, 1)} ms`);
}

void main();
