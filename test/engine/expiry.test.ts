// Expiry and the clock (reference §1.7, §7.7): exptime conversion, lazy expiry, background
// reclaim, and a host clock that only moves forward.
import { expect } from "chai";
import { engineEach, describeEngines, TestEngine, TestableEngine, asWasm, getText, stats, itemStatTotal, START_TIME, PROCESS_STARTED, REALTIME_MAXDELTA } from "../helpers/engine.js";

describeEngines("expiry and the clock", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  it("starts current_time at 62 and follows the host clock in whole seconds", () => {
    expect(e.currentTime()).to.equal(62);
    t.clock.advance(1);
    expect(e.currentTime()).to.equal(63);
    t.clock.advance(1000);
    expect(e.currentTime()).to.equal(1063);
  });

  it("never runs backwards when the host clock does", () => {
    t.clock.advance(100);
    e.set("k", "v", { exptime: 10 });
    t.clock.advance(-50);
    expect(e.currentTime()).to.equal(162);
    t.clock.advance(55); // host time is now 5 s past its old maximum
    expect(e.currentTime()).to.equal(167);
    expect(getText(e, "k")).to.equal("v");
    t.clock.advance(5);
    expect(e.get("k")).to.equal(undefined);
  });

  it("exptime 0 never expires", () => {
    e.set("k", "v", { exptime: 0 });
    t.clock.advance(10 * 365 * 86400);
    expect(getText(e, "k")).to.equal("v");
  });

  it("a negative exptime is already expired", () => {
    expect(e.set("k", "v", { exptime: -1 })).to.equal("STORED");
    expect(e.get("k")).to.equal(undefined);
    expect(e.set("k2", "v", { exptime: -2147483648 })).to.equal("STORED");
    expect(e.get("k2")).to.equal(undefined);
    expect(stats(e, "get_expired", "get_misses", "curr_items")).to.deep.equal({ get_expired: 2, get_misses: 2, curr_items: 0 });
  });

  it("a relative exptime dies exactly when current_time reaches it", () => {
    e.set("k", "v", { exptime: 10 });
    t.clock.advance(9);
    expect(getText(e, "k")).to.equal("v");
    t.clock.advance(1);
    expect(e.get("k")).to.equal(undefined);
  });

  it("30 days is still relative; one second more is an absolute unix time", () => {
    e.set("rel", "v", { exptime: REALTIME_MAXDELTA });
    e.set("abs", "v", { exptime: REALTIME_MAXDELTA + 1 }); // 1970: long past
    expect(e.get("abs")).to.equal(undefined);
    t.clock.advance(REALTIME_MAXDELTA - 1);
    expect(getText(e, "rel")).to.equal("v");
    t.clock.advance(1);
    expect(e.get("rel")).to.equal(undefined);
  });

  it("an absolute exptime in the future expires at that unix time", () => {
    e.set("k", "v", { exptime: START_TIME + 100 });
    e.set("far", "v", { exptime: START_TIME + 100 * 86400 });
    t.clock.advance(99);
    expect(getText(e, "k")).to.equal("v");
    t.clock.advance(1);
    expect(e.get("k")).to.equal(undefined);
    expect(getText(e, "far")).to.equal("v");
  });

  it("an absolute exptime at or before process start is already expired", () => {
    e.set("a", "v", { exptime: PROCESS_STARTED });
    e.set("b", "v", { exptime: PROCESS_STARTED + 1 }); // relative time 1, long past
    e.set("c", "v", { exptime: START_TIME - 1 });
    e.set("d", "v", { exptime: START_TIME + 1 });
    expect(e.get("a")).to.equal(undefined);
    expect(e.get("b")).to.equal(undefined);
    expect(e.get("c")).to.equal(undefined);
    expect(getText(e, "d")).to.equal("v");
  });

  it("expiry is lazy: the item stays counted until something touches it", () => {
    for (let i = 0; i < 10; i++) e.set(`k${i}`, "v", { exptime: 5 });
    e.set("forever", "v");
    t.clock.advance(5);
    expect(stats(e, "curr_items").curr_items).to.equal(11);
    expect(e.get("k0")).to.equal(undefined);
    expect(e.get("k1")).to.equal(undefined);
    expect(stats(e, "curr_items", "get_expired", "get_misses", "get_hits"))
      .to.deep.equal({ curr_items: 9, get_expired: 2, get_misses: 2, get_hits: 0 });
  });

  it("an expired key is absent to add, replace, append, incr and cas", () => {
    for (const k of ["a", "r", "p", "i", "c"]) e.set(k, "1", { exptime: 1 });
    const c = e.lastCas();
    t.clock.advance(1);
    expect(e.add("a", "2")).to.equal("STORED");
    expect(e.replace("r", "2")).to.equal("NOT_STORED");
    expect(e.append("p", "2")).to.equal("NOT_STORED");
    expect(e.incr("i", 1)).to.equal("NOT_FOUND");
    expect(e.cas("c", "2", c)).to.equal("NOT_FOUND");
    expect(getText(e, "a")).to.equal("2");
    expect(stats(e, "get_expired", "curr_items")).to.deep.equal({ get_expired: 5, curr_items: 1 });
  });

  it("the maintainer and crawler reclaim expired items nobody asks for", () => {
    for (let i = 0; i < 2000; i++) e.set(`k${i}`, "v".repeat(i % 50), { exptime: 10 });
    for (let i = 0; i < 100; i++) e.set(`keep${i}`, "v");
    t.clock.advance(11);
    for (let i = 0; i < 50 && e.maintain(); i++);
    for (let i = 0; i < 5; i++) {
      t.clock.advance(61); // past the crawler's minimum wait
      for (let j = 0; j < 50 && e.maintain(); j++);
    }
    expect(stats(e, "curr_items").curr_items).to.equal(100);
    const s = stats(e, "reclaimed", "crawler_reclaimed", "expired_unfetched", "get_expired");
    expect(s.reclaimed + s.crawler_reclaimed).to.equal(2000);
    expect(s.expired_unfetched).to.equal(2000);
    expect(s.get_expired).to.equal(0);
    const w = asWasm(e);
    if (w) expect(itemStatTotal(w, "number")).to.equal(100);
    for (let i = 0; i < 100; i++) expect(getText(e, `keep${i}`)).to.equal("v");
  });

  it("the crawler reclaims expired items among live ones, away from the tail", () => {
    for (let i = 0; i < 1000; i++) {
      e.set(`keep${i}`, "v");
      e.set(`gone${i}`, "v", { exptime: 10 });
    }
    t.clock.advance(61); // past their exptime and the first crawl's wait
    for (let i = 0; i < 50 && e.maintain(); i++);
    for (let i = 0; i < 3; i++) {
      t.clock.advance(61);
      for (let j = 0; j < 50 && e.maintain(); j++);
    }
    const s = stats(e, "curr_items", "reclaimed", "crawler_reclaimed", "crawler_items_checked", "lru_crawler_starts");
    expect(s.curr_items).to.equal(1000);
    expect(s.reclaimed + s.crawler_reclaimed).to.equal(1000);
    expect(s.crawler_reclaimed).to.be.greaterThan(0);
    expect(s.crawler_items_checked).to.be.at.least(s.crawler_reclaimed);
    expect(s.lru_crawler_starts).to.be.greaterThan(0);
    for (let i = 0; i < 1000; i++) expect(getText(e, `keep${i}`)).to.equal("v");
  });

  // `lru_crawler crawl` is the WASM engine's (the JS twin's crawler runs on its schedule only).
  if (kind === "wasm") {
    it("an explicit crawl reclaims expired items", () => {
      const w = asWasm(e)!;
      for (let i = 0; i < 500; i++) e.set(`k${i}`, "v", { exptime: 3 });
      t.clock.advance(4);
      expect(w.crawl()).to.equal("OK");
      expect(w.crawl()).to.equal("BUSY");
      while (e.maintain());
      const s = stats(e, "curr_items", "crawler_reclaimed", "crawler_items_checked");
      expect(s.curr_items).to.equal(0);
      expect(s.crawler_reclaimed).to.be.greaterThan(0);
      expect(s.crawler_items_checked).to.be.at.least(s.crawler_reclaimed);
    });
  }
});
