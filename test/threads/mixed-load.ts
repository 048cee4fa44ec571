// One client's share of a concurrent hammering, over any CacheClient (text, meta, binary or the
// engine's API): every storage, retrieval, arithmetic, touch and delete command, drawn from a
// seeded generator, on three kinds of keys:
//
//   k<i>          shared by every client: values check themselves (test/helpers/checked-values.ts),
//                 so whatever a read returns must be whole segments written to that key
//   n<i>          shared counters: incr, decr, set and add of numbers; a read is a number
//   o<id>-<i>     this client's own (test/helpers/owned-keys.ts): a read returns the latest write
//                 or, where the cache evicts, a miss; never an older value, nothing after a
//                 delete. Even i hold checked values, odd i counters.
//
// Replies are held to what a command may answer while other clients race on the same key.
import type { CacheClient, StoreMode, StoreReply, ArithReply, Hit } from "../helpers/cache-clients.js";
import { checkedValue, valueProblem, counterProblem } from "../helpers/checked-values.js";
import { OwnedKeys } from "../helpers/owned-keys.js";
import { Rng } from "../helpers/rng.js";
import { fuzzDeadline } from "../helpers/fuzz-config.js";

export interface LoadShape {
  sharedKeys: number;
  counters: number;
  ownedKeys: number;
  /** Sizes of shared values, drawn with small ones most often. */
  sizes: readonly number[];
  /** Largest owned value (they stay small: the model is about staleness, not eviction). */
  ownedSize: number;
  /** Memory is small: items are evicted, a store may find no room. Else neither may happen. */
  mayEvict: boolean;
}

/** Small memory: values across many slab classes, one chunked (above the 512 KiB slab chunk
 * maximum), so items are evicted and pages move. */
export const UNDER_PRESSURE: LoadShape = {
  sharedKeys: 3000, counters: 8, ownedKeys: 40, ownedSize: 300, mayEvict: true, sizes: [10, 90, 700, 3000, 20_000, 600_000],
};

/** A load that fits its memory: nothing may be evicted or refused. */
export const WITH_ROOM: LoadShape = {
  sharedKeys: 300, counters: 4, ownedKeys: 30, ownedSize: 300, mayEvict: false, sizes: [10, 90, 700, 3000],
};

/** What a run saw, so a test can tell that it exercised something. */
export interface LoadTally {
  ops: number;
  sharedHits: number;
  counterHits: number;
  ownedHits: number;
  /** Owned keys found missing without a delete: evictions. */
  ownedMisses: number;
}

// exptime above 30 days is a unix time; this one is long past, so the item expires at once
// (binary exptimes are unsigned: no -1 there).
export const EXPIRED = 30 * 24 * 3600 + 1;
const TOUCH_TTL = 1000;
const APPEND_SIZE = 40;
const MAX_DELTA = 1000;
const MANY_KEYS = 5;
const QUIET_SETS = 4;
const U64 = (1n << 64n) - 1n;

type Op = [weight: number, run: () => Promise<void>];

export class MixedLoad {
  readonly tally: LoadTally = { ops: 0, sharedHits: 0, counterHits: 0, ownedHits: 0, ownedMisses: 0 };
  private readonly owned: OwnedKeys;
  private readonly ops: Op[];
  private readonly totalWeight: number;
  private seq = 0;

  constructor(private readonly client: CacheClient, private readonly id: number, private readonly rng: Rng,
    private readonly shape: LoadShape) {
    this.owned = new OwnedKeys(shape.mayEvict);
    this.ops = [
      [14, () => this.readShared()], [4, () => this.readMany()], [3, () => this.gatShared()],
      [10, () => this.storeShared("set")], [4, () => this.storeShared("add")], [3, () => this.storeShared("replace")],
      [3, () => this.storeShared("append")], [2, () => this.storeShared("prepend")], [3, () => this.casShared()],
      [2, () => this.setQuietly()], [4, () => this.deleteShared()], [3, () => this.touchShared()],
      [1, () => this.arithOnValue()], [8, () => this.arithCounter()], [3, () => this.storeCounter()],
      [3, () => this.readCounter()], [1, () => this.deleteCounter()],
      [8, () => this.readOwned()], [2, () => this.gatOwned()], [6, () => this.storeOwned("set")],
      [2, () => this.storeOwned("add")], [2, () => this.storeOwned("replace")], [2, () => this.storeOwned("append")],
      [1, () => this.storeOwned("prepend")], [2, () => this.casOwned()], [2, () => this.deleteOwned()],
      [2, () => this.touchOwned()], [1, () => this.expireOwned()], [3, () => this.arithOwned()],
    ];
    this.totalWeight = this.ops.reduce((sum, [w]) => sum + w, 0);
  }

  /** One command (two for a cas), drawn from the generator. */
  async step(): Promise<void> {
    let pick = this.rng.int(this.totalWeight);
    this.tally.ops++;
    this.seq++;
    for (const [weight, run] of this.ops) {
      if (pick < weight) return run();
      pick -= weight;
    }
  }

  private fail(what: string): never {
    throw new Error(`${this.client.protocol} client ${this.id}, op ${this.tally.ops}: ${what}`);
  }

  private expect<T>(reply: T, allowed: readonly T[], what: string): T {
    if (!allowed.includes(reply)) this.fail(`${what} answered ${String(reply)}`);
    return reply;
  }

  // A store that may find no room only where memory is small.
  private roomy(replies: StoreReply[]): StoreReply[] {
    return this.shape.mayEvict ? [...replies, "NO_MEMORY"] : replies;
  }

  // ── shared values ──────────────────────────────────────────────────────────────────

  private sharedKey(): string { return `k${this.rng.int(this.shape.sharedKeys)}`; }

  // Small sizes most often: the product of two uniforms leans toward 0.
  private sharedSize(): number { return this.shape.sizes[Math.floor(this.rng.float() * this.rng.float() * this.shape.sizes.length)]; }

  private checkShared(key: string, hit: Hit | undefined): void {
    if (!hit) return;
    this.tally.sharedHits++;
    const problem = valueProblem(key, hit.value);
    if (problem) this.fail(problem);
  }

  private async readShared(): Promise<void> {
    const key = this.sharedKey();
    this.checkShared(key, await this.client.get(key, this.rng.chance(0.5)));
  }

  private async gatShared(): Promise<void> {
    const key = this.sharedKey();
    this.checkShared(key, await this.client.gat(key, this.rng.chance(0.5) ? 0 : TOUCH_TTL));
  }

  // Shared values, counters and owned keys in one request.
  private async readMany(): Promise<void> {
    const keys = new Set<string>();
    const n = this.rng.range(2, MANY_KEYS);
    for (let i = 0; i < n; i++) keys.add(this.rng.pick([this.sharedKey(), this.counterKey(), this.ownedKey(this.rng.int(this.shape.ownedKeys))]));
    const got = await this.client.getMany([...keys]);
    for (const key of got.keys()) if (!keys.has(key)) this.fail(`a multi-get returned ${key}, not asked for`);
    for (const key of keys) this.checkAny(key, got.get(key));
  }

  private checkAny(key: string, hit: Hit | undefined): void {
    if (key.startsWith("k")) this.checkShared(key, hit);
    else if (key.startsWith("n")) this.checkCounter(key, hit);
    else this.checkOwned(key, hit);
  }

  private async storeShared(mode: StoreMode): Promise<void> {
    const key = this.sharedKey();
    const joins = mode === "append" || mode === "prepend";
    const value = checkedValue(key, this.id, this.seq, joins ? APPEND_SIZE : this.sharedSize());
    const reply = await this.client.store(mode, key, value, this.rng.chance(0.1) ? TOUCH_TTL : 0);
    this.expect(reply, this.roomy(mode === "set" ? ["STORED"] : ["STORED", "NOT_STORED"]), `${mode} ${key}`);
  }

  private async casShared(): Promise<void> {
    const key = this.sharedKey();
    const hit = await this.client.get(key, true);
    this.checkShared(key, hit);
    if (!hit) return;
    const reply = await this.client.cas(key, checkedValue(key, this.id, this.seq, this.sharedSize()), hit.cas);
    this.expect(reply, this.roomy(["STORED", "EXISTS", "NOT_FOUND"]), `cas ${key}`);
  }

  private async setQuietly(): Promise<void> {
    const entries: [string, string][] = [];
    const n = this.rng.range(1, QUIET_SETS);
    for (let i = 0; i < n; i++) {
      const key = this.sharedKey();
      entries.push([key, checkedValue(key, this.id, this.seq, this.sharedSize())]);
    }
    for (const r of await this.client.setQuietly(entries)) this.expect(r, this.roomy([]), "a quiet set");
  }

  private async deleteShared(): Promise<void> { await this.client.delete(this.sharedKey()); }
  private async touchShared(): Promise<void> { await this.client.touch(this.sharedKey(), TOUCH_TTL); }

  private async arithOnValue(): Promise<void> {
    const key = this.sharedKey();
    const r = await this.client.arith(key, this.rng.chance(0.5), 1n);
    this.expect(r, ["NOT_FOUND", "NON_NUMERIC"], `incr/decr of ${key}, which holds no number`);
  }

  // ── shared counters ────────────────────────────────────────────────────────────────

  private counterKey(): string { return `n${this.rng.int(this.shape.counters)}`; }
  private delta(): bigint { return BigInt(this.rng.range(1, MAX_DELTA)); }

  private checkCounter(key: string, hit: Hit | undefined): void {
    if (!hit) return;
    this.tally.counterHits++;
    const problem = counterProblem(key, hit.value);
    if (problem) this.fail(problem);
  }

  private async arithCounter(): Promise<void> {
    const key = this.counterKey();
    const r = await this.client.arith(key, this.rng.chance(0.6), this.delta());
    if (typeof r !== "bigint") this.expect<ArithReply>(r, this.shape.mayEvict ? ["NOT_FOUND", "NO_MEMORY"] : ["NOT_FOUND"], `incr/decr ${key}`);
  }

  private async storeCounter(): Promise<void> {
    const key = this.counterKey();
    const mode = this.rng.chance(0.7) ? "set" : "add";
    const reply = await this.client.store(mode, key, String(this.rng.u32()));
    this.expect(reply, this.roomy(mode === "set" ? ["STORED"] : ["STORED", "NOT_STORED"]), `${mode} ${key}`);
  }

  private async readCounter(): Promise<void> {
    const key = this.counterKey();
    this.checkCounter(key, await this.client.get(key));
  }

  private async deleteCounter(): Promise<void> { await this.client.delete(this.counterKey()); }

  // ── owned keys ─────────────────────────────────────────────────────────────────────

  private ownedKey(i: number): string { return `o${this.id}-${i}`; }
  private ownedValueKey(): string { return this.ownedKey(2 * this.rng.int(Math.ceil(this.shape.ownedKeys / 2))); }
  private ownedCounterKey(): string { return this.ownedKey(2 * this.rng.int(Math.floor(this.shape.ownedKeys / 2)) + 1); }
  private isCounter(key: string): boolean { return Number(key.slice(key.indexOf("-") + 1)) % 2 === 1; }

  private ownedValue(key: string, size = this.rng.range(APPEND_SIZE, this.shape.ownedSize)): string {
    return checkedValue(key, this.id, this.seq, size);
  }

  private checkOwned(key: string, hit: Hit | undefined): void {
    if (hit) this.tally.ownedHits++;
    else if (this.owned.expected(key) !== undefined) this.tally.ownedMisses++;
    // A decr rewrites a counter in place, padded with spaces.
    const got = hit && this.isCounter(key) ? hit.value.trimEnd() : hit?.value;
    try {
      this.owned.read(key, got);
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  private found(key: string, hit: boolean): void {
    try {
      this.owned.found(key, hit);
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  private async readOwned(): Promise<void> {
    const key = this.ownedKey(this.rng.int(this.shape.ownedKeys));
    this.checkOwned(key, await this.client.get(key, this.rng.chance(0.5)));
  }

  private async gatOwned(): Promise<void> {
    const key = this.ownedKey(this.rng.int(this.shape.ownedKeys));
    this.checkOwned(key, await this.client.gat(key, this.rng.chance(0.5) ? 0 : TOUCH_TTL));
  }

  private async storeOwned(mode: StoreMode): Promise<void> {
    const key = this.ownedValueKey();
    const before = this.owned.expected(key);
    const piece = this.ownedValue(key, mode === "append" || mode === "prepend" ? APPEND_SIZE : undefined);
    const reply = this.expect(await this.client.store(mode, key, piece), this.roomy(["STORED", "NOT_STORED"]), `${mode} ${key}`);
    if (reply === "NO_MEMORY") {
      if (mode === "set") this.owned.gone(key); // a failed set drops the old value
      return;
    }
    switch (mode) {
      case "set":
        if (reply !== "STORED") this.fail(`set ${key} answered ${reply}`);
        break;
      case "add":
        this.found(key, reply === "NOT_STORED");
        break;
      case "replace":
        this.found(key, reply === "STORED");
        break;
      default:
        if (reply === "NOT_STORED") this.refuse(key);
        else this.found(key, true);
    }
    if (reply !== "STORED") return;
    const value = mode === "append" ? before + piece : mode === "prepend" ? piece + before : piece;
    this.owned.stored(key, value);
  }

  private refuse(key: string): void {
    try {
      this.owned.refused(key);
    } catch (err) {
      this.fail((err as Error).message);
    }
  }

  private async casOwned(): Promise<void> {
    const key = this.ownedValueKey();
    const hit = await this.client.get(key, true);
    this.checkOwned(key, hit);
    if (!hit) return;
    const value = this.ownedValue(key);
    const reply = this.expect(await this.client.cas(key, value, hit.cas), this.roomy(["STORED", "NOT_FOUND"]),
      `cas ${key} with the CAS just read (nobody else writes it)`);
    if (reply === "NO_MEMORY") return;
    this.found(key, reply === "STORED");
    if (reply === "STORED") this.owned.stored(key, value);
  }

  private async deleteOwned(): Promise<void> {
    const key = this.ownedKey(this.rng.int(this.shape.ownedKeys));
    this.found(key, await this.client.delete(key));
    this.owned.gone(key);
  }

  private async touchOwned(): Promise<void> {
    const key = this.ownedKey(this.rng.int(this.shape.ownedKeys));
    this.found(key, await this.client.touch(key, TOUCH_TTL));
  }

  // A write that expires at once: by a store or by a touch.
  private async expireOwned(): Promise<void> {
    const key = this.ownedValueKey();
    if (this.rng.chance(0.5)) {
      this.found(key, await this.client.touch(key, EXPIRED));
    } else {
      this.expect(await this.client.store("set", key, this.ownedValue(key), EXPIRED), this.roomy(["STORED"]), `set ${key} expired`);
    }
    this.owned.gone(key);
  }

  private async arithOwned(): Promise<void> {
    const key = this.ownedCounterKey();
    const before = this.owned.expected(key);
    if (before === undefined || this.rng.chance(0.1)) {
      const value = String(this.rng.u32());
      const reply = this.expect(await this.client.store("set", key, value), this.roomy(["STORED"]), `set ${key}`);
      if (reply === "STORED") this.owned.stored(key, value);
      else this.owned.gone(key);
      return;
    }
    const incr = this.rng.chance(0.6);
    const delta = this.delta();
    const r = await this.client.arith(key, incr, delta);
    if (r === "NO_MEMORY" && this.shape.mayEvict) return;
    if (r === "NON_NUMERIC" || r === "NO_MEMORY") this.fail(`incr/decr ${key} answered ${r}`);
    this.found(key, r !== "NOT_FOUND");
    if (r === "NOT_FOUND") return;
    const old = BigInt(before);
    const want = incr ? (old + delta) & U64 : old > delta ? old - delta : 0n;
    if (r !== want) this.fail(`${incr ? "incr" : "decr"} ${key} by ${delta} from ${old} gave ${r}, not ${want}`);
    this.owned.stored(key, String(r));
  }
}

/** A field of every client's tally, summed. */
export function sumTally(tallies: LoadTally[], field: keyof LoadTally): number {
  return tallies.reduce((n, t) => n + t[field], 0);
}

/**
 * Each client's load at once, client i with id firstId + i and generator seed + id: `ops` steps,
 * until `stop()` holds, or until the fuzz deadline.
 */
export function runLoad(clients: CacheClient[], shape: LoadShape, seed: number, firstId: number, ops: number,
  stop = () => false): Promise<LoadTally[]> {
  const deadline = fuzzDeadline();
  return Promise.all(clients.map(async (client, i) => {
    const id = firstId + i;
    const load = new MixedLoad(client, id, new Rng(seed + id), shape);
    for (let n = 0; n < ops && !stop() && Date.now() < deadline; n++) await load.step();
    return load.tally;
  }));
}
