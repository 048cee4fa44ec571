// Eviction under a small -m (reference §7.4 allocation under pressure) and -M, which refuses
// stores instead of evicting. Both engines bound item bytes by -m; which items go first differs
// (the WASM engine evicts per slab class from its segmented LRU, the JS twin from its one
// list), so the shared assertions are what both guarantee and the exact ones are WASM-only.
import { expect } from "chai";
import { createEngine, describeEngines, asWasm, stats, itemStatTotal, text, getText } from "../helpers/engine.js";
import { Rng } from "../helpers/rng.js";

const VALUE_SIZE = 1000;

function valueFor(key: string, size = VALUE_SIZE): string {
  // Self-describing values: a corrupted or misplaced value cannot pass for a correct one.
  const head = `<${key}>`;
  return head + ".".repeat(Math.max(0, size - head.length));
}

// memcached's item_update: an access moves an item up at most once a minute, so "recently
// read" needs the clock to move between reads.
const ITEM_UPDATE_INTERVAL = 60;

describeEngines("eviction", (kind) => {
  it("keeps storing far beyond memory, evicting the oldest items", async () => {
    const { engine: e } = await createEngine(kind, { memoryLimitMb: 8 });
    const N = 40_000; // ~40 MB of values into 8 MB
    for (let i = 0; i < N; i++) {
      const k = `fill:${i}`;
      expect(e.set(k, valueFor(k))).to.equal("STORED");
      if (i % 1000 === 999) e.maintain();
    }
    e.checkInvariants();
    const s = stats(e, "evictions", "curr_items", "total_items", "limit_maxbytes", "evicted_unfetched");
    expect(s.evictions).to.be.greaterThan(N / 2);
    expect(s.curr_items + s.evictions).to.equal(N);
    expect(s.total_items).to.equal(N);
    expect(s.evicted_unfetched).to.equal(s.evictions);
    expect(s.curr_items * VALUE_SIZE).to.be.lessThan(s.limit_maxbytes);
    expect(stats(e, "bytes").bytes).to.be.at.most(s.limit_maxbytes);
    const w = asWasm(e);
    if (w) expect(Number(w.statsSlabs().get("total_malloced"))).to.be.at.most(s.limit_maxbytes);
    // The newest items are all there and intact; the oldest are gone.
    for (let i = N - 1000; i < N; i++) expect(getText(e, `fill:${i}`)).to.equal(valueFor(`fill:${i}`));
    for (let i = 0; i < 1000; i++) expect(e.get(`fill:${i}`)).to.equal(undefined);
    // Whatever survived is exactly what was stored under that key.
    let present = 0;
    for (let i = 0; i < N; i++) {
      const v = getText(e, `fill:${i}`);
      if (v === undefined) continue;
      present++;
      expect(v).to.equal(valueFor(`fill:${i}`));
    }
    expect(present).to.equal(s.curr_items);
    if (w) expect(itemStatTotal(w, "evicted")).to.equal(s.evictions);
    e.checkInvariants();
  });

  it("items read recently survive better than items never read", async () => {
    const { engine: e, clock } = await createEngine(kind, { memoryLimitMb: 8 });
    const HOT = 500;
    for (let i = 0; i < HOT; i++) {
      e.set(`hot:${i}`, valueFor(`hot:${i}`));
      e.set(`cold:${i}`, valueFor(`cold:${i}`));
    }
    let filled = 0;
    for (let batch = 0; batch < 50; batch++) {
      for (let j = 0; j < 1000; j++, filled++) {
        expect(e.set(`fill:${filled}`, valueFor(`fill:${filled}`))).to.equal("STORED");
      }
      for (let i = 0; i < HOT; i++) e.get(`hot:${i}`);
      e.maintain();
      clock.advance(ITEM_UPDATE_INTERVAL + 1);
    }
    e.checkInvariants();
    let hot = 0;
    let cold = 0;
    for (let i = 0; i < HOT; i++) {
      const h = getText(e, `hot:${i}`);
      if (h !== undefined) { hot++; expect(h).to.equal(valueFor(`hot:${i}`)); }
      if (e.get(`cold:${i}`)) cold++;
    }
    expect(stats(e, "evictions").evictions).to.be.greaterThan(30_000);
    expect(hot, "hot items surviving").to.be.at.least(HOT * 0.95);
    expect(cold, "never-read items surviving").to.be.at.most(HOT * 0.05);
    const w = asWasm(e);
    if (w) expect(itemStatTotal(w, "moves_to_warm")).to.be.greaterThan(0);
  });

  it("mixed sizes across many classes keep working", async () => {
    const { engine: e } = await createEngine(kind, { memoryLimitMb: 8 });
    const rng = new Rng(7);
    const last = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const k = `k:${rng.int(5000)}`;
      const size = rng.chance(0.9) ? rng.range(0, 2000) : rng.range(2000, 60_000);
      const v = valueFor(`${k}#${i}`, size);
      expect(e.set(k, v)).to.equal("STORED");
      last.set(k, v);
      if (i % 500 === 0) e.maintain();
    }
    e.checkInvariants();
    expect(stats(e, "evictions").evictions).to.be.greaterThan(0);
    for (const [k, v] of last) {
      const got = getText(e, k);
      if (got !== undefined) expect(got).to.equal(v);
    }
  });

  describe("with evictions disabled (-M)", () => {
    it("returns NO_MEMORY when full and keeps what it has", async () => {
      const { engine: e } = await createEngine(kind, { memoryLimitMb: 8, evictions: false });
      let stored = 0;
      let first = -1;
      for (let i = 0; i < 20_000; i++) {
        const r = e.set(`k:${i}`, valueFor(`k:${i}`));
        if (r === "STORED") {
          stored++;
          continue;
        }
        expect(r).to.equal("NO_MEMORY");
        if (first < 0) first = i;
      }
      expect(first).to.be.greaterThan(1000);
      expect(stored).to.equal(first); // once full it stays full
      const s = stats(e, "evictions", "curr_items", "store_no_memory");
      expect(s).to.deep.equal({ evictions: 0, curr_items: stored, store_no_memory: 20_000 - stored });
      const w = asWasm(e);
      if (w) expect(itemStatTotal(w, "outofmemory")).to.equal(20_000 - stored);
      for (let i = 0; i < stored; i++) expect(getText(e, `k:${i}`)).to.equal(valueFor(`k:${i}`));
      e.checkInvariants();

      // A failed set must not leave the old value readable.
      expect(e.set("k:0", valueFor("k:0*"))).to.equal("NO_MEMORY");
      expect(e.get("k:0")).to.equal(undefined);
      // Its chunk is free again, so one more store of that size fits.
      expect(e.set("k:0", valueFor("k:0+"))).to.equal("STORED");
      expect(getText(e, "k:0")).to.equal(valueFor("k:0+"));
      // add / replace / append / incr that cannot allocate leave the old value alone.
      expect(e.replace("k:1", valueFor("k:1*"))).to.equal("NO_MEMORY");
      expect(getText(e, "k:1")).to.equal(valueFor("k:1"));
      expect(e.append("k:2", "x".repeat(VALUE_SIZE))).to.equal("NO_MEMORY");
      expect(getText(e, "k:2")).to.equal(valueFor("k:2"));
      e.checkInvariants();
    });

    // Slab classes: the JS twin has none, so a full cache is full for every size.
    if (kind === "wasm") {
      it("a small value still fits in another class's first page", async () => {
        const { engine: e } = await createEngine(kind, { memoryLimitMb: 8, evictions: false });
        for (let i = 0; e.set(`k:${i}`, valueFor(`k:${i}`)) === "STORED"; i++);
        // memcached gives every class its first page whatever the limit.
        expect(e.set("tiny", "t")).to.equal("STORED");
        expect(getText(e, "tiny")).to.equal("t");
        e.checkInvariants();
      });
    }

    it("memory of expired items is reused", async () => {
      const { engine: e, clock } = await createEngine(kind, { memoryLimitMb: 8, evictions: false });
      let n = 0;
      for (; e.set(`k:${n}`, valueFor(`k:${n}`), { exptime: 10 }) === "STORED"; n++);
      // Tail pulls reclaim only items whose exptime is strictly past (memcached's
      // lru_pull_tail), a second later than a get sees them expired.
      clock.advance(11);
      // Same-size items (a key as long as the old ones): without slab classes' slack, a longer
      // key would need bytes the expired items never held.
      for (let i = 0; i < n; i++) expect(e.set(`n:${i}`, valueFor(`n:${i}`)), `n:${i}`).to.equal("STORED");
      expect(stats(e, "evictions").evictions).to.equal(0);
      expect(stats(e, "reclaimed").reclaimed).to.be.greaterThan(0);
      e.checkInvariants();
    });

    it("incr that must grow reports NO_MEMORY", async () => {
      const { engine: e } = await createEngine(kind, { memoryLimitMb: 8, evictions: false });
      // Fill class 1, which holds the counter both as "9" and as "10".
      e.set("n", "9");
      let i = 0;
      while (e.set(`k:${i}`, String(i % 10)) === "STORED") i++;
      // Without slab classes what is left may still hold a smaller item: fill it with items
      // the size the counter grows to (1-byte key, 2 digits) until one no longer fits.
      for (let c = 0x41; c <= 0x5a && e.set(String.fromCharCode(c), "10") === "STORED"; c++);
      expect(e.incr("n", 1)).to.equal("NO_MEMORY");
      expect(text(e.get("n")!.value)).to.equal("9");
      expect(e.decr("n", 1)).to.equal(8n); // in place needs no memory
      e.checkInvariants();
    });
  });
});
