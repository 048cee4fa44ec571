// What only the pure-JS twin has: its one LRU's exact eviction order, the Map's entry cap, its
// timers, and a stats list that must stay within the WASM engine's names.
import { expect } from "chai";
import { JsEngine } from "../../host/js/js_engine.js";
import { createEngine, createWasmEngine, getText, stats, mcItemSize, MB, START_TIME } from "../helpers/engine.js";

const ITEM_UPDATE_INTERVAL = 60;
const key = (i: number) => `k:${String(i).padStart(3, "0")}`;
const FILL_VALUE = 10_000;

// Stores k:000, k:001, … until exactly `free` bytes of -m are left (no eviction on the way).
function fillLeaving(e: JsEngine, free: number): void {
  const limit = stats(e, "limit_maxbytes").limit_maxbytes;
  const room = () => limit - stats(e, "bytes").bytes;
  const itemSize = (valueLength: number) => mcItemSize(key(0).length, valueLength, 0);
  let i = 0;
  while (room() - free >= itemSize(FILL_VALUE) + itemSize(0)) e.set(key(i++), "f".repeat(FILL_VALUE));
  e.set(key(i), "f".repeat(room() - free - itemSize(0)));
  expect(room()).to.equal(free);
  expect(stats(e, "evictions").evictions).to.equal(0);
}

describe("engine [js only]: the pure-JS twin", () => {
  it("evicts from its one LRU in access order, moving an item up at most once a minute", async () => {
    const { engine: e, clock } = await createEngine("js", { memoryLimitMb: 2 });
    const value = "v".repeat(10_000);
    const fits = Math.floor((2 * MB) / mcItemSize(key(0).length, value.length, 0));
    for (let i = 0; i < fits; i++) expect(e.set(key(i), value)).to.equal("STORED");
    expect(stats(e, "evictions").evictions).to.equal(0);
    // Read within a minute of being stored: not moved, so still the oldest.
    expect(getText(e, key(0))).to.equal(value);
    e.set("new:1", value);
    expect(e.get(key(0))).to.equal(undefined);
    // Read a minute later: moved to the head, so the next one goes instead.
    clock.advance(ITEM_UPDATE_INTERVAL + 1);
    expect(getText(e, key(1))).to.equal(value);
    e.set("new:2", value);
    expect(getText(e, key(1))).to.equal(value);
    expect(e.get(key(2))).to.equal(undefined);
    expect(stats(e, "evictions", "evicted_unfetched", "curr_items"))
      .to.deep.equal({ evictions: 2, evicted_unfetched: 1, curr_items: fits });
    e.checkInvariants();
  });

  // "a" and "n" are the oldest items, and what is left of -m holds the appended data (or
  // nothing) but not the new item: something must go, and it must not be them.
  it("an append never evicts the item it appends to, even at the tail", () => {
    const e = JsEngine.create({ memoryLimitMb: 2 }, { now: () => START_TIME });
    const old = "x".repeat(1000);
    e.set("a", old);
    fillLeaving(e, 500);
    expect(e.append("a", "y".repeat(100))).to.equal("STORED");
    expect(getText(e, "a")).to.equal(old + "y".repeat(100));
    expect(e.get(key(0))).to.equal(undefined);
    expect(stats(e, "evictions").evictions).to.equal(1);
    e.checkInvariants();
  });

  it("a growing incr never evicts its counter, even at the tail", () => {
    const e = JsEngine.create({ memoryLimitMb: 2 }, { now: () => START_TIME });
    e.set("n", "99999");
    fillLeaving(e, 0);
    expect(e.incr("n", 1)).to.equal(100000n);
    expect(getText(e, "n")).to.equal("100000");
    expect(e.get(key(0))).to.equal(undefined);
    expect(stats(e, "evictions").evictions).to.equal(1);
    e.checkInvariants();
  });

  it("holds at most maxEntries items, evicting for the Map as for memory", () => {
    const e = JsEngine.create({}, { now: () => START_TIME }, { maxEntries: 100 });
    for (let i = 0; i < 150; i++) expect(e.set(key(i), "v")).to.equal("STORED");
    expect(stats(e, "curr_items", "evictions", "map_full")).to.deep.equal({ curr_items: 100, evictions: 50, map_full: 50 });
    for (let i = 0; i < 50; i++) expect(e.get(key(i))).to.equal(undefined);
    for (let i = 50; i < 150; i++) expect(getText(e, key(i))).to.equal("v");
    // A key already held needs no new entry.
    expect(e.set(key(149), "w")).to.equal("STORED");
    expect(stats(e, "evictions", "map_full")).to.deep.equal({ evictions: 50, map_full: 50 });
    e.checkInvariants();
  });

  it("with -M a full Map refuses new keys, but takes back expired ones", () => {
    let now = START_TIME;
    const e = JsEngine.create({ evictions: false }, { now: () => now }, { maxEntries: 100 });
    for (let i = 0; i < 100; i++) expect(e.set(key(i), "v", { exptime: i < 10 ? 5 : 0 })).to.equal("STORED");
    expect(e.set("one more", "v")).to.equal("NO_MEMORY");
    expect(e.add("one more", "v")).to.equal("NO_MEMORY");
    expect(stats(e, "curr_items", "store_no_memory", "map_full", "evictions"))
      .to.deep.equal({ curr_items: 100, store_no_memory: 2, map_full: 2, evictions: 0 });
    now += 6;
    e.tick();
    for (let i = 0; i < 10; i++) expect(e.set(`new:${i}`, "v"), `new:${i}`).to.equal("STORED");
    expect(e.set("new:10", "v")).to.equal("NO_MEMORY");
    expect(stats(e, "curr_items", "reclaimed", "evictions")).to.deep.equal({ curr_items: 100, reclaimed: 10, evictions: 0 });
    e.checkInvariants();
  });

  it("a Map that refuses to grow (another runtime's smaller cap) makes a store NO_MEMORY, not a throw", () => {
    const e = JsEngine.create({}, { now: () => START_TIME });
    for (let i = 0; i < 10; i++) e.set(key(i), "v");
    const set = Map.prototype.set;
    Map.prototype.set = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
      if (this.size >= 10 && !this.has(k)) throw new RangeError("Map maximum size exceeded");
      return set.call(this, k, v);
    };
    let results: string[];
    try {
      results = [e.set("new", "v"), e.set(key(0), "w")];
    } finally {
      Map.prototype.set = set;
    }
    expect(results).to.deep.equal(["NO_MEMORY", "STORED"]);
    expect(stats(e, "curr_items", "map_full", "store_no_memory")).to.deep.equal({ curr_items: 10, map_full: 1, store_no_memory: 1 });
    expect(getText(e, key(0))).to.equal("w");
    e.checkInvariants();
  });

  it("reports only stat names the WASM engine reports, in its order (map_full is its own)", async () => {
    const { engine: js } = await createEngine("js");
    const { engine: wasm } = await createWasmEngine();
    const wasmNames = [...wasm.stats().keys()];
    const jsNames = [...js.stats().keys()].filter((n) => n !== "map_full");
    const positions = jsNames.map((n) => wasmNames.indexOf(n));
    expect(jsNames.filter((n, i) => positions[i] < 0), "names the WASM engine does not have").to.deep.equal([]);
    expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
  });

  it("runs its clock and maintenance on timers that stop() clears", async () => {
    let now = START_TIME;
    const e = JsEngine.create({}, { now: () => now });
    e.set("k", "v", { exptime: 1 });
    now += 2;
    e.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    e.stop();
    const s = stats(e, "lru_maintainer_juggles", "curr_items", "reclaimed");
    expect(e.currentTime()).to.equal(64);
    expect(s.lru_maintainer_juggles).to.be.greaterThan(5);
    expect(s.curr_items).to.equal(0);
    expect(s.reclaimed).to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stats(e, "lru_maintainer_juggles").lru_maintainer_juggles).to.equal(s.lru_maintainer_juggles);
  });
});
