// Slab classes, the -I item size limit and chunked large items (reference §7.2). The size limit
// and large values are engine semantics and run on both engines; slab classes and chunk chains
// are WASM internals.
import { expect } from "chai";
import {
  createEngine, createWasmEngine, describeEngines, asWasm, TestableEngine, stats, slabStat, itemStat,
  expectBytesEqual, mcItemSize, coreItemTotal, DEFAULT_CLASS_SIZES, MB, getText,
} from "../helpers/engine.js";
import { Rng } from "../helpers/rng.js";

const KEY10 = "0123456789";
const SLAB_CHUNK_MAX = 512 * 1024;
// The largest value an unchunked item with an 8-byte key holds in the core.
const FLAT_MAX_8 = SLAB_CHUNK_MAX - coreItemTotal(8, 0);

describe("engine [wasm only]: slab classes", () => {
  it("match memcached's default class table, one item per class", async () => {
    const { engine: e } = await createWasmEngine();
    DEFAULT_CLASS_SIZES.forEach((size, i) => {
      const key = `c:${String(i + 1).padStart(6, "0")}`; // 8 bytes
      // An item whose core size is exactly the chunk size lands in that class.
      expect(e.set(key, "x".repeat(size - coreItemTotal(8, 0)))).to.equal("STORED");
    });
    const slabs = e.statsSlabs();
    DEFAULT_CLASS_SIZES.forEach((size, i) => {
      const c = i + 1;
      expect(Number(slabs.get(`${c}:chunk_size`)), `class ${c}`).to.equal(size);
      expect(Number(slabs.get(`${c}:chunks_per_page`)), `class ${c}`).to.equal(Math.floor(MB / size));
      expect(Number(slabs.get(`${c}:used_chunks`)), `class ${c}`).to.equal(1);
      expect(Number(slabs.get(`${c}:total_pages`)), `class ${c}`).to.equal(1);
      expect(itemStat(e, c, "number"), `class ${c}`).to.equal(1);
    });
    expect(slabs.has(`${DEFAULT_CLASS_SIZES.length + 1}:chunk_size`)).to.equal(false);
    expect(Number(slabs.get("active_slabs"))).to.equal(DEFAULT_CLASS_SIZES.length);
    expect(Number(slabs.get("total_malloced"))).to.equal(DEFAULT_CLASS_SIZES.length * MB);
    e.checkInvariants();
  });

  it("one byte more goes to the next class", async () => {
    const { engine: e } = await createWasmEngine();
    e.set("k:000001", "x".repeat(96 - coreItemTotal(8, 0) + 1));
    expect(slabStat(e, 1, "used_chunks")).to.equal(0);
    expect(slabStat(e, 2, "used_chunks")).to.equal(1);
    e.checkInvariants();
  });

  it("follow -n and -f", async () => {
    const { engine: e } = await createWasmEngine({ chunkSize: 100, growthFactor: 2 });
    e.set("a", "x");
    e.set("b", "x".repeat(200));
    const slabs = e.statsSlabs();
    expect(Number(slabs.get("1:chunk_size"))).to.equal(152); // 48 + 100, 8-aligned
    expect(Number(slabs.get("2:chunk_size"))).to.equal(304);
    e.checkInvariants();
  });

  it("count per-class operations", async () => {
    const { engine: e } = await createWasmEngine();
    e.set("a", "1");
    e.get("a");
    e.incr("a", 1);
    e.touch("a", 10);
    e.cas("a", "3", e.get("a")!.cas);
    e.cas("a", "4", 1n);
    e.delete("a");
    const s = e.statsSlabs();
    const n = (f: string) => Number(s.get(`1:${f}`));
    expect([n("cmd_set"), n("get_hits"), n("incr_hits"), n("touch_hits"), n("cas_hits"), n("cas_badval"), n("delete_hits")])
      .to.deep.equal([3, 2, 1, 1, 1, 1, 1]);
  });
});

describeEngines("item size limit (-I)", (kind) => {
  it("takes a value exactly at the 1m limit and refuses one byte more", async () => {
    const { engine: e } = await createEngine(kind);
    const max = MB - mcItemSize(10, 0, 0);
    expect(max).to.equal(1048507);
    const v = new Rng(1).bytes(max);
    expect(e.set(KEY10, v)).to.equal("STORED");
    expectBytesEqual(e.get(KEY10)?.value, v);
    expect(e.set("0123456789", new Uint8Array(max + 1))).to.equal("TOO_LARGE");
    expect(stats(e, "store_too_large", "curr_items")).to.deep.equal({ store_too_large: 1, curr_items: 0 });
    e.checkInvariants();
  });

  it("counts flags and CAS in the limit", async () => {
    const { engine: e } = await createEngine(kind);
    const withFlags = MB - mcItemSize(10, 0, 1);
    expect(e.set(KEY10, new Uint8Array(withFlags), { flags: 1 })).to.equal("STORED");
    expect(e.set(KEY10, new Uint8Array(withFlags + 1), { flags: 1 })).to.equal("TOO_LARGE");
    const { engine: noCas } = await createEngine(kind, { cas: false });
    const withoutCas = MB - mcItemSize(10, 0, 0, false);
    expect(withoutCas).to.equal(1048515);
    expect(noCas.set(KEY10, new Uint8Array(withoutCas))).to.equal("STORED");
    expect(noCas.set(KEY10, new Uint8Array(withoutCas + 1))).to.equal("TOO_LARGE");
    expect(e.get(KEY10)).to.equal(undefined);
    expect(noCas.get(KEY10)).to.equal(undefined);
    e.checkInvariants();
    noCas.checkInvariants();
  });

  it("a too-large set deletes the old value; add and replace do not", async () => {
    const { engine: e } = await createEngine(kind);
    e.set("s", "old");
    e.set("r", "old");
    e.set("a", "old");
    expect(e.set("s", new Uint8Array(MB))).to.equal("TOO_LARGE");
    expect(e.replace("r", new Uint8Array(MB))).to.equal("TOO_LARGE");
    expect(e.add("a", new Uint8Array(MB))).to.equal("TOO_LARGE");
    expect(e.get("s")).to.equal(undefined);
    expect(getText(e, "r")).to.equal("old");
    expect(getText(e, "a")).to.equal("old");
    expect(stats(e, "store_too_large").store_too_large).to.equal(3);
  });

  it("a value far beyond the limit is refused the same way", async () => {
    const { engine: e } = await createEngine(kind);
    e.set("s", "old");
    expect(e.set("s", new Uint8Array(3 * MB))).to.equal("TOO_LARGE");
    expect(e.get("s")).to.equal(undefined);
    expect(stats(e, "store_too_large").store_too_large).to.equal(1);
    e.checkInvariants();
  });

  it("an append past the limit is NOT_STORED and keeps the old value", async () => {
    const { engine: e } = await createEngine(kind);
    const max = MB - mcItemSize(10, 0, 0);
    const v = new Rng(2).bytes(max - 10);
    e.set(KEY10, v);
    expect(e.append(KEY10, "x".repeat(11))).to.equal("NOT_STORED");
    expect(e.prepend(KEY10, "x".repeat(11))).to.equal("NOT_STORED");
    expectBytesEqual(e.get(KEY10)?.value, v);
    expect(e.append(KEY10, "y".repeat(10))).to.equal("STORED");
    expect(e.get(KEY10)!.value.length).to.equal(max);
    e.checkInvariants();
  });

  it("-I 2m with -m 4: values up to the new limit round-trip", async () => {
    const { engine: e } = await createEngine(kind, { itemSizeMax: 2 * MB, memoryLimitMb: 4 });
    const max = 2 * MB - mcItemSize(10, 0, 0);
    expect(max).to.equal(2097083);
    const v = new Rng(3).bytes(max);
    expect(e.set(KEY10, v)).to.equal("STORED");
    expectBytesEqual(e.get(KEY10)?.value, v);
    expect(e.set("other", new Uint8Array(max + 1 + 5))).to.equal("TOO_LARGE");
    e.checkInvariants();
    // A second value that size: stored, whatever it takes. In the WASM engine it does not fit
    // next to the first (slab pages), which is evicted; two exactly fill the JS twin's 4 MB.
    const w = new Rng(4).bytes(max);
    expect(e.set("9876543210", w)).to.equal("STORED");
    expectBytesEqual(e.get("9876543210")?.value, w);
    expect(stats(e, "evictions").evictions).to.be.at.most(1);
    if (asWasm(e)) {
      expect(e.get(KEY10)).to.equal(undefined);
      expect(stats(e, "evictions").evictions).to.equal(1);
    }
    e.checkInvariants();
  });
});

// Values around and beyond slab_chunk_max, which the WASM core keeps as chunk chains.
describeEngines("large (chunked) values", (kind) => {
  let e: TestableEngine;
  beforeEach(async () => {
    e = (await createEngine(kind, { memoryLimitMb: 32 })).engine;
  });
  afterEach(() => e.checkInvariants());

  it("round-trip byte for byte at every size around slab_chunk_max", () => {
    const rng = new Rng(5);
    const sizes = [FLAT_MAX_8 - 1, FLAT_MAX_8, FLAT_MAX_8 + 1, SLAB_CHUNK_MAX, SLAB_CHUNK_MAX + 1,
      SLAB_CHUNK_MAX - 28, SLAB_CHUNK_MAX - 27, 600_000, 999_999, MB - mcItemSize(8, 0, 1)]; // flags i: non-zero for the last
    const values = sizes.map((n) => rng.bytes(n));
    sizes.forEach((n, i) => expect(e.set(`big:${String(i).padStart(4, "0")}`, values[i], { flags: i }), `size ${n}`).to.equal("STORED"));
    sizes.forEach((n, i) => {
      const it = e.get(`big:${String(i).padStart(4, "0")}`);
      expectBytesEqual(it?.value, values[i], `size ${n}`);
      expect(it!.flags).to.equal(i);
    });
    expect(stats(e, "curr_items").curr_items).to.equal(sizes.length);
  });

  it("overwrite chunked with small and small with chunked", () => {
    const rng = new Rng(6);
    const big = rng.bytes(800_000);
    e.set("k", "small");
    e.set("k", big);
    expectBytesEqual(e.get("k")?.value, big);
    e.set("k", "small again");
    expect(getText(e, "k")).to.equal("small again");
    const big2 = rng.bytes(700_000);
    e.set("k", big2);
    expectBytesEqual(e.get("k")?.value, big2);
    expect(stats(e, "curr_items").curr_items).to.equal(1);
  });

  it("free their memory on delete, and it is reused (the same chunks in the WASM engine)", () => {
    const malloced = () => Number(asWasm(e)?.statsSlabs().get("total_malloced") ?? 0);
    const rng = new Rng(7);
    for (let i = 0; i < 10; i++) e.set(`k${i}`, rng.bytes(900_000));
    const used = malloced();
    for (let i = 0; i < 10; i++) expect(e.delete(`k${i}`)).to.equal(true);
    expect(stats(e, "curr_items", "bytes")).to.deep.equal({ curr_items: 0, bytes: 0 });
    e.checkInvariants();
    for (let i = 0; i < 10; i++) e.set(`j${i}`, rng.bytes(900_000));
    expect(malloced()).to.equal(used);
    expect(stats(e, "evictions").evictions).to.equal(0);
  });

  it("append and prepend onto chunked items", () => {
    const rng = new Rng(8);
    const base = rng.bytes(600_000);
    const tail = rng.bytes(1234);
    const head = rng.bytes(100_001);
    e.set("k", base, { flags: 99 });
    expect(e.append("k", tail)).to.equal("STORED");
    expect(e.prepend("k", head)).to.equal("STORED");
    const it = e.get("k")!;
    expectBytesEqual(it.value, concat(head, base, tail));
    expect(it.flags).to.equal(99);
  });

  it("append and prepend chunked values onto small items", () => {
    const rng = new Rng(9);
    const big = rng.bytes(700_000);
    e.set("a", "start:");
    expect(e.append("a", big)).to.equal("STORED");
    expectBytesEqual(e.get("a")?.value, concat(bytes("start:"), big));
    e.set("p", ":end");
    expect(e.prepend("p", big)).to.equal("STORED");
    expectBytesEqual(e.get("p")?.value, concat(big, bytes(":end")));
  });

  it("append a chunked value onto a chunked item", () => {
    const rng = new Rng(10);
    const a = rng.bytes(530_000);
    const b = rng.bytes(480_000);
    e.set("k", a);
    expect(e.append("k", b)).to.equal("STORED");
    expectBytesEqual(e.get("k")?.value, concat(a, b));
    expect(e.prepend("k", "")).to.equal("STORED");
    expectBytesEqual(e.get("k")?.value, concat(a, b));
  });

  it("survive eviction pressure intact or not at all", async () => {
    const { engine: small } = await createEngine(kind, { memoryLimitMb: 8 });
    const rng = new Rng(11);
    const values: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const v = rng.bytes(rng.range(520_000, 1_000_000));
      values.push(v);
      expect(small.set(`big${i}`, v), `big${i}`).to.equal("STORED");
      small.set(`small${i}`, `s${i}`);
    }
    small.checkInvariants();
    expect(stats(small, "evictions").evictions).to.be.greaterThan(0);
    let present = 0;
    for (let i = 0; i < 40; i++) {
      const it = small.get(`big${i}`);
      if (!it) continue;
      present++;
      expectBytesEqual(it.value, values[i], `big${i}`);
    }
    expect(present).to.be.at.least(3);
    expectBytesEqual(small.get("big39")?.value, values[39], "newest");
  });
});

describe("engine [wasm only]: chunk chains", () => {
  it("a chain whose last chunk's class is full takes a full-size chunk instead", async () => {
    // memcached's do_item_alloc_chunk fallback. Value chunks are not on any LRU of their own
    // class, so a class full of other chains' last chunks has nothing to evict.
    const { engine: small } = await createWasmEngine({ memoryLimitMb: 8 });
    const rng = new Rng(12);
    const LARGE_CAP = SLAB_CHUNK_MAX - 28;     // value bytes of a full-size chunk
    const V = LARGE_CAP + 350_000;             // last chunk lands in class 38 (2 per page)
    const flat = (i: number) => `flat${i}`;
    // Class 39 (the largest) gets two pages while memory is still free...
    for (let i = 0; i < 4; i++) expect(small.set(flat(i), rng.bytes(450_000))).to.equal("STORED");
    expect(slabStat(small, 39, "total_pages")).to.equal(2);
    // ...then small items take memory to the limit: no class may add a page from here on.
    for (let i = 0; stats(small, "evictions").evictions === 0; i++) small.set(`fill${i}`, "f".repeat(1000));
    for (let i = 0; i < 3; i++) small.delete(flat(i));
    // Two chains fill class 38's only page with their last chunks.
    const a = rng.bytes(V);
    const b = rng.bytes(V);
    expect(small.set("A", a)).to.equal("STORED");
    expect(small.set("B", b)).to.equal("STORED");
    expect(slabStat(small, 38, "free_chunks")).to.equal(0);
    // A third chain: its last chunk cannot come from class 38, so it takes a class 39 chunk
    // (evicting the oldest large item, flat3) rather than failing.
    const c = rng.bytes(V);
    expect(small.set("C", c)).to.equal("STORED");
    expectBytesEqual(small.get("C")?.value, c, "C");
    expectBytesEqual(small.get("A")?.value, a, "A");
    expectBytesEqual(small.get("B")?.value, b, "B");
    expect(small.get(flat(3))).to.equal(undefined);
    small.checkInvariants();
  });
});

const enc = new TextEncoder();
function bytes(s: string): Uint8Array { return enc.encode(s); }
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
