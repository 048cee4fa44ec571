// Counts the JS twin's protocol owes memcached's `stats` that no CacheEngine call makes:
// memcached counts some requests in its protocol code before (or instead of) touching the
// cache — a refused flush_all, a value refused as too large before it arrives, a data block
// that ends badly — and drops a failed set's stale value without counting a delete. These are
// added to the engine's own counters when `stats` is rendered, and cleared by `stats reset`.

export class StatAdjustments {
  private readonly deltas = new Map<string, number>();

  add(name: string, n: number): void {
    this.deltas.set(name, (this.deltas.get(name) ?? 0) + n);
  }

  /** The engine's value of a counter, adjusted. */
  apply(name: string, engineValue: string): string {
    const d = this.deltas.get(name);
    return d === undefined ? engineValue : String(BigInt(engineValue) + BigInt(d));
  }

  reset(): void {
    this.deltas.clear();
  }
}
