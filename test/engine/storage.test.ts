// Storage commands (reference §1.2): set / add / replace / append / prepend, their results,
// the CAS each assigns, flags and exptime handling, keys and values at their limits.
import { expect } from "chai";
import { engineEach, createEngine, describeEngines, TestEngine, TestableEngine, bytes, text, getText, stats, expectItem, expectBytesEqual } from "../helpers/engine.js";

describeEngines("storage commands", (kind) => {
  let t: TestEngine;
  let e: TestableEngine;
  engineEach(kind, (x) => {
    t = x;
    e = x.engine;
  });

  describe("set", () => {
    it("stores a new item and hands out CAS 1 first", () => {
      expect(e.set("k", "v1", { flags: 5 })).to.equal("STORED");
      expect(e.lastCas()).to.equal(1n);
      const it = expectItem(e.get("k"), "v1", 5);
      expect(it.cas).to.equal(1n);
      expect(stats(e, "curr_items", "total_items", "cmd_set")).to.deep.equal({ curr_items: 1, total_items: 1, cmd_set: 1 });
    });

    it("replaces an existing item with a fresh CAS, flags and value", () => {
      e.set("k", "old", { flags: 1 });
      const first = e.lastCas();
      expect(e.set("k", "newer", { flags: 2 })).to.equal("STORED");
      const second = e.lastCas();
      expect(second).to.equal(first + 1n);
      const it = expectItem(e.get("k"), "newer", 2);
      expect(it.cas).to.equal(second);
      expect(stats(e, "curr_items", "total_items")).to.deep.equal({ curr_items: 1, total_items: 2 });
    });

    it("keeps keys apart", () => {
      for (let i = 0; i < 100; i++) e.set(`key${i}`, `value${i}`);
      for (let i = 0; i < 100; i++) expect(getText(e, `key${i}`)).to.equal(`value${i}`);
      expect(getText(e, "key100")).to.equal(undefined);
    });

    it("stores a zero-length value", () => {
      expect(e.set("empty", "")).to.equal("STORED");
      const it = e.get("empty");
      expect(it).to.not.equal(undefined);
      expect(it!.value.length).to.equal(0);
    });

    it("keeps its own copy of the value: the caller's array may be reused", () => {
      const buf = bytes("first");
      e.set("k", buf);
      buf.set(bytes("XXXXX"));
      expect(getText(e, "k")).to.equal("first");
    });

    it("is binary safe in values: every byte value, CR LF and NUL included", () => {
      const v = new Uint8Array(1024);
      for (let i = 0; i < v.length; i++) v[i] = (i * 7 + 3) & 0xff;
      v.set(bytes("\r\nEND\r\n\0"), 100);
      expect(e.set("bin", v)).to.equal("STORED");
      expectBytesEqual(e.get("bin")?.value, v);
    });

    it("is binary safe in keys", () => {
      const a = new Uint8Array([0x00, 0xff, 0x0d, 0x0a, 0x80]);
      const b = new Uint8Array([0x00, 0xff, 0x0d, 0x0a, 0x81]);
      e.set(a, "A");
      e.set(b, "B");
      expect(text(e.get(a)!.value)).to.equal("A");
      expect(text(e.get(b)!.value)).to.equal("B");
      expect(e.get(new Uint8Array([0x00, 0xff, 0x0d, 0x0a]))).to.equal(undefined);
      // A string key is its UTF-8 bytes.
      e.set("clé", "utf8");
      expect(getText(e, bytes("clé"))).to.equal("utf8");
    });

    it("accepts 250-byte keys and refuses 251 bytes and empty keys with RangeError", () => {
      const k250 = "k".repeat(250);
      expect(e.set(k250, "max")).to.equal("STORED");
      expect(getText(e, k250)).to.equal("max");
      expect(getText(e, "k".repeat(249))).to.equal(undefined);
      expect(() => e.set("k".repeat(251), "x")).to.throw(RangeError);
      expect(() => e.get("k".repeat(251))).to.throw(RangeError);
      expect(() => e.set(new Uint8Array(251), "x")).to.throw(RangeError);
      expect(() => e.set("", "x")).to.throw(RangeError);
      // Multi-byte characters count in bytes: 125 × 2 bytes fit, 126 do not.
      expect(e.set("é".repeat(125), "two-byte")).to.equal("STORED");
      expect(getText(e, "é".repeat(125))).to.equal("two-byte");
      expect(() => e.set("é".repeat(126), "x")).to.throw(RangeError);
      expect(stats(e, "curr_items").curr_items).to.equal(2);
    });

    it("keeps client flags 0 .. 2^32-1", () => {
      for (const flags of [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) {
        e.set(`f${flags}`, "v", { flags });
        expect(e.get(`f${flags}`)!.flags, `flags ${flags}`).to.equal(flags);
      }
      // Re-setting without flags drops them (flags 0 take no storage).
      e.set("f4294967295", "v");
      expect(e.get("f4294967295")!.flags).to.equal(0);
    });

    it("counts a non-zero flags word in the item's bytes", () => {
      e.set("a", "xyz");
      const without = stats(e, "bytes").bytes;
      e.set("a", "xyz", { flags: 1 });
      expect(stats(e, "bytes").bytes).to.equal(without + 4);
    });
  });

  describe("add", () => {
    it("stores only when the key is absent", () => {
      expect(e.add("k", "first", { flags: 3 })).to.equal("STORED");
      const cas = e.lastCas();
      expect(e.add("k", "second", { flags: 4 })).to.equal("NOT_STORED");
      const it = expectItem(e.get("k"), "first", 3);
      expect(it.cas).to.equal(cas);
      expect(stats(e, "curr_items", "total_items", "cmd_set")).to.deep.equal({ curr_items: 1, total_items: 1, cmd_set: 2 });
    });

    it("stores again after a delete", () => {
      e.add("k", "1");
      e.delete("k");
      expect(e.add("k", "2")).to.equal("STORED");
      expect(getText(e, "k")).to.equal("2");
    });
  });

  describe("replace", () => {
    it("does not create a missing key", () => {
      expect(e.replace("k", "v")).to.equal("NOT_STORED");
      expect(e.get("k")).to.equal(undefined);
      expect(stats(e, "curr_items").curr_items).to.equal(0);
    });

    it("replaces value, flags and CAS of an existing key", () => {
      e.set("k", "v", { flags: 1 });
      const before = e.lastCas();
      expect(e.replace("k", "w", { flags: 2 })).to.equal("STORED");
      const it = expectItem(e.get("k"), "w", 2);
      expect(it.cas > before).to.equal(true);
    });
  });

  describe("append / prepend", () => {
    it("refuse a missing key", () => {
      expect(e.append("k", "x")).to.equal("NOT_STORED");
      expect(e.prepend("k", "x")).to.equal("NOT_STORED");
      expect(e.get("k")).to.equal(undefined);
      expect(stats(e, "curr_items").curr_items).to.equal(0);
    });

    it("join values and assign a new CAS", () => {
      e.set("k", "middle", { flags: 9 });
      const c0 = e.lastCas();
      expect(e.append("k", ">>")).to.equal("STORED");
      const c1 = e.lastCas();
      expect(e.prepend("k", "<<")).to.equal("STORED");
      const c2 = e.lastCas();
      expect(c1).to.equal(c0 + 1n);
      expect(c2).to.equal(c1 + 1n);
      const it = expectItem(e.get("k"), "<<middle>>", 9);
      expect(it.cas).to.equal(c2);
      expect(stats(e, "curr_items").curr_items).to.equal(1);
    });

    it("keep the old flags and exptime", () => {
      const { clock } = t;
      e.set("k", "a", { flags: 77, exptime: 100 });
      clock.advance(50);
      // The command's own flags and exptime are ignored.
      expect(e.append("k", "b", { flags: 1, exptime: 1000 })).to.equal("STORED");
      expect(e.prepend("k", "c", { flags: 2, exptime: -1 })).to.equal("STORED");
      expectItem(e.get("k"), "cab", 77);
      clock.advance(49);
      expectItem(e.get("k"), "cab", 77);
      clock.advance(1);
      expect(e.get("k")).to.equal(undefined);
    });

    it("handle zero-length values on either side", () => {
      e.set("k", "");
      expect(e.append("k", "")).to.equal("STORED");
      expect(e.get("k")!.value.length).to.equal(0);
      expect(e.append("k", "x")).to.equal("STORED");
      expect(e.prepend("k", "")).to.equal("STORED");
      expect(getText(e, "k")).to.equal("x");
    });

    it("are binary safe", () => {
      const a = new Uint8Array([0, 13, 10, 255]);
      const b = new Uint8Array([1, 0, 2]);
      e.set("k", a);
      e.append("k", b);
      e.prepend("k", b);
      expectBytesEqual(e.get("k")?.value, new Uint8Array([1, 0, 2, 0, 13, 10, 255, 1, 0, 2]));
    });

    it("grow a value across many slab classes", () => {
      e.set("k", "");
      let expected = "";
      for (let i = 0; i < 200; i++) {
        const piece = `${i}:` + "x".repeat(i);
        expect(e.append("k", piece)).to.equal("STORED");
        expected += piece;
      }
      expect(getText(e, "k")).to.equal(expected);
      expect(stats(e, "curr_items").curr_items).to.equal(1);
    });
  });

  describe("with CAS disabled (-C)", () => {
    it("reports CAS 0 and still stores", async () => {
      const { engine } = await createEngine(kind, { cas: false });
      expect(engine.set("k", "v")).to.equal("STORED");
      expect(engine.lastCas()).to.equal(0n);
      expect(engine.get("k")!.cas).to.equal(0n);
      expect(engine.append("k", "w")).to.equal("STORED");
      expect(engine.get("k")!.cas).to.equal(0n);
      expect(getText(engine, "k")).to.equal("vw");
      engine.checkInvariants();
    });
  });
});
