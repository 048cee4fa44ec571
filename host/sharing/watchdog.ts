// A thread of a shared cache terminated inside a call that held no lock at that moment (memcached
// allocates a chunk before it takes the item lock, for one) is never waited on, so no stale
// lock wait finds it; it may have left a change half made all the same. The thread holding the
// timer lease looks at every other thread's INSIDE word (threads/shared_host.ts) at each lease
// check: one that has stayed nonzero and unchanged for `staleMs` has been inside one call all
// that time. Then it starts a recovery as a trap would: the recovery counts that thread gone if
// it still has not come out, checks the cache and resets it if it was left broken.
import type { SharedHost } from "../threads/shared_host.js";

export class Watchdog {
  private readonly seen = new Map<number, { value: number; since: number }>();

  constructor(private readonly host: SharedHost, private readonly me: number, private readonly staleMs: number) {}

  /** True when another thread has been inside one call for staleMs or longer. */
  stuck(now = Date.now()): boolean {
    let found = false;
    for (let t = 0; t < this.host.threadCount; t++) {
      if (t === this.me) continue;
      const value = Atomics.load(this.host.i32, this.host.insideIndex(t));
      const prev = this.seen.get(t);
      if (value === 0) this.seen.delete(t);
      else if (prev?.value !== value) this.seen.set(t, { value, since: now });
      else if (now - prev.since >= this.staleMs) found = true;
    }
    return found;
  }
}
