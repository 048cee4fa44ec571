// A plain JS model of the engine's observable behaviour, for randomized tests. It follows the
// rules of reference §1.2-1.8: item size limit, exptime conversion and lazy expiry, immediate
// flush_all, one global CAS counter, incr/decr's parsing and in-place rewrite, and the
// counters each command moves.
//
// With `mayEvict` the engine may drop any item at any time: whenever the engine shows a key
// the model holds as absent, the model accepts that once (the item was evicted) and applies
// the command to an absent key. What can never happen is the reverse: a key the model says is
// absent showing up, or any value, flags or CAS different from the model's.
//
// The model drives either the engine API itself (CAS values then equal the model's numbers) or
// a client speaking the protocol to it (test/helpers/protocol-target.ts), whose CAS values are
// compared through a CasBijection: not every command there reports the CAS it assigned.
import { expect } from "chai";
import type { Item, StoreResult } from "../../host/wasm_engine.js";
import type { CacheEngine } from "../../host/engine_api.js";
import { FakeClock, PROCESS_STARTED, REALTIME_MAXDELTA, MB, mcItemSize, coreItemTotal } from "./engine.js";
import { CasBijection } from "./cas-bijection.js";

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN_AS_U64 = 1n << 63n;
const SLAB_CHUNK_MAX = 512 * 1024;
const START_OFFSET = 62;

export interface ModelItem {
  value: Uint8Array;
  flags: number;
  exptime: number; // internal relative time, 0 = never
  cas: bigint;
}

export const COUNTERS = [
  "cmd_get", "get_hits", "get_misses", "cmd_touch", "touch_hits", "touch_misses",
  "delete_hits", "delete_misses", "incr_hits", "incr_misses", "decr_hits", "decr_misses",
  "cas_hits", "cas_badval", "cas_misses", "cmd_set", "cmd_flush", "store_too_large",
] as const;
export type Counter = typeof COUNTERS[number];

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

// memcached's safe_strtoull over a value (its "\r\n" ends the number; here the end does).
export function strtoull(v: Uint8Array): bigint | undefined {
  let i = 0;
  const n = v.length;
  while (i < n && isSpace(v[i])) i++;
  let negative = false;
  if (i < n && (v[i] === 0x2b || v[i] === 0x2d)) {
    negative = v[i] === 0x2d;
    i++;
  }
  const start = i;
  let x = 0n;
  while (i < n && v[i] >= 0x30 && v[i] <= 0x39) {
    if (x <= U64_MAX) x = x * 10n + BigInt(v[i] - 0x30);
    i++;
  }
  if (i === start || x > U64_MAX) return undefined;
  if (i < n && v[i] !== 0 && !isSpace(v[i])) return undefined;
  if (negative) {
    x = (-x) & U64_MAX;
    if (x >= I64_MIN_AS_U64) return undefined;
  }
  return x;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length),
    Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function show(v: Uint8Array): string {
  const s = Buffer.from(v.subarray(0, 40)).toString("latin1");
  return JSON.stringify(s) + (v.length > 40 ? `…(${v.length} bytes)` : "");
}

/** What the model drives: the operations it checks, through the API or a protocol. */
export interface ModelTarget extends Pick<CacheEngine,
  "get" | "gat" | "set" | "add" | "replace" | "append" | "prepend" | "cas" | "delete" | "touch" | "incr" | "decr" |
  "flushAll" | "stats"> {
  /** The CAS of the last successful store, or undefined when the target was not told it. */
  lastCas(): bigint | undefined;
}

export class Model {
  readonly items = new Map<string, ModelItem>();
  readonly counters = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
  cas = 0n;
  evictionsSeen = 0;
  allocFailures = 0;
  private cur = START_OFFSET;
  private readonly enc = new TextEncoder();

  constructor(
    private readonly e: ModelTarget,
    private readonly clock: FakeClock,
    private readonly mayEvict: boolean,
    private readonly itemSizeMax = MB,
    /** Set when the target's CAS values are not the model's own numbers. */
    readonly casMap?: CasBijection,
  ) {}

  /** The host clock moved: current_time follows it, never backwards. */
  tick(): void {
    this.cur = Math.max(this.cur, this.clock.now - PROCESS_STARTED);
  }

  currentTime(): number { return this.cur; }

  realtime(exptime: number): number {
    if (exptime === 0) return 0;
    if (exptime < 0) return 1;
    if (exptime > REALTIME_MAXDELTA) return exptime <= PROCESS_STARTED ? 1 : exptime - PROCESS_STARTED;
    return exptime + this.cur;
  }

  private nkey(key: string): number { return this.enc.encode(key).length; }

  private sizeOk(key: string, flags: number, nbytes: number): boolean {
    return mcItemSize(this.nkey(key), nbytes, flags) <= this.itemSizeMax;
  }

  /** The live item, dropping an expired one. */
  live(key: string): ModelItem | undefined {
    const it = this.items.get(key);
    if (!it) return undefined;
    if (it.exptime !== 0 && it.exptime <= this.cur) {
      this.items.delete(key);
      return undefined;
    }
    return it;
  }

  // Reconciles the model's view of a key with what the engine showed.
  private presence(key: string, enginePresent: boolean, ctx: string): ModelItem | undefined {
    const it = this.live(key);
    if (it && !enginePresent) {
      if (!this.mayEvict) expect.fail(`${ctx}: engine lost ${key}`);
      this.items.delete(key);
      this.evictionsSeen++;
      return undefined;
    }
    if (!it && enginePresent) expect.fail(`${ctx}: engine has ${key}, which the model says is gone`);
    return it;
  }

  private link(key: string, value: Uint8Array, flags: number, exptime: number): void {
    this.cas++;
    this.items.set(key, { value, flags, exptime, cas: this.cas });
  }

  private expectItem(got: Item, want: ModelItem, ctx: string): void {
    if (!sameBytes(got.value, want.value)) expect.fail(`${ctx}: value ${show(got.value)} != model ${show(want.value)}`);
    expect(got.flags, `${ctx}: flags`).to.equal(want.flags);
    this.expectCas(got.cas, want.cas, ctx);
  }

  // A CAS the target showed against the model's (undefined: the target did not show one).
  private expectCas(got: bigint | undefined, want: bigint, ctx: string): void {
    if (got === undefined) return;
    if (!this.casMap) {
      expect(got, `${ctx}: cas`).to.equal(want);
      return;
    }
    if (!this.casMap.match(got, want)) expect.fail(`${ctx}: cas: ${this.casMap.describe(got, want)}`);
  }

  // NO_MEMORY: never expected without eviction (the test sizes memory for its key space).
  // With eviction it can still happen, as in memcached: allocation only evicts from COLD and
  // pushes HOT down, so a class whose items all sit in WARM (or are pinned) has nothing to
  // give until the maintainer trims WARM. The result says nothing about the key then.
  private noMemory(r: StoreResult | bigint | string, ctx: string): boolean {
    if (r !== "NO_MEMORY") return false;
    if (!this.mayEvict) expect.fail(`${ctx}: NO_MEMORY`);
    this.allocFailures++;
    return true;
  }

  set(key: string, value: Uint8Array, flags: number, exptime: number): void {
    const ctx = `set ${key}`;
    const r = this.e.set(key, value, { flags, exptime });
    if (!this.sizeOk(key, flags, value.length)) {
      expect(r, ctx).to.equal("TOO_LARGE");
      this.counters.store_too_large++;
      this.items.delete(key); // a failed set drops the old value
      return;
    }
    if (this.noMemory(r, ctx)) {
      this.items.delete(key);
      return;
    }
    expect(r, ctx).to.equal("STORED");
    this.counters.cmd_set++;
    this.link(key, value, flags, this.realtime(exptime));
    this.expectCas(this.e.lastCas(), this.cas, ctx);
  }

  // The size and memory refusals add, replace, append/prepend and cas share: true when the
  // command ended there (and the model has counted it).
  private refused(r: string, key: string, flags: number, len: number, ctx: string): boolean {
    if (!this.sizeOk(key, flags, len)) {
      expect(r, ctx).to.equal("TOO_LARGE");
      this.counters.store_too_large++;
      return true;
    }
    return this.noMemory(r, ctx);
  }

  add(key: string, value: Uint8Array, flags: number, exptime: number): void {
    const ctx = `add ${key}`;
    const r = this.e.add(key, value, { flags, exptime });
    if (this.refused(r, key, flags, value.length, ctx)) return;
    this.counters.cmd_set++;
    const it = this.presence(key, r === "NOT_STORED", ctx);
    expect(r, ctx).to.equal(it ? "NOT_STORED" : "STORED");
    if (!it) this.link(key, value, flags, this.realtime(exptime));
  }

  replace(key: string, value: Uint8Array, flags: number, exptime: number): void {
    const ctx = `replace ${key}`;
    const r = this.e.replace(key, value, { flags, exptime });
    if (this.refused(r, key, flags, value.length, ctx)) return;
    this.counters.cmd_set++;
    const it = this.presence(key, r === "STORED", ctx);
    expect(r, ctx).to.equal(it ? "STORED" : "NOT_STORED");
    if (it) this.link(key, value, flags, this.realtime(exptime));
  }

  join(key: string, data: Uint8Array, append: boolean, flags: number): void {
    const ctx = `${append ? "append" : "prepend"} ${key}`;
    const r = append ? this.e.append(key, data, { flags }) : this.e.prepend(key, data, { flags });
    if (this.refused(r, key, flags, data.length, ctx)) return;
    this.counters.cmd_set++;
    const held = this.live(key);
    const fits = held !== undefined && this.sizeOk(key, held.flags, held.value.length + data.length);
    if (held && fits && r === "NOT_STORED" && this.mayEvict) {
      // Evicted, or the joined item could not be allocated: memcached answers NOT_STORED to
      // both. A get tells them apart (and checks the value is untouched).
      this.get(key);
      if (this.items.has(key)) this.allocFailures++;
      return;
    }
    // NOT_STORED for a held item that would not fit says nothing about presence.
    const it = held && !fits ? held : this.presence(key, r === "STORED", ctx);
    if (!it || !fits) {
      expect(r, ctx).to.equal("NOT_STORED");
      return;
    }
    expect(r, ctx).to.equal("STORED");
    const joined = new Uint8Array(it.value.length + data.length);
    joined.set(append ? it.value : data, 0);
    joined.set(append ? data : it.value, append ? it.value.length : data.length);
    this.link(key, joined, it.flags, it.exptime);
  }

  casOp(key: string, value: Uint8Array, unique: bigint, flags: number, exptime: number): void {
    const ctx = `cas ${key} ${unique}`;
    const r = this.e.cas(key, value, this.casMap ? this.casMap.server(unique) : unique, { flags, exptime });
    if (this.refused(r, key, flags, value.length, ctx)) return;
    this.counters.cmd_set++;
    const it = this.presence(key, r !== "NOT_FOUND", ctx);
    if (!it) {
      expect(r, ctx).to.equal("NOT_FOUND");
      this.counters.cas_misses++;
      return;
    }
    if (unique !== 0n && unique === it.cas) {
      expect(r, ctx).to.equal("STORED");
      this.counters.cas_hits++;
      this.link(key, value, flags, this.realtime(exptime));
      return;
    }
    expect(r, ctx).to.equal("EXISTS");
    this.counters.cas_badval++;
  }

  get(key: string): void {
    const ctx = `get ${key}`;
    const got = this.e.get(key);
    this.counters.cmd_get++;
    const it = this.presence(key, got !== undefined, ctx);
    if (!it) {
      this.counters.get_misses++;
      return;
    }
    this.counters.get_hits++;
    this.expectItem(got!, it, ctx);
  }

  gat(key: string, exptime: number): void {
    const ctx = `gat ${key} ${exptime}`;
    const got = this.e.gat(key, exptime);
    this.counters.cmd_touch++;
    const it = this.presence(key, got !== undefined, ctx);
    if (!it) {
      this.counters.touch_misses++;
      return;
    }
    this.counters.touch_hits++;
    this.expectItem(got!, it, ctx);
    it.exptime = this.realtime(exptime);
  }

  touch(key: string, exptime: number): void {
    const ctx = `touch ${key} ${exptime}`;
    const r = this.e.touch(key, exptime);
    this.counters.cmd_touch++;
    const it = this.presence(key, r, ctx);
    if (!it) {
      this.counters.touch_misses++;
      return;
    }
    this.counters.touch_hits++;
    it.exptime = this.realtime(exptime);
  }

  delete(key: string): void {
    const r = this.e.delete(key);
    const it = this.presence(key, r, `delete ${key}`);
    if (it) {
      this.items.delete(key);
      this.counters.delete_hits++;
    } else {
      this.counters.delete_misses++;
    }
  }

  arith(key: string, delta: bigint, incr: boolean): void {
    const ctx = `${incr ? "incr" : "decr"} ${key} ${delta}`;
    const r = incr ? this.e.incr(key, delta) : this.e.decr(key, delta);
    const it = this.presence(key, r !== "NOT_FOUND", ctx);
    if (!it) {
      expect(r, ctx).to.equal("NOT_FOUND");
      this.counters[incr ? "incr_misses" : "decr_misses"]++;
      return;
    }
    const chunked = coreItemTotal(this.nkey(key), it.value.length, it.flags) > SLAB_CHUNK_MAX;
    const n = it.value.length === 0 || chunked ? undefined : strtoull(it.value);
    if (n === undefined) {
      expect(r, ctx).to.equal("NON_NUMERIC");
      return;
    }
    this.counters[incr ? "incr_hits" : "decr_hits"]++;
    const next = incr ? (n + delta) & U64_MAX : (delta > n ? 0n : n - delta);
    const digits = this.enc.encode(next.toString());
    // Only a number that outgrows the old value needs memory.
    if (digits.length > it.value.length && this.noMemory(r, ctx)) return;
    expect(r, ctx).to.equal(next);
    let value = digits;
    if (digits.length <= it.value.length) {
      // In place, right-padded with spaces to the old length.
      value = new Uint8Array(it.value.length).fill(0x20);
      value.set(digits);
    }
    this.link(key, value, it.flags, it.exptime);
  }

  flushAll(): void {
    this.e.flushAll();
    this.counters.cmd_flush++;
    this.items.clear();
    this.cas++; // an immediate flush takes a CAS id as its boundary
  }

  /** Engine counters equal the model's. */
  checkCounters(): void {
    const s = this.e.stats();
    const got = Object.fromEntries(COUNTERS.map((c) => [c, Number(s.get(c))]));
    expect(got).to.deep.equal(this.counters);
  }
}
