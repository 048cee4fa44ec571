// The pure-JS engine's LRU crawler: memcached's crawler.c (and assembly/background/crawler.ts) for one
// LRU. It walks the list from the tail toward the head a bounded number of items per
// maintenance step, reclaiming expired and flushed items nobody asks for again. The Lru keeps
// its position valid when the item under it is unlinked or bumped.
//
// The schedule is the WASM engine's: the first crawl waits a minute; afterwards the wait halves
// when a crawl found at least 1% of what it checked reclaimable and doubles (up to an hour)
// when it did not, and is an hour when no live item had an exptime.
import type { Entry, Lru } from "./lru.js";
import type { Counters } from "./stats.js";

const WAIT_MIN = 60;
const WAIT_MAX = 3600;
const RECLAIM_PCT_TO_HURRY = 1;
const SCHEDULE_INTERVAL = 1; // seconds between schedule checks
const ITEMS_PER_STEP = 1000;

export interface CrawlTarget {
  readonly lru: Lru;
  readonly counters: Counters;
  /** Unlinks `e` if it is expired or flushed; true if it did. */
  reclaimIfDead(e: Entry): boolean;
}

export class Crawler {
  private running = false;
  private wait = WAIT_MIN;
  private next: number;
  private kicked = 0;
  private remaining = 0;
  private checked = 0;
  private reclaimed = 0;
  private withTtl = 0;

  /** `tocrawl`: items checked per crawl, 0 = all (lru_crawler_tocrawl). */
  constructor(private readonly target: CrawlTarget, private readonly tocrawl: number, now: number) {
    this.next = now + WAIT_MIN;
  }

  isRunning(): boolean { return this.running; }

  /** Starts a crawl when its wait has run out (checked at most once a second). */
  schedule(now: number, hasItems: boolean): void {
    if (this.running || now - this.kicked < SCHEDULE_INTERVAL) return;
    this.kicked = now;
    if (!hasItems || this.next > now) return;
    this.running = true;
    this.remaining = this.tocrawl;
    this.checked = 0;
    this.reclaimed = 0;
    this.withTtl = 0;
    this.target.lru.startWalk();
    this.target.counters.lru_crawler_starts++;
  }

  /** One bounded step; true while the crawl goes on. */
  step(now: number): boolean {
    for (let i = 0; i < ITEMS_PER_STEP && this.running; i++) {
      const e = this.target.lru.walkNext();
      if (!e) {
        this.finish(now);
        break;
      }
      this.check(e);
      if (this.remaining === 1) this.finish(now);
      else if (this.remaining > 1) this.remaining--;
    }
    return this.running;
  }

  private check(e: Entry): void {
    const c = this.target.counters;
    this.checked++;
    c.crawler_items_checked++;
    const fetched = e.fetched;
    if (this.target.reclaimIfDead(e)) {
      this.reclaimed++;
      c.crawler_reclaimed++;
      if (!fetched) c.expired_unfetched++;
    } else if (e.exptime !== 0) {
      this.withTtl++;
    }
  }

  private finish(now: number): void {
    this.running = false;
    if (this.withTtl === 0) {
      this.wait = WAIT_MAX;
    } else if (this.reclaimed > 0 && this.reclaimed * 100 >= this.checked * RECLAIM_PCT_TO_HURRY) {
      this.wait = Math.max(this.wait >> 1, WAIT_MIN);
    } else {
      this.wait = Math.min(this.wait << 1, WAIT_MAX);
    }
    this.next = now + this.wait;
  }
}
