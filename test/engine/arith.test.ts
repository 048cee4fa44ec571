// incr / decr (reference §1.4, memcached's do_add_delta): 64-bit unsigned counters kept as
// decimal text, safe_strtoull's parsing rules, in-place rewrites padded with spaces.
import { expect } from "chai";
import { engineEach, describeEngines, TestEngine, TestableEngine, getText, stats, expectItem, bytes } from "../helpers/engine.js";

const U64_MAX = 2n ** 64n - 1n;

describeEngines("incr / decr", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  it("increments and decrements", () => {
    e.set("n", "10");
    expect(e.incr("n", 5)).to.equal(15n);
    expect(e.decr("n", 3)).to.equal(12n);
    expect(getText(e, "n")).to.equal("12");
    expect(stats(e, "incr_hits", "decr_hits", "incr_misses", "decr_misses"))
      .to.deep.equal({ incr_hits: 1, decr_hits: 1, incr_misses: 0, decr_misses: 0 });
  });

  it("misses a missing key", () => {
    expect(e.incr("n", 1)).to.equal("NOT_FOUND");
    expect(e.decr("n", 1)).to.equal("NOT_FOUND");
    expect(e.get("n")).to.equal(undefined);
    expect(stats(e, "incr_misses", "decr_misses")).to.deep.equal({ incr_misses: 1, decr_misses: 1 });
  });

  it("rewrites a shorter result in place, right-padded with spaces", () => {
    e.set("n", "100");
    expect(e.decr("n", 1)).to.equal(99n);
    expect(getText(e, "n")).to.equal("99 ");
    expect(e.decr("n", 90)).to.equal(9n);
    expect(getText(e, "n")).to.equal("9  ");
    // Back up to three digits still fits the three bytes.
    expect(e.incr("n", 991)).to.equal(1000n);
    expect(getText(e, "n")).to.equal("1000");
    expect(e.decr("n", 1000)).to.equal(0n);
    expect(getText(e, "n")).to.equal("0   ");
  });

  it("allocates a longer item when the number grows, keeping flags and exptime", () => {
    e.set("n", "99", { flags: 42, exptime: 100 });
    expect(e.incr("n", 1)).to.equal(100n);
    expectItem(e.get("n"), "100", 42);
    t.clock.advance(60);
    expect(e.incr("n", 99900)).to.equal(100000n);
    expectItem(e.get("n"), "100000", 42);
    t.clock.advance(40);
    expect(e.get("n")).to.equal(undefined);
    expect(stats(e, "curr_items").curr_items).to.equal(0);
  });

  it("keeps flags on an in-place rewrite", () => {
    e.set("n", "500", { flags: 7 });
    e.decr("n", 1);
    expectItem(e.get("n"), "499", 7);
  });

  it("assigns a new CAS every time, in place or not", () => {
    e.set("n", "5");
    const c0 = e.lastCas();
    e.incr("n", 1);
    const c1 = e.get("n")!.cas;
    e.incr("n", 10); // 16: grows, new item
    const c2 = e.get("n")!.cas;
    e.decr("n", 10); // 6: in place
    const c3 = e.get("n")!.cas;
    expect([c1, c2, c3]).to.deep.equal([c0 + 1n, c0 + 2n, c0 + 3n]);
    expect(e.lastCas()).to.equal(c3);
  });

  it("wraps at 2^64 on incr and clamps at 0 on decr", () => {
    e.set("n", U64_MAX.toString());
    expect(e.incr("n", 1)).to.equal(0n);
    expect(getText(e, "n")).to.equal("0" + " ".repeat(19));
    e.set("m", "5");
    expect(e.incr("m", U64_MAX)).to.equal(4n);
    expect(e.decr("m", 10)).to.equal(0n);
    expect(e.decr("m", 1)).to.equal(0n);
    e.set("big", "18446744073709551610");
    expect(e.incr("big", 5)).to.equal(U64_MAX);
    expect(e.decr("big", U64_MAX)).to.equal(0n);
  });

  it("accepts leading whitespace, a trailing space and what follows it", () => {
    e.set("a", "  7");
    expect(e.incr("a", 1)).to.equal(8n);
    expect(getText(e, "a")).to.equal("8  ");
    e.set("b", "12 abc");
    expect(e.incr("b", 1)).to.equal(13n);
    expect(getText(e, "b")).to.equal("13    ");
    e.set("c", "\t\n5");
    expect(e.incr("c", 1)).to.equal(6n);
    e.set("d", "+9");
    expect(e.incr("d", 1)).to.equal(10n);
    e.set("e", "-0");
    expect(e.incr("e", 3)).to.equal(3n);
    e.set("f", "00000000000000000000000000042");
    expect(e.incr("f", 1)).to.equal(43n);
    expect(getText(e, "f")).to.equal("43" + " ".repeat(27));
    e.set("g", "7\r\n");
    expect(e.incr("g", 1)).to.equal(8n);
  });

  it("refuses non-numeric values without changing them", () => {
    const bad = ["", "abc", "-5", "12abc", "1.5", "0x10", " ", "-", "+", "18446744073709551616",
      "99999999999999999999999", "-18446744073709551616", "5-"];
    for (const v of bad) {
      e.set("n", v);
      const cas = e.lastCas();
      expect(e.incr("n", 1), JSON.stringify(v)).to.equal("NON_NUMERIC");
      expect(e.decr("n", 1), JSON.stringify(v)).to.equal("NON_NUMERIC");
      const it = e.get("n")!;
      expect(new TextDecoder().decode(it.value)).to.equal(v);
      expect(it.cas).to.equal(cas);
    }
    expect(stats(e, "incr_hits", "decr_hits", "incr_misses")).to.deep.equal({ incr_hits: 0, decr_hits: 0, incr_misses: 0 });
  });

  it("a NUL ends the number as memcached's C string does", () => {
    e.set("n", new Uint8Array([...bytes("42"), 0, ...bytes("zz")]));
    expect(e.incr("n", 1)).to.equal(43n);
    expect(getText(e, "n")).to.equal("43   ");
  });

  it("a wrapped negative that looks non-negative is accepted as strtoull does", () => {
    // strtoull("-18446744073709551615") is 1; memcached only rejects a '-' when the result
    // would be negative as a signed number.
    e.set("n", "-18446744073709551615");
    expect(e.incr("n", 1)).to.equal(2n);
  });

  it("takes 64-bit deltas", () => {
    e.set("n", "0");
    expect(e.incr("n", 2n ** 63n)).to.equal(2n ** 63n);
    expect(getText(e, "n")).to.equal((2n ** 63n).toString());
    expect(e.decr("n", 2n ** 62n)).to.equal(2n ** 62n);
  });

  it("refuses a chunked (large) value", () => {
    const big = "1" + " ".repeat(600 * 1024);
    expect(e.set("n", big)).to.equal("STORED");
    expect(e.incr("n", 1)).to.equal("NON_NUMERIC");
  });

  it("does not resurrect an expired counter", () => {
    e.set("n", "1", { exptime: 2 });
    t.clock.advance(2);
    expect(e.incr("n", 1)).to.equal("NOT_FOUND");
    expect(stats(e, "get_expired", "incr_misses")).to.deep.equal({ get_expired: 1, incr_misses: 1 });
  });
});
