// Hash table expansion (reference §7.3): the table doubles once items pass 1.5 × buckets and
// migrates incrementally, on inserts and in maintenance steps; every item stays reachable.
// WASM internals only: the JS twin's Map has no hash table of its own to expand.
import { expect } from "chai";
import { Engine } from "../../host/wasm_engine.js";
import { createWasmEngine, stats, getText } from "../helpers/engine.js";
import { Rng } from "../helpers/rng.js";

const key = (i: number) => `h:${i}`;
const value = (i: number) => `v${i}`;

function hashState(e: Engine): { hp: number; expanding: number; items: number } {
  const s = stats(e, "hash_power_level", "hash_is_expanding", "curr_items");
  return { hp: s.hash_power_level, expanding: s.hash_is_expanding, items: s.curr_items };
}

function expectAllReadable(e: Engine, from: number, to: number, skip?: (i: number) => boolean): void {
  for (let i = from; i < to; i++) {
    if (skip?.(i)) continue;
    const v = getText(e, key(i));
    if (v !== value(i)) expect.fail(`${key(i)}: got ${v}`);
  }
}

describe("engine [wasm only]: hash table expansion", function () {
  this.timeout(90_000);

  it("grows to 2^20 buckets over 1M items, every item readable throughout", async () => {
    const { engine: e } = await createWasmEngine({ memoryLimitMb: 160 });
    const rng = new Rng(20);
    expect(hashState(e)).to.deep.equal({ hp: 16, expanding: 0, items: 0 });
    expect(stats(e, "hash_bytes").hash_bytes).to.equal(4 * 65536);

    // Phase 1: insert until the first expansion starts (items > 1.5 × 65536): the
    // maintenance step starts it, as memcached's assoc maintenance thread does.
    let n = 0;
    while (hashState(e).expanding === 0) {
      for (let j = 0; j < 1000; j++, n++) e.set(key(n), value(n));
      e.maintain();
      expect(n).to.be.at.most(100_000);
    }
    let st = hashState(e);
    expect(st.hp).to.equal(17);
    expect(n).to.be.greaterThan(65536 * 1.5);
    expect(stats(e, "hash_bytes").hash_bytes).to.equal(4 * 131072);

    // Phase 2: mid-expansion, reads, deletes and the checker see both tables.
    expectAllReadable(e, 0, n);
    e.checkInvariants();
    const deleted = (i: number) => i % 7 === 3;
    for (let i = 0; i < n; i++) if (deleted(i)) expect(e.delete(key(i))).to.equal(true);
    expectAllReadable(e, 0, n, deleted);
    for (let i = 0; i < n; i++) if (deleted(i)) expect(e.get(key(i))).to.equal(undefined);
    e.checkInvariants();
    // Maintenance finishes the migration in bounded steps (4096 old buckets each).
    let steps = 0;
    while (hashState(e).expanding) {
      e.maintain();
      steps++;
      expect(steps).to.be.at.most(65536 / 4096);
      for (let j = 0; j < 50; j++) {
        const i = rng.int(n);
        expect(getText(e, key(i))).to.equal(deleted(i) ? undefined : value(i));
      }
      if (steps % 4 === 0) e.checkInvariants();
    }
    st = hashState(e);
    expect(st.expanding).to.equal(0);
    expect(st.hp).to.equal(17);
    expectAllReadable(e, 0, n, deleted);
    e.checkInvariants();
    for (let i = 0; i < n; i++) if (deleted(i)) e.set(key(i), value(i));

    // Phase 3: inserts, with a maintenance step between batches as the host's timer runs it,
    // drive the next expansions.
    const N = 1_000_000;
    const seen: Array<[number, number]> = [[st.hp, st.expanding]];
    const fullChecks = new Set<number>();
    while (n < N) {
      for (let j = 0; j < 1000 && n < N; j++, n++) e.set(key(n), value(n));
      e.maintain();
      st = hashState(e);
      expect(st.items).to.equal(n);
      const last = seen[seen.length - 1];
      if (last[0] !== st.hp || last[1] !== st.expanding) seen.push([st.hp, st.expanding]);
      for (let j = 0; j < 20; j++) {
        const i = rng.int(n);
        expect(getText(e, key(i))).to.equal(value(i));
      }
      // Once per expansion, while it is under way: everything readable, structure sound.
      if (st.expanding && !fullChecks.has(st.hp)) {
        fullChecks.add(st.hp);
        expectAllReadable(e, 0, n);
        e.checkInvariants();
      }
    }
    expect(seen).to.deep.equal([[17, 0], [18, 1], [18, 0], [19, 1], [19, 0], [20, 1], [20, 0]]);
    expect([...fullChecks]).to.deep.equal([18, 19, 20]);

    // The last expansion finishes in maintenance.
    steps = 0;
    while (hashState(e).expanding) {
      e.maintain();
      expect(++steps).to.be.at.most(2 ** 19 / 4096);
    }
    st = hashState(e);
    expect(st).to.deep.equal({ hp: 20, expanding: 0, items: N });
    expect(stats(e, "hash_bytes").hash_bytes).to.equal(4 * 2 ** 20);
    expectAllReadable(e, 0, N);
    e.checkInvariants();
    expect(stats(e, "evictions").evictions).to.equal(0);
  });

  it("starts from -o hashpower and can be turned off", async () => {
    const { engine: e } = await createWasmEngine({ hashpower: 12 });
    for (let i = 0; i < 20_000; i++) e.set(key(i), value(i));
    while (e.maintain());
    expect(hashState(e).hp).to.equal(14); // 20000 > 1.5 × 2^13, < 1.5 × 2^14
    expectAllReadable(e, 0, 20_000);
    e.checkInvariants();

    const { engine: fixed } = await createWasmEngine({ hashpower: 12, hashExpand: false });
    for (let i = 0; i < 20_000; i++) fixed.set(key(i), value(i));
    while (fixed.maintain());
    expect(hashState(fixed)).to.deep.equal({ hp: 12, expanding: 0, items: 20_000 });
    expectAllReadable(fixed, 0, 20_000);
    fixed.checkInvariants();
  });
});
