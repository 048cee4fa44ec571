// The segmented LRU (reference §7.4): new items enter HOT, the maintainer pushes HOT and WARM
// tails down to COLD by share and age, items fetched twice move up to WARM.
// WASM internals only: the JS twin has one LRU list, no HOT/WARM/COLD/TEMP segments.
import { expect } from "chai";
import { Engine } from "../../host/wasm_engine.js";
import { createWasmEngine, TestEngine, itemStat, classesWithItems, coreItemTotal, defaultClassFor, getText } from "../helpers/engine.js";

const N = 100;
const KEY = (i: number) => `key:${String(i).padStart(4, "0")}`; // every key 8 bytes
const VALUE = "v".repeat(40);
const CLS = defaultClassFor(coreItemTotal(8, VALUE.length));

interface Lrus { hot: number; warm: number; cold: number }

function lrus(e: Engine): Lrus {
  return {
    hot: itemStat(e, CLS, "number_hot"),
    warm: itemStat(e, CLS, "number_warm"),
    cold: itemStat(e, CLS, "number_cold"),
  };
}

// Runs maintenance until it reports nothing left to do (bounded).
function settle(e: Engine): void {
  e.maintain();
  for (let i = 0; i < 100 && e.maintain(); i++);
}

describe("engine [wasm only]: segmented LRU", () => {
  let t: TestEngine<Engine>;
  let e: Engine;
  beforeEach(async () => {
    // The crawler is off so that it never sits at an LRU tail while the juggling is checked.
    t = await createWasmEngine({ lruCrawler: false });
    e = t.engine;
    for (let i = 0; i < N; i++) e.set(KEY(i), VALUE);
  });
  afterEach(() => e.checkInvariants());

  it("new items enter HOT", () => {
    expect(classesWithItems(e)).to.deep.equal([CLS]);
    expect(lrus(e)).to.deep.equal({ hot: N, warm: 0, cold: 0 });
    expect(itemStat(e, CLS, "number")).to.equal(N);
  });

  it("the maintainer shrinks HOT to hot_lru_pct of the class, oldest first", () => {
    settle(e);
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 0, cold: 80 });
    expect(itemStat(e, CLS, "moves_to_cold")).to.equal(80);
    // The oldest went: a COLD item fetched twice moves to WARM, a HOT one stays.
    e.get(KEY(0)); e.get(KEY(0));
    e.get(KEY(99)); e.get(KEY(99));
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 1, cold: 79 });
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(1);
  });

  it("an item fetched twice while in COLD moves to WARM at once", () => {
    settle(e);
    e.get(KEY(5));
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 0, cold: 80 });
    e.get(KEY(5));
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 1, cold: 79 });
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(1);
    // Further fetches do not move it again.
    e.get(KEY(5)); e.get(KEY(5));
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 1, cold: 79 });
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(1);
    expect(getText(e, KEY(5))).to.equal(VALUE);
  });

  it("hits are counted by the LRU the item was in", () => {
    settle(e);
    e.get(KEY(99)); // HOT
    e.get(KEY(0));  // COLD
    e.get(KEY(0));  // COLD, then moves to WARM
    e.get(KEY(0));  // WARM
    expect(itemStat(e, CLS, "hits_to_hot")).to.equal(1);
    expect(itemStat(e, CLS, "hits_to_cold")).to.equal(2);
    expect(itemStat(e, CLS, "hits_to_warm")).to.equal(1);
    expect(itemStat(e, CLS, "hits_to_temp")).to.equal(0);
  });

  it("an ACTIVE item at the HOT tail moves to WARM instead of COLD", () => {
    e.get(KEY(0)); e.get(KEY(0)); // oldest HOT item becomes ACTIVE
    settle(e);
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 1, cold: 79 });
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(1);
    expect(itemStat(e, CLS, "moves_to_cold")).to.equal(79);
  });

  it("WARM is held to warm_lru_pct: its tail goes to COLD", () => {
    settle(e);
    // Move all 80 COLD items up: WARM now holds 80% of the class.
    for (let i = 0; i < 80; i++) { e.get(KEY(i)); e.get(KEY(i)); }
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 80, cold: 0 });
    settle(e);
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 40, cold: 40 });
    expect(itemStat(e, CLS, "moves_to_cold")).to.equal(80 + 40);
    // The oldest WARM items went back down: fetching one once more is enough to move it up
    // again, since it was fetched before.
    const moves = itemStat(e, CLS, "moves_to_warm");
    e.get(KEY(0));
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 41, cold: 39 });
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(moves + 1);
  });

  it("an ACTIVE item at the WARM tail is relinked at the WARM head", () => {
    settle(e);
    for (let i = 0; i < 80; i++) { e.get(KEY(i)); e.get(KEY(i)); }
    // KEY(0) is the WARM tail; fetched again it is ACTIVE and survives the trim.
    e.get(KEY(0));
    settle(e);
    expect(itemStat(e, CLS, "moves_within_lru")).to.equal(1);
    expect(lrus(e)).to.deep.equal({ hot: 20, warm: 40, cold: 40 });
    // KEY(0) is in WARM: fetching it does not move anything.
    const before = itemStat(e, CLS, "moves_to_warm");
    e.get(KEY(0)); e.get(KEY(0));
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(before);
    // KEY(1) went to COLD: two fetches move it up again.
    e.get(KEY(1)); e.get(KEY(1));
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(before + 1);
  });

  it("HOT drains by age when it is older than COLD's tail allows", () => {
    // An empty COLD has age 0, so after one second every HOT item is too old.
    t.clock.advance(1);
    settle(e);
    expect(lrus(e)).to.deep.equal({ hot: 0, warm: 0, cold: N });
  });

  it("reports tail ages", () => {
    settle(e);
    t.clock.advance(30);
    e.set(KEY(N), VALUE);
    expect(itemStat(e, CLS, "age_hot")).to.equal(30);
    expect(itemStat(e, CLS, "age")).to.equal(30);
    expect(itemStat(e, CLS, "age_warm")).to.equal(0);
  });
});

describe("engine [wasm only]: LRU modes", () => {
  it("flat mode (no segmented LRU) links new items straight into COLD", async () => {
    const { engine: e } = await createWasmEngine({ lruSegmented: false });
    for (let i = 0; i < N; i++) e.set(KEY(i), VALUE);
    e.get(KEY(0)); e.get(KEY(0));
    e.maintain();
    expect(lrus(e)).to.deep.equal({ hot: 0, warm: 0, cold: N });
    expect(itemStat(e, CLS, "moves_to_warm")).to.equal(0);
    e.checkInvariants();
  });

  it("short TTLs go to TEMP with -o temporary_ttl", async () => {
    const { engine: e } = await createWasmEngine({ tempLru: true, temporaryTtl: 60 });
    e.set(KEY(0), VALUE, { exptime: 60 });
    e.set(KEY(1), VALUE, { exptime: 61 });
    e.set(KEY(2), VALUE);
    expect(itemStat(e, CLS, "number_temp")).to.equal(1);
    expect(itemStat(e, CLS, "number_hot")).to.equal(2);
    e.checkInvariants();
  });

  it("without the maintainer stats items leaves out the sub-LRU lines", async () => {
    const { engine: e } = await createWasmEngine({ lruMaintainer: false });
    e.set(KEY(0), VALUE);
    const items = e.statsItems();
    expect(items.get(`items:${CLS}:number`)).to.equal("1");
    expect(items.has(`items:${CLS}:number_hot`)).to.equal(false);
    expect(items.has(`items:${CLS}:moves_to_warm`)).to.equal(false);
  });
});
