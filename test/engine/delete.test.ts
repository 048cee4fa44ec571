// delete (reference §1.4): hits, misses, and that a delete really frees the item.
import { expect } from "chai";
import { engineEach, describeEngines, TestEngine, TestableEngine, getText, stats, asWasm } from "../helpers/engine.js";

describeEngines("delete", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  it("removes an existing item", () => {
    e.set("k", "v");
    e.set("other", "w");
    expect(e.delete("k")).to.equal(true);
    expect(e.get("k")).to.equal(undefined);
    expect(getText(e, "other")).to.equal("w");
    expect(stats(e, "curr_items", "delete_hits", "delete_misses")).to.deep.equal({ curr_items: 1, delete_hits: 1, delete_misses: 0 });
  });

  it("misses a missing key, twice in a row", () => {
    e.set("k", "v");
    expect(e.delete("k")).to.equal(true);
    expect(e.delete("k")).to.equal(false);
    expect(e.delete("never")).to.equal(false);
    expect(stats(e, "delete_hits", "delete_misses")).to.deep.equal({ delete_hits: 1, delete_misses: 2 });
  });

  it("misses an expired key (and counts the lazy expiry)", () => {
    e.set("k", "v", { exptime: 5 });
    t.clock.advance(5);
    expect(e.delete("k")).to.equal(false);
    expect(stats(e, "delete_misses", "get_expired", "curr_items")).to.deep.equal({ delete_misses: 1, get_expired: 1, curr_items: 0 });
  });

  it("returns the memory: bytes go back to 0 (and the WASM engine reuses its chunks)", () => {
    const malloced = () => Number(asWasm(e)?.statsSlabs().get("total_malloced") ?? 0);
    for (let i = 0; i < 1000; i++) e.set(`k${i}`, "x".repeat(i % 300));
    const used = malloced();
    for (let i = 0; i < 1000; i++) expect(e.delete(`k${i}`)).to.equal(true);
    expect(stats(e, "curr_items", "bytes")).to.deep.equal({ curr_items: 0, bytes: 0 });
    for (let i = 0; i < 1000; i++) e.set(`j${i}`, "y".repeat(i % 300));
    expect(malloced()).to.equal(used);
  });

  it("lets add and replace see the key as absent afterwards", () => {
    e.set("k", "v");
    e.delete("k");
    expect(e.replace("k", "w")).to.equal("NOT_STORED");
    expect(e.append("k", "w")).to.equal("NOT_STORED");
    expect(e.incr("k", 1)).to.equal("NOT_FOUND");
    expect(e.add("k", "w")).to.equal("STORED");
    expect(getText(e, "k")).to.equal("w");
  });
});
