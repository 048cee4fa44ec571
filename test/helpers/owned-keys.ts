// The keys one client alone writes, and what each must read as. Nobody else touches them, so
// a read returns the latest write or, where the cache may evict, a miss — never an older
// value, and never a value after a delete or a miss until the client writes again. Every
// reply that says whether the key was there (a hit, STORED for a replace, NOT_STORED for an
// add, DELETED...) is checked against the model the same way.

export class OwnedKeys {
  private readonly values = new Map<string, string>();

  /** `mayEvict`: a key the model holds may be missing (small memory); else it must be there. */
  constructor(private readonly mayEvict: boolean) {}

  /** The value the key must have, or undefined when it must be missing. */
  expected(key: string): string | undefined { return this.values.get(key); }

  /** A reply said whether the key was there. */
  found(key: string, hit: boolean): void {
    const held = this.values.has(key);
    if (hit && !held) throw new Error(`${key}: found after a delete, a miss or a failed set`);
    if (hit || !held) return;
    if (!this.mayEvict) throw new Error(`${key}: missing, but this cache has room and nobody deleted it`);
    this.values.delete(key);
  }

  /** A read returned `got` (undefined: a miss). */
  read(key: string, got: string | undefined): void {
    this.found(key, got !== undefined);
    const want = this.values.get(key);
    if (got !== undefined && got !== want) {
      throw new Error(`${key}: read ${describe(got)}, but the latest write was ${describe(want)}`);
    }
  }

  /**
   * A write that needed the key was refused, for a reason that may also be a lack of memory
   * (append/prepend answer NOT_STORED for both): where the cache evicts, nothing is learnt.
   */
  refused(key: string): void {
    if (!this.mayEvict) this.found(key, false);
  }

  stored(key: string, value: string): void { this.values.set(key, value); }

  /** Deleted, expired by the write itself, or dropped by a failed set. */
  gone(key: string): void { this.values.delete(key); }
}

function describe(v: string | undefined): string {
  if (v === undefined) return "nothing";
  return v.length > 60 ? `${JSON.stringify(v.slice(0, 40))}…(${v.length} bytes)` : JSON.stringify(v);
}
