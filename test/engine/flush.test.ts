// flush_all (reference §1.7): immediate flushes are exact by CAS, delayed ones kill everything
// last touched at or before the deadline, including items stored after the command.
import { expect } from "chai";
import { engineEach, createEngine, describeEngines, TestEngine, TestableEngine, getText, stats } from "../helpers/engine.js";

describeEngines("flush_all", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  it("now: every existing item is gone, later stores in the same second live", () => {
    for (let i = 0; i < 100; i++) e.set(`k${i}`, `v${i}`);
    e.flushAll();
    e.set("after", "v");
    expect(getText(e, "after")).to.equal("v");
    for (let i = 0; i < 100; i++) expect(e.get(`k${i}`)).to.equal(undefined);
    expect(stats(e, "get_flushed", "get_misses", "cmd_flush", "curr_items"))
      .to.deep.equal({ get_flushed: 100, get_misses: 100, cmd_flush: 1, curr_items: 1 });
    t.clock.advance(100);
    expect(getText(e, "after")).to.equal("v");
  });

  it("now: flushed keys are absent to every command", () => {
    for (const k of ["a", "r", "p", "i", "c", "d", "t"]) e.set(k, "1");
    const c = e.lastCas();
    e.flushAll(0);
    expect(e.add("a", "2")).to.equal("STORED");
    expect(e.replace("r", "2")).to.equal("NOT_STORED");
    expect(e.prepend("p", "2")).to.equal("NOT_STORED");
    expect(e.decr("i", 1)).to.equal("NOT_FOUND");
    expect(e.cas("c", "2", c)).to.equal("NOT_FOUND");
    expect(e.delete("d")).to.equal(false);
    expect(e.touch("t", 10)).to.equal(false);
    expect(stats(e, "get_flushed", "curr_items")).to.deep.equal({ get_flushed: 7, curr_items: 1 });
  });

  it("a negative delay is immediate", () => {
    e.set("k", "v");
    e.flushAll(-5);
    expect(e.get("k")).to.equal(undefined);
  });

  it("delayed: nothing dies before the deadline, everything last touched before it dies then", () => {
    e.set("before", "v");
    e.flushAll(10);
    expect(getText(e, "before")).to.equal("v");
    t.clock.advance(2);
    e.set("after", "v"); // stored after the flush command, not touched after the deadline
    t.clock.advance(6);
    expect(getText(e, "before")).to.equal("v");
    expect(getText(e, "after")).to.equal("v");
    expect(stats(e, "get_flushed").get_flushed).to.equal(0);
    // memcached's oldest_live is realtime(delay) - 1: the deadline second itself is flushed.
    t.clock.advance(1);
    expect(e.get("before")).to.equal(undefined);
    expect(e.get("after")).to.equal(undefined);
    e.set("at-deadline", "v");
    expect(e.get("at-deadline")).to.equal(undefined);
    t.clock.advance(1);
    e.set("later", "v");
    expect(getText(e, "later")).to.equal("v");
    t.clock.advance(1000);
    expect(getText(e, "later")).to.equal("v");
    expect(stats(e, "get_flushed", "cmd_flush")).to.deep.equal({ get_flushed: 3, cmd_flush: 1 });
  });

  it("delayed: an item re-stored after the deadline survives", () => {
    e.set("k", "old");
    e.flushAll(5);
    t.clock.advance(10);
    e.set("k", "new");
    expect(getText(e, "k")).to.equal("new");
  });

  it("a later immediate flush overrides a pending delayed one", () => {
    e.set("a", "v");
    e.flushAll(100);
    e.flushAll();
    expect(e.get("a")).to.equal(undefined);
    e.set("b", "v");
    t.clock.advance(200);
    expect(getText(e, "b")).to.equal("v");
  });

  it("a later delayed flush postpones an earlier one", () => {
    e.set("a", "v");
    e.flushAll(5);
    e.flushAll(50);
    t.clock.advance(10);
    expect(getText(e, "a")).to.equal("v");
    t.clock.advance(40);
    expect(e.get("a")).to.equal(undefined);
  });

  it("flushed items are reclaimed in the background too", () => {
    for (let i = 0; i < 1000; i++) e.set(`k${i}`, "v".repeat(i % 100));
    e.flushAll();
    t.clock.advance(1);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 50 && e.maintain(); i++);
      t.clock.advance(61);
    }
    expect(stats(e, "curr_items", "bytes", "get_flushed")).to.deep.equal({ curr_items: 0, bytes: 0, get_flushed: 0 });
  });

  it("a delayed flush after an immediate one revives items not yet reclaimed (as memcached 1.6.18)", () => {
    // flush_all only moves oldest_live; items are removed lazily. memcached answers
    // `set a; flush_all; flush_all 100; get a` with the value, and so does the core.
    e.set("a", "v");
    e.flushAll();
    e.flushAll(100);
    expect(getText(e, "a")).to.equal("v");
    t.clock.advance(100);
    expect(e.get("a")).to.equal(undefined);
  });

  it("without CAS (-C) an immediate flush also kills stores later in the same second", async () => {
    const { engine, clock } = await createEngine(kind, { cas: false });
    engine.set("a", "v");
    engine.flushAll();
    engine.set("b", "v");
    expect(engine.get("a")).to.equal(undefined);
    expect(engine.get("b")).to.equal(undefined);
    clock.advance(1);
    engine.set("c", "v");
    expect(getText(engine, "c")).to.equal("v");
    engine.checkInvariants();
  });
});
