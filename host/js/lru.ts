// The pure-JS engine's items and its one LRU: a doubly-linked list threaded through the item
// objects, closed into a ring by a sentinel, newest at the head.
//
// Why a list and not a Map's insertion order (delete + set to move a key to the end): every
// bump would be two hash operations that leave a tombstone in V8's ordered hash table, and in
// Node 20 that got pathological as the table grew — 2M random re-insertions cost 0.4 µs each
// over 10k keys, 2.5 µs over 100k and 66 µs over 1M, where relinking a list node cost 0.2 µs
// over 1M (one-off measurement, both on the same keys). The list also gives the maintenance
// step a stable place to walk from, the tail.

export class Entry {
  /** toward the tail (older); the sentinel at the tail end */
  older: Entry;
  /** toward the head (newer); the sentinel at the head end */
  newer: Entry;
  /** set by a fetch, cleared by a new value (memcached's ITEM_FETCHED) */
  fetched = false;

  constructor(
    /** the key's bytes as a latin1 string, one char per byte: the Map key */
    readonly key: string,
    public value: Uint8Array,
    public flags: number,
    /** relative seconds (clock), 0 = never */
    public exptime: number,
    public cas: bigint,
    /** last access, relative seconds */
    public time: number,
    /** memcached's item size (ITEM_ntotal), what `bytes` and -m count */
    public size: number,
  ) {
    this.older = this;
    this.newer = this;
  }
}

export class Lru {
  // The sentinel's `older` is the head (newest item), its `newer` the tail (oldest).
  private readonly ring = new Entry("", new Uint8Array(0), 0, 0, 0n, 0, 0);
  // Where a walk (the crawler) continues toward the head; the sentinel once it is through.
  private cursor: Entry = this.ring;

  /** The oldest item, or undefined when empty. */
  tail(): Entry | undefined {
    const t = this.ring.newer;
    return t === this.ring ? undefined : t;
  }

  /** The item next newer than `e`, or undefined at the head. */
  newerThan(e: Entry): Entry | undefined {
    return e.newer === this.ring ? undefined : e.newer;
  }

  linkHead(e: Entry): void {
    const head = this.ring.older;
    e.older = head;
    e.newer = this.ring;
    head.newer = e;
    this.ring.older = e;
  }

  unlink(e: Entry): void {
    // A walk standing on `e` continues from the item after it.
    if (e === this.cursor) this.cursor = e.newer;
    e.older.newer = e.newer;
    e.newer.older = e.older;
    e.older = e;
    e.newer = e;
  }

  /** Moves a linked item to the head. */
  bump(e: Entry): void {
    this.unlink(e);
    this.linkHead(e);
  }

  /** Starts a walk at the tail. */
  startWalk(): void { this.cursor = this.ring.newer; }

  /** The walk's next item, tail toward head; undefined once it has passed the head. */
  walkNext(): Entry | undefined {
    const e = this.cursor;
    if (e === this.ring) return undefined;
    this.cursor = e.newer;
    return e;
  }

  /** Every item from the head, for the invariant checker. */
  *fromHead(): Generator<Entry> {
    for (let e = this.ring.older; e !== this.ring; e = e.older) {
      if (e.older.newer !== e || e.newer.older !== e) throw new Error(`LRU links broken at ${JSON.stringify(e.key)}`);
      yield e;
    }
  }
}
