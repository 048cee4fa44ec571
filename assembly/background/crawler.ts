// The LRU crawler (memcached's crawler.c): reclaims expired and flushed items in the
// background, so memory comes back even for keys nobody asks for again.
//
// As in memcached, a crawl links a pseudo-item (one per LRU id, in the CRAWLERS block) at the
// tail of an LRU and walks it toward the head one item per step, swapping places with the item
// ahead of it. Because the crawler is a real list node, items unlinked or relinked between
// steps never invalidate its position. LRU walkers recognise it by ITEM_CRAWLER.
//
// Locks: the crawler lock (memcached's lru_crawler_lock) guards which crawlers run, their
// mode and schedule; a pseudo-item moves in its list under that list's LRU lock; an item is
// looked at under its item lock taken with a try, and skipped when busy, as memcached's
// crawler does. The EXPIRED walk runs on the background thread; a metadump is stepped by the
// thread serving the dumping connection.
//
// Crawler pseudo-item (CRAWLERS + lru id × 64): the item header fields next/prev/flags/cls
// (nkey stays 0), then
//  40  remaining  u32   items it may still check this run (lru_crawler_tocrawl), 0 = no limit
//
// Schedule record per class (CRAWLSTATE + class × 32):
//   0  next_crawl  u32   current_time at which the class is crawled again
//   4  wait        u32   seconds between crawls: halves when a crawl found ≥ 1% of what it
//                        checked reclaimable, doubles (up to an hour) when it did not
//   8  checked     u32   items checked by the class's current run
//  12  reclaimed   u32   items reclaimed by it
//  16  with_ttl    u32   live items it saw that have an exptime
import {
  CRAWLERS, CRAWLER_SIZE, CRAWLSTATE, CRAWLSTATE_SIZE, LRU_IDS, MAX_CLASSES, Global, global32, setGlobal32,
  settingOn, settingU32,
} from "../layout/layout";
import { Setting } from "../abi/settings";
import { CrawlStart } from "../abi/results";
import {
  IT_FLAGS, IT_CLSID, IT_NKEY, ITEM_CRAWLER, ITEM_LINKED, ITEM_FETCHED, itPrev, itExptime,
  hasFlag, HOT_LRU, WARM_LRU, COLD_LRU, TEMP_LRU,
} from "../cache/item";
import { currentTime } from "../cache/clock";
import { doLruLinkTail, doLruUnlinkRaw, doLruInsertBefore, classHasItems } from "../cache/lru";
import { itemIsFlushed, doItemUnlinkLruHeld, itemHash } from "../cache/items";
import { GlobalLock, globalLock, globalUnlock, lruLock, lruUnlock, itemTrylock, itemUnlock } from "../locks/locks";
import { powerLargest } from "../memory/slabs";
import { LruStat, lruStatIncr, Stat, statIncr } from "../counters/counters";

const CR_REMAINING: usize = 40;
const CS_NEXT: usize = 0;
const CS_WAIT: usize = 4;
const CS_CHECKED: usize = 8;
const CS_RECLAIMED: usize = 12;
const CS_WITH_TTL: usize = 16;

const WAIT_MIN: u32 = 60;
const WAIT_MAX: u32 = 3600;
const RECLAIM_PCT_TO_HURRY: u32 = 1;
const SCHEDULE_INTERVAL: u32 = 1; // seconds between schedule checks (memcached: ≤ 1/s)
const CLASS_BITS: u32 = 63;        // an LRU id's class

// EXPIRED reclaims dead items in maintenance steps; METADUMP is driven by the dumping
// connection's own process() calls, one OUTBUF at a time, and reclaims nothing.
export enum CrawlMode { EXPIRED = 0, METADUMP = 1 }

@inline function crawler(id: u32): usize { return CRAWLERS + <usize>id * CRAWLER_SIZE; }
@inline function sched(c: u32): usize { return CRAWLSTATE + <usize>c * CRAWLSTATE_SIZE; }

export function crawlerInit(): void {
  for (let id: u32 = 0; id < LRU_IDS; id++) {
    const cr = crawler(id);
    store<u16>(cr, ITEM_CRAWLER, IT_FLAGS);
    store<u8>(cr, <u8>id, IT_CLSID);
    store<u8>(cr, 0, IT_NKEY);
  }
  // As in memcached (whose next_crawls start at 0), the first schedule check that finds items
  // in a class crawls it; the wait between crawls starts at WAIT_MIN.
  for (let c: u32 = 0; c < MAX_CLASSES; c++) {
    store<u32>(sched(c), WAIT_MIN, CS_WAIT);
    store<u32>(sched(c), 0, CS_NEXT);
  }
}

export function crawlerRunning(): bool { return global32(Global.CRAWLER_ACTIVE) != 0; }

// Starts crawling every LRU of class c (memcached's lru_crawler_start for one class).
function startClass(c: u32): bool {
  let started = false;
  for (let lru: u32 = HOT_LRU; lru <= TEMP_LRU; lru += WARM_LRU) {
    const id = c | lru;
    const cr = crawler(id);
    if (hasFlag(cr, ITEM_LINKED)) continue; // memcached starts on empty lists too
    store<u16>(cr, ITEM_CRAWLER | ITEM_LINKED, IT_FLAGS);
    store<u32>(cr, settingU32(Setting.CRAWLER_TOCRAWL), CR_REMAINING);
    lruLock(id);
    doLruLinkTail(cr, id);
    lruUnlock(id);
    setGlobal32(Global.CRAWLER_ACTIVE, global32(Global.CRAWLER_ACTIVE) + 1);
    started = true;
  }
  if (started) {
    store<u32>(sched(c), 0, CS_CHECKED);
    store<u32>(sched(c), 0, CS_RECLAIMED);
    store<u32>(sched(c), 0, CS_WITH_TTL);
  }
  return started;
}

// `lru_crawler crawl <ids|all>`: bit c of `classes` asks for class c.
export function crawlerStart(classes: u64): CrawlStart {
  globalLock(GlobalLock.CRAWLER);
  const r = startCrawl(classes, CrawlMode.EXPIRED);
  globalUnlock(GlobalLock.CRAWLER);
  return r;
}

// `lru_crawler metadump <ids|all>` streaming to connection `conn`.
export function crawlerStartMetadump(classes: u64, conn: u32): CrawlStart {
  globalLock(GlobalLock.CRAWLER);
  const r = startCrawl(classes, CrawlMode.METADUMP);
  if (r == CrawlStart.OK) setGlobal32(Global.METADUMP_CONN, conn);
  globalUnlock(GlobalLock.CRAWLER);
  return r;
}

export function crawlerMode(): CrawlMode { return <CrawlMode>global32(Global.CRAWLER_MODE); }

function startCrawl(classes: u64, mode: CrawlMode): CrawlStart {
  if (!settingOn(Setting.LRU_CRAWLER)) return CrawlStart.NOTSTARTED;
  if (crawlerRunning()) return CrawlStart.BUSY;
  setGlobal32(Global.CRAWLER_MODE, mode);
  const largest = powerLargest();
  let started = false;
  for (let c: u32 = 1; c <= largest; c++) {
    if ((classes >> c) & 1 && startClass(c)) started = true;
  }
  if (!started) return CrawlStart.NOTSTARTED;
  statIncr(Stat.LRU_CRAWLER_STARTS);
  return CrawlStart.OK;
}

// The crawler lock held; the LRU lock of `id` held when `lruHeld`.
function stop(id: u32, lruHeld: bool): void {
  const cr = crawler(id);
  if (!lruHeld) lruLock(id);
  doLruUnlinkRaw(cr, id);
  if (!lruHeld) lruUnlock(id);
  store<u16>(cr, ITEM_CRAWLER, IT_FLAGS);
  setGlobal32(Global.CRAWLER_ACTIVE, global32(Global.CRAWLER_ACTIVE) - 1);
  if (crawlerMode() == CrawlMode.EXPIRED && !classCrawling(id & CLASS_BITS)) classDone(id & CLASS_BITS);
}

function classCrawling(c: u32): bool {
  return hasFlag(crawler(c | HOT_LRU), ITEM_LINKED) || hasFlag(crawler(c | WARM_LRU), ITEM_LINKED) ||
    hasFlag(crawler(c | COLD_LRU), ITEM_LINKED) || hasFlag(crawler(c | TEMP_LRU), ITEM_LINKED);
}

function classDone(c: u32): void {
  const s = sched(c);
  const checked = load<u32>(s, CS_CHECKED);
  const reclaimed = load<u32>(s, CS_RECLAIMED);
  let wait = load<u32>(s, CS_WAIT);
  if (load<u32>(s, CS_WITH_TTL) == 0) {
    // Nothing in the class can expire: like memcached's TTL histogram, come back rarely.
    wait = WAIT_MAX;
  } else if (<u64>reclaimed * 100 >= <u64>checked * RECLAIM_PCT_TO_HURRY && reclaimed > 0) {
    wait = max<u32>(wait >> 1, WAIT_MIN);
  } else {
    wait = min<u32>(wait << 1, WAIT_MAX);
  }
  store<u32>(s, wait, CS_WAIT);
  store<u32>(s, currentTime() + wait, CS_NEXT);
}

// Moves one crawler one item toward the head and reclaims that item if it is dead (the
// crawler lock held).
function crawlOne(id: u32): void {
  const cr = crawler(id);
  lruLock(id);
  const it = itPrev(cr);
  if (!it) {
    stop(id, true);
    lruUnlock(id);
    return;
  }
  doLruUnlinkRaw(cr, id);
  doLruInsertBefore(cr, it, id);
  if (!hasFlag(it, ITEM_CRAWLER)) check(it, id);
  lruUnlock(id);
  const remaining = load<u32>(cr, CR_REMAINING);
  if (remaining == 1) stop(id, false);
  else if (remaining > 1) store<u32>(cr, remaining - 1, CR_REMAINING);
}

// The EXPIRED module's look at one item (its LRU lock held): reclaim it if dead, count it.
function check(it: usize, id: u32): void {
  const hv = itemHash(it);
  if (!itemTrylock(hv)) return; // in use: the next crawl sees it
  const s = sched(id & CLASS_BITS);
  store<u32>(s, load<u32>(s, CS_CHECKED) + 1, CS_CHECKED);
  lruStatIncr(id, LruStat.CRAWLER_ITEMS_CHECKED);
  const exptime = itExptime(it);
  if ((exptime != 0 && exptime < currentTime()) || itemIsFlushed(it)) {
    store<u32>(s, load<u32>(s, CS_RECLAIMED) + 1, CS_RECLAIMED);
    lruStatIncr(id, LruStat.CRAWLER_RECLAIMED);
    if (!hasFlag(it, ITEM_FETCHED)) lruStatIncr(id, LruStat.EXPIRED_UNFETCHED);
    doItemUnlinkLruHeld(it, hv);
  } else if (exptime != 0) {
    store<u32>(s, load<u32>(s, CS_WITH_TTL) + 1, CS_WITH_TTL);
  }
  itemUnlock(hv, false);
}

// Up to `budget` crawl steps across the running crawlers. Returns steps taken.
export function crawlerStep(budget: u32): u32 {
  globalLock(GlobalLock.CRAWLER);
  let done: u32 = 0;
  if (crawlerMode() == CrawlMode.EXPIRED) {
    while (done < budget && crawlerRunning()) {
      for (let id: u32 = 0; id < LRU_IDS && done < budget; id++) {
        if (!hasFlag(crawler(id), ITEM_LINKED)) continue;
        crawlOne(id);
        done++;
      }
    }
  }
  globalUnlock(GlobalLock.CRAWLER);
  return done;
}

// The maintainer's automatic schedule: crawl every class whose wait has run out.
export function crawlerSchedule(): void {
  if (!settingOn(Setting.LRU_CRAWLER) || crawlerRunning()) return;
  const now = currentTime();
  if (now - global32(Global.CRAWLER_LAST_KICK) < SCHEDULE_INTERVAL) return;
  globalLock(GlobalLock.CRAWLER);
  if (!crawlerRunning()) schedule(now);
  globalUnlock(GlobalLock.CRAWLER);
}

function schedule(now: u32): void {
  setGlobal32(Global.CRAWLER_LAST_KICK, now);
  // A metadump leaves its mode behind: a scheduled crawl reclaims.
  setGlobal32(Global.CRAWLER_MODE, CrawlMode.EXPIRED);
  let started = false;
  const largest = powerLargest();
  for (let c: u32 = 1; c <= largest; c++) {
    if (!classHasItems(c) || load<u32>(sched(c), CS_NEXT) > now) continue;
    if (startClass(c)) started = true;
  }
  if (started) statIncr(Stat.LRU_CRAWLER_STARTS);
}

// Unlinks every crawler (the crawler lock held).
function stopAll(): void {
  for (let id: u32 = 0; id < LRU_IDS; id++) {
    if (hasFlag(crawler(id), ITEM_LINKED)) stop(id, false);
  }
}

// ── metadump ───────────────────────────────────────────────────────────────────────────

// Whether the crawler of LRU `id` is still walking.
export function crawlerLinked(id: u32): bool { return hasFlag(crawler(id), ITEM_LINKED); }

// One metadump step for the crawler of LRU `id`: it passes one item toward the head and
// returns that item if it is live and should be listed, its item lock taken (with a try;
// release it with itemUnlock(itemHash(it), false) once its line is written), else 0.
// protocols/metadump.ts writes the lines and decides when the reply area is full.
export function metadumpAdvance(id: u32): usize {
  globalLock(GlobalLock.CRAWLER);
  const found = metadumpStepOne(id);
  globalUnlock(GlobalLock.CRAWLER);
  return found;
}

function metadumpStepOne(id: u32): usize {
  if (!hasFlag(crawler(id), ITEM_LINKED)) return 0;
  const cr = crawler(id);
  lruLock(id);
  const it = itPrev(cr);
  if (!it) {
    stop(id, true);
    lruUnlock(id);
    return 0;
  }
  doLruUnlinkRaw(cr, id);
  doLruInsertBefore(cr, it, id);
  const listed = !hasFlag(it, ITEM_CRAWLER) && listable(it);
  lruUnlock(id);
  return listed ? it : 0;
}

// A live item whose item lock could be had (and now is held).
function listable(it: usize): bool {
  const hv = itemHash(it);
  if (!itemTrylock(hv)) return false;
  const exptime = itExptime(it);
  if ((exptime != 0 && exptime < currentTime()) || itemIsFlushed(it)) {
    itemUnlock(hv, false);
    return false;
  }
  return true;
}

// Before the cache is saved (restart/image.ts): a crawler is a pseudo-item linked in an LRU,
// which must not come back as part of the list in another process.
export function crawlerHalt(): void {
  globalLock(GlobalLock.CRAWLER);
  stopAll();
  globalUnlock(GlobalLock.CRAWLER);
}

// The metadump's connection went away: stop, leaving nothing linked.
export function metadumpAbort(conn: u32): void {
  globalLock(GlobalLock.CRAWLER);
  if (crawlerMode() == CrawlMode.METADUMP && global32(Global.METADUMP_CONN) == conn) stopAll();
  globalUnlock(GlobalLock.CRAWLER);
}
