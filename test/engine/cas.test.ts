// CAS (reference §1.2, §1.8): one global counter, a new value on every store, compare-and-swap
// results and counters, and -C.
import { expect } from "chai";
import { engineEach, createEngine, describeEngines, TestEngine, TestableEngine, getText, stats, expectItem } from "../helpers/engine.js";

describeEngines("cas", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  it("stores when the unique matches, with new flags, exptime and CAS", () => {
    e.set("k", "v1", { flags: 1 });
    const c1 = e.get("k")!.cas;
    expect(e.cas("k", "v2", c1, { flags: 2, exptime: 10 })).to.equal("STORED");
    const c2 = e.lastCas();
    expect(c2).to.equal(c1 + 1n);
    const it = expectItem(e.get("k"), "v2", 2);
    expect(it.cas).to.equal(c2);
    t.clock.advance(10);
    expect(e.get("k")).to.equal(undefined);
    expect(stats(e, "cas_hits", "cas_badval", "cas_misses")).to.deep.equal({ cas_hits: 1, cas_badval: 0, cas_misses: 0 });
  });

  it("refuses a stale unique with EXISTS and leaves the item alone", () => {
    e.set("k", "v1");
    const c1 = e.lastCas();
    e.set("k", "v2");
    expect(e.cas("k", "v3", c1)).to.equal("EXISTS");
    expect(e.cas("k", "v3", c1 + 100n)).to.equal("EXISTS");
    const it = expectItem(e.get("k"), "v2");
    expect(it.cas).to.equal(c1 + 1n);
    expect(stats(e, "cas_hits", "cas_badval", "cas_misses")).to.deep.equal({ cas_hits: 0, cas_badval: 2, cas_misses: 0 });
  });

  it("a unique of 0 never matches", () => {
    e.set("k", "v");
    expect(e.cas("k", "w", 0n)).to.equal("EXISTS");
    expect(getText(e, "k")).to.equal("v");
  });

  it("a missing key is NOT_FOUND and counts cas_misses", () => {
    expect(e.cas("k", "v", 1n)).to.equal("NOT_FOUND");
    expect(e.get("k")).to.equal(undefined);
    e.set("gone", "v", { exptime: 1 });
    const c = e.lastCas();
    t.clock.advance(1);
    expect(e.cas("gone", "v", c)).to.equal("NOT_FOUND");
    expect(stats(e, "cas_misses", "cas_badval").cas_misses).to.equal(2);
  });

  it("a second cas with the same unique fails", () => {
    e.set("k", "v");
    const c = e.lastCas();
    expect(e.cas("k", "a", c)).to.equal("STORED");
    expect(e.cas("k", "b", c)).to.equal("EXISTS");
    expect(getText(e, "k")).to.equal("a");
  });

  it("touch and gat keep the unique valid; incr, append and set do not", () => {
    e.set("k", "1");
    let c = e.lastCas();
    e.touch("k", 100);
    e.gat("k", 200);
    expect(e.cas("k", "2", c)).to.equal("STORED");
    c = e.lastCas();
    expect(e.incr("k", 1)).to.equal(3n);
    expect(e.cas("k", "x", c)).to.equal("EXISTS");
    c = e.get("k")!.cas;
    e.append("k", "0");
    expect(e.cas("k", "x", c)).to.equal("EXISTS");
    c = e.get("k")!.cas;
    e.set("k", "y");
    expect(e.cas("k", "x", c)).to.equal("EXISTS");
    expect(getText(e, "k")).to.equal("y");
  });

  it("hands out one increasing counter across keys and operations", () => {
    const seen: bigint[] = [];
    e.set("a", "1"); seen.push(e.lastCas());
    e.add("b", "1"); seen.push(e.lastCas());
    e.replace("a", "2"); seen.push(e.lastCas());
    e.append("b", "0"); seen.push(e.lastCas());
    e.prepend("a", "1"); seen.push(e.lastCas());
    expect(e.incr("a", 1)).to.equal(13n); seen.push(e.get("a")!.cas);
    expect(e.incr("b", 100)).to.equal(110n); seen.push(e.get("b")!.cas);
    e.cas("a", "z", e.get("a")!.cas); seen.push(e.lastCas());
    expect(seen).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
    // Failed stores take no CAS.
    e.add("a", "no");
    e.replace("nope", "no");
    e.cas("a", "no", 1n);
    e.set("c", "v");
    expect(e.lastCas()).to.equal(9n);
  });

  describe("with CAS disabled (-C)", () => {
    it("every cas on an existing key is EXISTS, missing is NOT_FOUND", async () => {
      const { engine } = await createEngine(kind, { cas: false });
      engine.set("k", "v");
      expect(engine.get("k")!.cas).to.equal(0n);
      expect(engine.cas("k", "w", 0n)).to.equal("EXISTS");
      expect(engine.cas("k", "w", 1n)).to.equal("EXISTS");
      expect(engine.cas("missing", "w", 1n)).to.equal("NOT_FOUND");
      expect(getText(engine, "k")).to.equal("v");
      expect(engine.incr("k", 1)).to.equal("NON_NUMERIC");
      engine.set("n", "5");
      expect(engine.incr("n", 1)).to.equal(6n);
      expect(engine.get("n")!.cas).to.equal(0n);
      engine.checkInvariants();
    });
  });
});
