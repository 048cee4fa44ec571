// Retrieval, touch and gat (reference §1.3, §1.4): hits, misses, the counters each moves, and
// that touch/gat change the TTL but never the CAS.
import { expect } from "chai";
import { engineEach, describeEngines, TestEngine, TestableEngine, getText, stats, expectItem, text } from "../helpers/engine.js";

describeEngines("get / touch / gat", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  it("get returns value, flags and CAS; a miss returns undefined", () => {
    e.set("a", "alpha", { flags: 12 });
    const cas = e.lastCas();
    const it = expectItem(e.get("a"), "alpha", 12);
    expect(it.cas).to.equal(cas);
    expect(e.get("b")).to.equal(undefined);
    expect(stats(e, "cmd_get", "get_hits", "get_misses")).to.deep.equal({ cmd_get: 2, get_hits: 1, get_misses: 1 });
  });

  it("get does not change the CAS or the value", () => {
    e.set("a", "alpha");
    const cas = e.lastCas();
    for (let i = 0; i < 5; i++) expect(e.get("a")!.cas).to.equal(cas);
    expect(getText(e, "a")).to.equal("alpha");
  });

  it("a returned value is a copy that later operations do not change", () => {
    e.set("a", "first");
    const it = e.get("a")!;
    e.set("a", "other");
    e.set("b", "x".repeat(1000));
    expect(new TextDecoder().decode(it.value)).to.equal("first");
  });

  it("a returned value does not change when its item is changed in place", () => {
    e.set("n", "100");
    const before = e.get("n")!;
    expect(e.decr("n", 1)).to.equal(99n); // rewritten in place, padded to the old length
    e.set("a", "x");
    const joined = e.get("a")!;
    e.append("a", "y");
    expect(text(before.value)).to.equal("100");
    expect(text(joined.value)).to.equal("x");
    expect(getText(e, "n")).to.equal("99 ");
  });

  describe("touch", () => {
    it("changes the exptime but not the CAS", () => {
      const { clock } = t;
      e.set("k", "v", { exptime: 10 });
      const cas = e.lastCas();
      expect(e.touch("k", 100)).to.equal(true);
      clock.advance(50);
      const it = expectItem(e.get("k"), "v");
      expect(it.cas).to.equal(cas);
      clock.advance(50);
      expect(e.get("k")).to.equal(undefined);
    });

    it("can make an item immortal or kill it", () => {
      const { clock } = t;
      e.set("immortal", "v", { exptime: 5 });
      e.set("doomed", "v");
      expect(e.touch("immortal", 0)).to.equal(true);
      expect(e.touch("doomed", -1)).to.equal(true);
      expect(e.get("doomed")).to.equal(undefined);
      clock.advance(86400 * 365);
      expect(getText(e, "immortal")).to.equal("v");
    });

    it("misses a missing or expired key and counts it", () => {
      const { clock } = t;
      e.set("short", "v", { exptime: 1 });
      clock.advance(1);
      expect(e.touch("short", 100)).to.equal(false);
      expect(e.touch("never", 100)).to.equal(false);
      e.set("k", "v");
      expect(e.touch("k", 100)).to.equal(true);
      expect(stats(e, "cmd_touch", "touch_hits", "touch_misses", "cmd_get", "get_expired"))
        .to.deep.equal({ cmd_touch: 3, touch_hits: 1, touch_misses: 2, cmd_get: 0, get_expired: 1 });
    });
  });

  describe("gat", () => {
    it("returns the item and replaces its TTL without changing the CAS", () => {
      const { clock } = t;
      e.set("k", "value", { flags: 3, exptime: 10 });
      const cas = e.lastCas();
      const it = expectItem(e.gat("k", 1000), "value", 3);
      expect(it.cas).to.equal(cas);
      clock.advance(500);
      expect(e.get("k")!.cas).to.equal(cas);
      clock.advance(500);
      expect(e.get("k")).to.equal(undefined);
    });

    it("counts as a touch, not a get", () => {
      e.set("k", "v");
      e.gat("k", 10);
      expect(e.gat("missing", 10)).to.equal(undefined);
      expect(stats(e, "cmd_get", "get_hits", "get_misses", "cmd_touch", "touch_hits", "touch_misses"))
        .to.deep.equal({ cmd_get: 0, get_hits: 0, get_misses: 0, cmd_touch: 2, touch_hits: 1, touch_misses: 1 });
    });

    it("with a negative exptime returns the value once, then it is gone", () => {
      e.set("k", "v");
      expectItem(e.gat("k", -1), "v");
      expect(e.get("k")).to.equal(undefined);
      expect(stats(e, "get_expired").get_expired).to.equal(1);
    });
  });
});
