// The core's rooms keep their imports one way (test/architecture/rooms.ts has the table).
import { expect } from "chai";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { coreImports, forbidden, roomCycles, ROOMS, roomOf } from "./rooms.js";

const CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../assembly");

describe("the core's rooms", () => {
  const edges = coreImports(CORE);

  it("every file of the core lives in a room of the table (index.ts, the ABI, aside)", () => {
    const rooms = new Set(edges.flatMap((e) => [roomOf(e.from), roomOf(e.to)]));
    rooms.delete("index");
    expect([...rooms].filter((r) => !(r in ROOMS))).to.deep.equal([]);
  });

  it("imports run only the way the table allows: protocols reach the cache through operations", () => {
    expect(forbidden(edges).map((e) => `${e.from} -> ${e.to}`)).to.deep.equal([]);
  });

  it("no cycle between rooms", () => {
    expect(roomCycles(edges).map((c) => c.join(" -> "))).to.deep.equal([]);
  });

  it("the checker sees a forbidden import when there is one", () => {
    const bad = [{ from: "cache/lru", to: "protocols/text" }, { from: "protocols/text", to: "cache/lru" }];
    expect(forbidden(bad)).to.have.length(2);
    expect(roomCycles(bad)).to.have.length(1);
  });
});
