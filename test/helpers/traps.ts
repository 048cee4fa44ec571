// Ways to make the core trap on purpose, for the trap-recovery tests: break an item's link in
// linear memory so that a real request traps, make a `stats detail` lookup loop holding its
// lock and then trap, or make one export throw like a trap would while leaving every structure
// whole. Plus a look at a lock's word, and a stderr catcher for the trap reports.
import type { Engine } from "../../host/wasm_engine.js";

// assembly/cache/item.ts: the item header.
const IT_NEXT = 0;
const IT_CLSID = 26; // the class in the low 6 bits, the LRU above them
const CLSID_MASK = 63;
const IT_NKEY = 27;
const IT_KEY = 36;
/** Far beyond any memory the core reserves (at most 4 GiB, but never within 16 bytes of it). */
const WILD_ADDRESS = 0xfffffff0;

const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message: string) => Error } }).WebAssembly.RuntimeError;

/** The header address of the item holding `key` (no client flags), found by its key bytes. */
export function itemAddress(engine: Engine, key: string): number {
  const mem = Buffer.from(engine.memory().buffer);
  const needle = Buffer.from(key, "latin1");
  const found: number[] = [];
  for (let at = mem.indexOf(needle); at >= 0; at = mem.indexOf(needle, at + 1)) {
    const it = at - IT_KEY;
    // The key's other copies (the input area, a reply) are not preceded by a header.
    if (it >= 0 && mem[it + IT_NKEY] === needle.length && (mem[it + IT_CLSID] & CLSID_MASK) !== 0) found.push(it);
  }
  if (found.length !== 1) throw new Error(`expected one item header for ${key}, found ${found.length}`);
  return found[0];
}

/** Points the item's LRU `next` link outside linear memory: unlinking it then traps. */
export function breakLruLink(engine: Engine, key: string): void {
  new DataView(engine.memory().buffer).setUint32(itemAddress(engine, key) + IT_NEXT, WILD_ADDRESS, true);
}

// ── locks and the `stats detail` table, for traps with threads ──────────────────────────

// assembly/layout/layout.ts: the credentials area (a length word, then the file) is followed by
// the lock area (assembly/locks/locks.ts), whose first lines are the global locks' words.
const AUTHDB_LENGTH_WORD = 4;
const AUTHDB_SIZE = 16384;
const LOCK_LINE = 64;
/** assembly/locks/locks.ts GlobalLock. */
export enum GlobalLock { REBALANCE = 0, CRAWLER = 1, SLABS = 2, PREFIXES = 3 }
const OWNER_MASK = 0xffff;
const WAITERS = 0x10000;

function globalLockIndex(engine: Engine, g: GlobalLock): number {
  const { x } = engine as unknown as { x: { credentialsAddr(): number } };
  const locks = x.credentialsAddr() - AUTHDB_LENGTH_WORD + AUTHDB_SIZE;
  return (locks + g * LOCK_LINE) >>> 2;
}

/** A global lock's word: which thread holds it (its block + 1, 0 = free) and whether anyone sleeps on it. */
export function globalLockState(engine: Engine, g: GlobalLock): { owner: number; waiters: boolean } {
  const word = Atomics.load(new Int32Array(engine.memory().buffer), globalLockIndex(engine, g));
  return { owner: word & OWNER_MASK, waiters: (word & WAITERS) !== 0 };
}

/** Whether a thread's trap has stopped the others (assembly/locks/recovery.ts RECOVERY). */
export function recoveryRaised(engine: Engine): boolean {
  const { x } = engine as unknown as { x: { recoveryAddr(): number } };
  return Atomics.load(new Int32Array(engine.memory().buffer), x.recoveryAddr() >>> 2) !== 0;
}

// assembly/counters/prefixes.ts: 256 bucket words, then 288-byte entries (next u32, length
// u32, counters, the prefix at 40).
const PREFIX_BUCKETS = 256;
const E_NEXT = 0;
const E_LEN = 4;
const E_PREFIX = 40;
/** Longer than any prefix (a key is at most 250 bytes): an entry that matches nothing. */
const NO_PREFIX_LENGTH = 999;

/**
 * The first `stats detail` entry, for `prefix`, made into a trap: its bucket's lookups (the
 * prefix lock held) never match it and follow its `next` link back to it, looping until
 * spring() points the link outside linear memory; restore() puts the entry back as it was.
 */
export class PrefixLoop {
  private constructor(private readonly engine: Engine, private readonly entry: number, private readonly length: number,
    private readonly next: number) {}

  /** Arms the loop on the entry of `prefix`, which must be the first prefix recorded. */
  static arm(engine: Engine, prefix: string): PrefixLoop {
    const mem = Buffer.from(engine.memory().buffer);
    const needle = Buffer.from(prefix, "latin1");
    const entries: number[] = [];
    for (let at = mem.indexOf(needle); at >= 0; at = mem.indexOf(needle, at + 1)) {
      const e = at - E_PREFIX;
      if (e >= 0 && mem.readUInt32LE(e + E_LEN) === needle.length) entries.push(e);
    }
    if (entries.length !== 1) throw new Error(`expected one stats detail entry for ${prefix}, found ${entries.length}`);
    const entry = entries[0];
    // The first entry follows the buckets; its bucket is the one that points at it.
    const buckets = entry - PREFIX_BUCKETS * 4;
    const slots = Array.from({ length: PREFIX_BUCKETS }, (_, b) => mem.readUInt32LE(buckets + 4 * b)).filter((v) => v === entry);
    if (slots.length !== 1) throw new Error(`expected one bucket pointing at the entry for ${prefix}, found ${slots.length}`);
    const loop = new PrefixLoop(engine, entry, needle.length, mem.readUInt32LE(entry + E_NEXT));
    loop.write(E_LEN, NO_PREFIX_LENGTH);
    loop.write(E_NEXT, entry);
    return loop;
  }

  private write(field: number, v: number): void {
    Atomics.store(new Uint32Array(this.engine.memory().buffer), (this.entry + field) >>> 2, v);
  }

  /** A lookup looping on the entry now reads outside linear memory: it traps. */
  spring(): void { this.write(E_NEXT, WILD_ADDRESS); }

  restore(): void {
    this.write(E_NEXT, this.next);
    this.write(E_LEN, this.length);
  }
}

type Exports = Record<string, unknown>;

/**
 * Makes the core's export `name` throw a RuntimeError whenever `when` holds for its arguments,
 * without running it: a trap that leaves every structure as it was. The engine's next fresh
 * instance (after a reset) has no such export.
 */
export function trapIn(engine: Engine, name: string, when: (...args: number[]) => boolean = () => true): void {
  const holder = engine as unknown as { x: Exports };
  const real = holder.x[name] as (...args: number[]) => number;
  holder.x = {
    ...holder.x,
    [name]: (...args: number[]) => {
      if (when(...args)) throw new RuntimeError("unreachable (test)");
      return real(...args);
    },
  };
}

/** True when the first `len` bytes of the engine's input area hold `marker` (for trapIn's `when`). */
export function inputIncludes(engine: Engine, marker: string, len: number): boolean {
  const input = Buffer.from(engine.memory().buffer, engine.inAddr, len);
  return input.includes(marker, 0, "latin1");
}

/** Collects what is written to stderr (where trap reports go) until restore(). */
export class StderrCatcher {
  private readonly original = process.stderr.write;
  private text = "";

  constructor() {
    process.stderr.write = ((chunk: string | Uint8Array) => {
      this.text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
      return true;
    }) as typeof process.stderr.write;
  }

  lines(): string[] { return this.text.split("\n").filter(Boolean); }

  restore(): void { process.stderr.write = this.original; }
}
