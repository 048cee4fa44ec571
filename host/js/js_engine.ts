// The pure-JS twin of the WASM engine: the same CacheEngine with the same memcached
// semantics, built from ordinary JavaScript objects — a Map from key to item object, one LRU
// list through those objects (lru.ts), each value its own Uint8Array — so that "WebAssembly with
// manual allocation" can be benchmarked honestly against "plain JavaScript".
//
// What it shares with the WASM engine: results, counters and their names, CAS, the clock and
// exptime rules, lazy expiry, flush_all, incr/decr, the -I size limit, and `bytes` and -m
// counted with memcached's item size. What it does not have: slab classes (items are bounded
// by their bytes, not by pages), the segmented LRU (one list, bumped at most once a minute as
// memcached's flat mode does), hash expansion and the page mover.
import { KEY_MAX_LENGTH } from "../../assembly/abi/limits.js";
import { StoreOp } from "../../assembly/abi/results.js";
import type { Bytes, Item, StoreOptions, StoreResult, ArithError, EngineTimers } from "../wasm_engine.js";
import type { CacheEngine } from "../engine_api.js";
import { ServerOptions, defaultServerOptions, validateEngineOptions } from "../options.js";
import { Entry, Lru } from "./lru.js";
import { Crawler } from "./crawler.js";
import { Counters, Gauge, newCounters, resetCounters, renderStats } from "./stats.js";
import { strtoull, decimalBytes } from "./numbers.js";
import { mcItemSize } from "./item_size.js";

const MB = 1024 * 1024;

// The clock (assembly/cache/clock.ts): relative seconds since a start 62 s before the first reading,
// so that 0 ("never") and 1 ("already expired") are never a real time.
const START_OFFSET = 62;
const ALREADY_EXPIRED = 1;
const REALTIME_MAXDELTA = 60 * 60 * 24 * 30; // exptimes above this are unix times
const UPTIME_OFFSET = 60;
const ITEM_UPDATE_INTERVAL = 60; // an access moves an item to the head at most once a minute

// The WASM core's own item size (assembly/cache/item.ts), only to tell which values it keeps chunked:
// incr/decr refuse those as NON_NUMERIC, as memcached does, and the twin answers the same.
const CORE_ITEM_HEADER = 36;
const CORE_CFLAGS = 4;

// memcached's lru_pull_tail looks at this many tail items per pull.
const TAIL_TRIES = 5;
// Dead tail items one maintenance step reclaims at most (memcached's juggle rounds).
const JUGGLE_ROUNDS = 500;

// V8's Map holds at most 2^24 entries, and deleted entries keep their slots until the table is
// rehashed; at that size a rehash stays in place only if at least half the slots are deleted
// ones, so under churn (evict one, insert one) a Map stays usable only up to 2^23 live entries.
// Measured on Node 20: 12M live entries with delete + insert churn threw "Map maximum size
// exceeded" after 4.8M operations; 2^23 survived 2^25 (one-off runs). The engine counts as
// full there.
const MAP_ENTRIES_MAX = 2 ** 23;

const SPACE = 0x20;
const ASCII_MAX = 0x7f;

const CLOCK_INTERVAL_MS = 1000;
const MAINTAIN_INTERVAL_MS = 100;
const MAINTAIN_BUSY_MS = 1;


export interface JsEngineLimits {
  /** Items the Map may hold (default and maximum: MAP_ENTRIES_MAX); tests lower it. */
  maxEntries?: number;
}

const encoder = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > ASCII_MAX) return false;
  return true;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

// A key's bytes as a latin1 string, one char per byte: binary keys and the UTF-8 of string
// keys share one keyspace, as they do in the WASM engine. A string of more than 250 UTF-16
// units is more than 250 bytes, so the length is checked before any conversion. An ASCII
// string key is kept as given: a caller that cuts keys out of a larger string should pass
// bytes instead, or V8's sliced string would keep the whole larger string alive.
function keyOf(key: Bytes): string {
  if (key.length === 0 || key.length > KEY_MAX_LENGTH) throw new RangeError("key must be 1 to 250 bytes");
  if (typeof key !== "string") return latin1(key);
  if (isAscii(key)) return key;
  const k = latin1(encoder.encode(key));
  if (k.length > KEY_MAX_LENGTH) throw new RangeError("key longer than 250 bytes");
  return k;
}

export class JsEngine implements CacheEngine {
  private readonly map = new Map<string, Entry>();
  private readonly lru = new Lru();
  private readonly c: Counters = newCounters();
  private readonly crawler: Crawler;
  private readonly maxBytes: number;
  private readonly itemSizeMax: number;
  private readonly slabChunkMax: number;
  private readonly evictions: boolean;
  private readonly useCas: boolean;
  private readonly maintainer: boolean;
  private readonly crawlerOn: boolean;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  private readonly processStarted: number;
  private now = START_OFFSET;
  private bytes = 0;
  private casId = 0n;
  private lastStoreCas = 0n;
  private oldestLive = 0;
  private oldestCas = 0n;
  private clockTimer: ReturnType<typeof setInterval> | undefined;
  private maintainTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(o: ServerOptions, clock: () => number, limits: JsEngineLimits) {
    this.maxBytes = o.memoryLimitMb * MB;
    this.itemSizeMax = o.itemSizeMax;
    this.slabChunkMax = o.slabChunkMax;
    this.evictions = o.evictions;
    this.useCas = o.cas;
    this.maintainer = o.lruMaintainer;
    this.crawlerOn = o.lruCrawler;
    this.maxEntries = Math.min(limits.maxEntries ?? MAP_ENTRIES_MAX, MAP_ENTRIES_MAX);
    this.clock = clock;
    this.processStarted = clock() - START_OFFSET;
    this.crawler = new Crawler(
      { lru: this.lru, counters: this.c, reclaimIfDead: (e) => this.reclaimIfDead(e) },
      o.lruCrawlerTocrawl, this.now,
    );
  }

  /** Mirrors Engine.create (same options and their checks), without a module to load. */
  static create(options: Partial<ServerOptions> = {}, timers: EngineTimers = {}, limits: JsEngineLimits = {}): JsEngine {
    const opts: ServerOptions = { ...defaultServerOptions(), ...options };
    const problem = validateEngineOptions(opts);
    if (problem) throw new Error(problem);
    return new JsEngine(opts, timers.now ?? (() => Math.floor(Date.now() / 1000)), limits);
  }

  // ── sizes, CAS, time ──────────────────────────────────────────────────────────────────

  // What an item counts for in `bytes`, -m and the -I limit.
  private itemSize(nkey: number, nbytes: number, flags: number): number {
    return mcItemSize(nkey, nbytes, flags, this.useCas);
  }

  private chunked(e: Entry): boolean {
    return CORE_ITEM_HEADER + (e.flags !== 0 ? CORE_CFLAGS : 0) + e.key.length + e.value.length > this.slabChunkMax;
  }

  private nextCas(): bigint {
    if (!this.useCas) return 0n;
    return ++this.casId;
  }

  // memcached's realtime(): a protocol exptime to relative seconds.
  private realtime(exptime: number): number {
    const x = Math.trunc(exptime) || 0;
    if (x === 0) return 0;
    if (x < 0) return ALREADY_EXPIRED;
    if (x > REALTIME_MAXDELTA) return x <= this.processStarted ? ALREADY_EXPIRED : (x - this.processStarted) >>> 0;
    return x + this.now;
  }

  /** Feeds the clock; it never runs backwards. */
  tick(): void {
    const rel = this.clock() - this.processStarted;
    if (rel > this.now) this.now = rel;
  }

  currentTime(): number { return this.now; }

  // ── linking and unlinking ─────────────────────────────────────────────────────────────

  // memcached's item_is_flushed: last accessed at or before flush_all's deadline, or (an
  // immediate flush) older by CAS.
  private isFlushed(e: Entry): boolean {
    const oldest = this.oldestLive;
    if (oldest === 0 || oldest > this.now) return false;
    if (e.time <= oldest) return true;
    return this.oldestCas !== 0n && e.cas !== 0n && e.cas < this.oldestCas;
  }

  // Tail pulls and the crawler take an item once its exptime is strictly past, a second
  // later than a lookup stops returning it (memcached's lru_pull_tail).
  private isDeadAtTail(e: Entry): boolean {
    return (e.exptime !== 0 && e.exptime < this.now) || this.isFlushed(e);
  }

  private remove(e: Entry): void {
    this.map.delete(e.key);
    this.lru.unlink(e);
    this.bytes -= e.size;
  }

  private reclaimIfDead(e: Entry): boolean {
    if (!this.isDeadAtTail(e)) return false;
    this.remove(e);
    return true;
  }

  // The lookup every command makes (memcached's do_item_get): a flushed or expired item is
  // removed on sight and counted, whichever command looked.
  private find(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (this.isFlushed(e)) {
      this.remove(e);
      this.c.get_flushed++;
      return undefined;
    }
    if (e.exptime !== 0 && e.exptime <= this.now) {
      this.remove(e);
      this.c.get_expired++;
      return undefined;
    }
    return e;
  }

  // memcached's do_item_update: an access refreshes the time and moves the item to the head,
  // at most once per ITEM_UPDATE_INTERVAL, so hot items do not pay a relink on every hit.
  private update(e: Entry): void {
    if (e.time >= this.now - ITEM_UPDATE_INTERVAL) return;
    e.time = this.now;
    this.lru.bump(e);
  }

  // memcached's lru_pull_tail with eviction: up to TAIL_TRIES items from the tail; dead ones
  // are reclaimed, the first live one is evicted (unless -M). `pinned` — the item an append or
  // a growing incr is still reading — is passed over. True if anything went.
  private pullTail(pinned?: Entry): boolean {
    let e = this.lru.tail();
    let removed = false;
    for (let tries = TAIL_TRIES; tries > 0 && e !== undefined; tries--) {
      const next = this.lru.newerThan(e);
      if (e === pinned) {
        e = next;
        continue;
      }
      if (this.isDeadAtTail(e)) {
        this.countReclaim(e);
        this.remove(e);
        removed = true;
        e = next;
        continue;
      }
      if (!this.evictions) return removed;
      this.evict(e);
      return true;
    }
    return removed;
  }

  private countReclaim(e: Entry): void {
    this.c.reclaimed++;
    if (!e.fetched) this.c.expired_unfetched++;
  }

  private evict(e: Entry): void {
    this.c.evictions++;
    if (!e.fetched) this.c.evicted_unfetched++;
    this.remove(e);
  }

  // memcached's do_item_alloc_pull without slab classes: room for `need` more bytes under -m,
  // taken from the tail. Without slabs one eviction need not be enough, so it goes on until
  // the item fits or nothing more can go.
  private makeRoom(need: number, pinned?: Entry): boolean {
    while (this.bytes + need > this.maxBytes) {
      if (!this.pullTail(pinned)) return false;
    }
    return true;
  }

  // A new key into the Map. At the entry cap one item must go first, as for memory; a
  // RangeError from a runtime whose Map is smaller than V8's counts as full too.
  private insert(e: Entry): boolean {
    if (this.map.size >= this.maxEntries) {
      this.c.map_full++;
      if (!this.pullTail()) return false;
    }
    try {
      this.map.set(e.key, e);
      return true;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      this.c.map_full++;
      return false;
    }
  }

  private linkNew(key: string, value: Uint8Array, flags: number, exptime: number, size: number): StoreResult {
    const e = new Entry(key, value, flags, exptime, this.nextCas(), this.now, size);
    if (!this.insert(e)) {
      this.c.store_no_memory++;
      return "NO_MEMORY";
    }
    this.lru.linkHead(e);
    this.bytes += size;
    this.c.total_items++;
    this.lastStoreCas = e.cas;
    return "STORED";
  }

  // A new value for a linked item (memcached links a new item in the old one's place; here the
  // object is reused, which saves the Map a delete and an insert).
  private relink(e: Entry, value: Uint8Array, flags: number, exptime: number, size: number): void {
    e.value = value;
    e.flags = flags;
    e.exptime = exptime;
    e.cas = this.nextCas();
    e.time = this.now;
    e.fetched = false;
    this.bytes += size - e.size;
    e.size = size;
    this.lru.bump(e);
    this.c.total_items++;
    this.lastStoreCas = e.cas;
  }

  // ── storage ───────────────────────────────────────────────────────────────────────────

  // memcached's process_update_command + do_store_item. The size check and the memory for the
  // new item come first, before the key is looked up, as in memcached: a refused set also
  // drops the key's old value.
  private store(op: StoreOp, key: Bytes, value: Bytes, o: StoreOptions | undefined, casIn: bigint): StoreResult {
    const k = keyOf(key);
    const data = typeof value === "string" ? encoder.encode(value) : value;
    const flags = o === undefined ? 0 : (o.flags ?? 0) >>> 0;
    const exptime = this.realtime(o === undefined ? 0 : o.exptime ?? 0);
    const size = this.itemSize(k.length, data.length, flags);
    if (size > this.itemSizeMax) {
      this.c.store_too_large++;
      if (op === StoreOp.SET) this.deleteStale(k);
      return "TOO_LARGE";
    }
    if (!this.makeRoom(size)) {
      this.c.store_no_memory++;
      if (op === StoreOp.SET) this.deleteStale(k);
      return "NO_MEMORY";
    }
    this.c.cmd_set++;
    // The caller's array may be reused after the call: the item keeps its own copy.
    const owned = data === value ? data.slice() : data;
    const old = this.find(k);
    if (old === undefined) return this.storeNew(op, k, owned, flags, exptime, size);
    switch (op) {
      case StoreOp.ADD:
        this.update(old); // a refused add still counts as a use of the existing item
        return "NOT_STORED";
      case StoreOp.CAS:
        if (casIn === 0n || casIn !== old.cas) {
          this.c.cas_badval++;
          return "EXISTS";
        }
        this.c.cas_hits++;
        break;
      case StoreOp.APPEND:
      case StoreOp.PREPEND:
        return this.join(old, owned, op === StoreOp.APPEND, size);
    }
    this.relink(old, owned, flags, exptime, size);
    return "STORED";
  }

  private storeNew(op: StoreOp, k: string, value: Uint8Array, flags: number, exptime: number, size: number): StoreResult {
    if (op === StoreOp.CAS) {
      this.c.cas_misses++;
      return "NOT_FOUND";
    }
    if (op !== StoreOp.SET && op !== StoreOp.ADD) return "NOT_STORED";
    return this.linkNew(k, value, flags, exptime, size);
  }

  // Append / prepend: both values in one new item with the old item's flags and exptime.
  // memcached holds the appended data's item while it allocates the joined one, so both count
  // against -m until the joined item replaces the old.
  private join(old: Entry, data: Uint8Array, append: boolean, dataSize: number): StoreResult {
    const total = old.value.length + data.length;
    const size = this.itemSize(old.key.length, total, old.flags);
    if (size > this.itemSizeMax || !this.makeRoom(dataSize + size, old)) return "NOT_STORED";
    const joined = new Uint8Array(total);
    joined.set(append ? old.value : data, 0);
    joined.set(append ? data : old.value, append ? old.value.length : data.length);
    this.relink(old, joined, old.flags, old.exptime, size);
    return "STORED";
  }

  // A failed set must not leave the previous value readable.
  private deleteStale(k: string): void {
    const e = this.find(k);
    if (e !== undefined) this.remove(e);
  }

  set(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store(StoreOp.SET, key, value, o, 0n); }
  add(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store(StoreOp.ADD, key, value, o, 0n); }
  replace(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store(StoreOp.REPLACE, key, value, o, 0n); }
  /** append / prepend: the command's flags count in the size check; the item keeps its own. */
  append(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store(StoreOp.APPEND, key, value, o, 0n); }
  prepend(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store(StoreOp.PREPEND, key, value, o, 0n); }
  cas(key: Bytes, value: Bytes, cas: bigint, o?: StoreOptions): StoreResult { return this.store(StoreOp.CAS, key, value, o, cas); }

  lastCas(): bigint { return this.lastStoreCas; }

  // ── retrieval, touch, delete ──────────────────────────────────────────────────────────

  // get (touch false) and gat / touch (touch true): a gat counts as a touch, not a get.
  private fetch(key: Bytes, touch: boolean, exptime: number): Entry | undefined {
    const e = this.find(keyOf(key));
    if (touch) this.c.cmd_touch++;
    else this.c.cmd_get++;
    if (e === undefined) {
      if (touch) this.c.touch_misses++;
      else this.c.get_misses++;
      return undefined;
    }
    if (touch) this.c.touch_hits++;
    else this.c.get_hits++;
    e.fetched = true;
    this.update(e);
    if (touch) e.exptime = this.realtime(exptime);
    return e;
  }

  // The value is the item's own array, not a copy: items never write into a value once
  // stored (every change makes a new array), so what a caller holds never changes under it.
  // Callers must not write into it either.
  private itemOf(e: Entry | undefined): Item | undefined {
    return e === undefined ? undefined : { value: e.value, flags: e.flags, cas: e.cas };
  }

  get(key: Bytes): Item | undefined { return this.itemOf(this.fetch(key, false, 0)); }
  gat(key: Bytes, exptime: number): Item | undefined { return this.itemOf(this.fetch(key, true, exptime)); }
  touch(key: Bytes, exptime: number): boolean { return this.fetch(key, true, exptime) !== undefined; }

  delete(key: Bytes): boolean {
    const e = this.find(keyOf(key));
    if (e === undefined) {
      this.c.delete_misses++;
      return false;
    }
    this.c.delete_hits++;
    this.remove(e);
    return true;
  }

  // ── incr / decr (memcached's do_add_delta) ────────────────────────────────────────────

  private arith(key: Bytes, delta: bigint | number, incr: boolean): bigint | ArithError {
    const e = this.find(keyOf(key));
    if (e === undefined) {
      if (incr) this.c.incr_misses++;
      else this.c.decr_misses++;
      return "NOT_FOUND";
    }
    if (e.value.length === 0 || this.chunked(e)) return "NON_NUMERIC";
    const n = strtoull(e.value);
    if (n === undefined) return "NON_NUMERIC";
    const d = BigInt.asUintN(64, BigInt(delta));
    const next = incr ? BigInt.asUintN(64, n + d) : d > n ? 0n : n - d;
    if (incr) this.c.incr_hits++;
    else this.c.decr_hits++;
    const digits = decimalBytes(next);
    if (digits.length <= e.value.length) {
      // memcached rewrites in place, right-padded with spaces: the length stays.
      const value = new Uint8Array(e.value.length).fill(SPACE);
      value.set(digits);
      e.value = value;
      e.cas = this.nextCas();
      this.update(e);
      this.lastStoreCas = e.cas;
      return next;
    }
    const size = this.itemSize(e.key.length, digits.length, e.flags);
    if (!this.makeRoom(size, e)) return "NO_MEMORY";
    this.relink(e, digits, e.flags, e.exptime, size);
    return next;
  }

  incr(key: Bytes, delta: bigint | number): bigint | ArithError { return this.arith(key, delta, true); }
  decr(key: Bytes, delta: bigint | number): bigint | ArithError { return this.arith(key, delta, false); }

  // ── flush_all ─────────────────────────────────────────────────────────────────────────

  // Everything last accessed before the deadline dies at the deadline; an immediate flush
  // also kills by CAS, which makes it exact within the current second (assembly/operations/flush.ts).
  flushAll(delay = 0): void {
    this.c.cmd_flush++;
    const deadline = delay > 0 ? this.realtime(delay) : this.now;
    if (!this.useCas) {
      this.oldestLive = deadline;
      return;
    }
    this.oldestLive = deadline - 1;
    if (this.oldestLive <= this.now) this.oldestCas = this.nextCas();
  }

  // ── maintenance ───────────────────────────────────────────────────────────────────────

  /** Dead items off the tail (the LRU maintainer's part), then a crawler step. */
  maintain(): boolean {
    let more = false;
    if (this.maintainer) {
      more = this.reclaimTail();
      this.c.lru_maintainer_juggles++;
      if (this.crawlerOn) this.crawler.schedule(this.now, this.map.size > 0);
    }
    if (this.crawler.isRunning()) more = this.crawler.step(this.now) || more;
    return more;
  }

  // True when it stopped at its bound with dead items still at the tail.
  private reclaimTail(): boolean {
    for (let i = 0; i < JUGGLE_ROUNDS; i++) {
      const t = this.lru.tail();
      if (t === undefined || !this.isDeadAtTail(t)) return false;
      this.countReclaim(t);
      this.remove(t);
    }
    return true;
  }

  // ── stats ─────────────────────────────────────────────────────────────────────────────

  private gauge(name: Gauge): number {
    switch (name) {
      case "uptime": return this.now - UPTIME_OFFSET;
      case "time": return this.now + this.processStarted;
      case "limit_maxbytes": return this.maxBytes;
      case "lru_crawler_running": return this.crawler.isRunning() ? 1 : 0;
      case "bytes": return this.bytes;
      case "curr_items": return this.map.size;
    }
  }

  stats(): Map<string, string> { return renderStats(this.c, (name) => this.gauge(name)); }
  resetStats(): void { resetCounters(this.c); }

  /** Throws if the Map, the LRU list and the byte count disagree. */
  checkInvariants(): void {
    let count = 0;
    let bytes = 0;
    let newer = Infinity;
    for (const e of this.lru.fromHead()) {
      const key = JSON.stringify(e.key);
      if (this.map.get(e.key) !== e) throw new Error(`invariant broken: ${key} is on the LRU but not in the Map`);
      if (e.size !== this.itemSize(e.key.length, e.value.length, e.flags)) throw new Error(`invariant broken: ${key} size ${e.size}`);
      if ((e.cas === 0n) === this.useCas) throw new Error(`invariant broken: ${key} cas ${e.cas}`);
      if (e.time > newer) throw new Error(`invariant broken: ${key} accessed later than the item ahead of it`);
      newer = e.time;
      count++;
      bytes += e.size;
    }
    if (count !== this.map.size) throw new Error(`invariant broken: ${count} items on the LRU, ${this.map.size} in the Map`);
    if (bytes !== this.bytes) throw new Error(`invariant broken: bytes ${this.bytes}, items sum to ${bytes}`);
    if (bytes > this.maxBytes) throw new Error(`invariant broken: ${bytes} bytes over the ${this.maxBytes} limit`);
  }

  // ── timers ────────────────────────────────────────────────────────────────────────────

  /** Clock every second, maintenance every 100 ms (back to back while work is waiting). */
  start(): void {
    if (this.clockTimer !== undefined) return;
    this.clockTimer = setInterval(() => this.tick(), CLOCK_INTERVAL_MS);
    unref(this.clockTimer);
    const run = () => {
      this.maintainTimer = setTimeout(run, this.maintain() ? MAINTAIN_BUSY_MS : MAINTAIN_INTERVAL_MS);
      unref(this.maintainTimer);
    };
    this.maintainTimer = setTimeout(run, MAINTAIN_INTERVAL_MS);
    unref(this.maintainTimer);
  }

  stop(): void {
    if (this.clockTimer !== undefined) clearInterval(this.clockTimer);
    if (this.maintainTimer !== undefined) clearTimeout(this.maintainTimer);
    this.clockTimer = undefined;
    this.maintainTimer = undefined;
  }
}

// Timers must not keep a process alive on their own (where the runtime has unref).
function unref(t: unknown): void {
  (t as { unref?: () => void }).unref?.();
}
