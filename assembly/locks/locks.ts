// The locks (memcached's thread.c item locks, items.c lru_locks, slabs.c slabs_lock and
// slabs_rebalance_lock, crawler.c lru_crawler_lock, stats_prefix's lock), as words in the shared
// linear memory.
//
// A lock word:
//
//   31            17 16 15             0
//   ┌───────────────┬──┬────────────────┐
//   │      0        │W │ owner thread+1 │   0 = free; W = someone may be sleeping on it
//   └───────────────┴──┴────────────────┘
//
// Taking one is a compare-exchange 0 → owner; when that fails, a short spin, then
// memory.atomic.wait32 until the holder's release notifies (Drepper's "futexes are tricky",
// mutex 2). A waiter sets W before it sleeps, so a release that finds W set wakes one sleeper.
// The owner in the word lets the checked build assert that a function's caller holds the lock it
// expects, and lets trap recovery (recovery.ts) find the locks a trapped thread held.
//
// LOCKS area:
//
//        0 ┌──────────────────────────────┐
//          │ GlobalLock words, one per    │ own 64-byte line each (no false sharing)
//          │ 64 B line                    │
//     1024 ├──────────────────────────────┤
//          │ LRU locks, LRU_IDS × 64 B    │ one per (class | lru), own line each
//    17408 ├──────────────────────────────┤
//          │ item locks, 2^15 × u32       │ 2^ITEM_LOCK_POWER in use, indexed by hv & mask
//   148480 └──────────────────────────────┘
//
// Order (threads.txt): rebalance → crawler → item → LRU → slabs → leaf (prefixes, conn ids).
// A thread only blocks on a lock ranked above every lock it holds; anything walking an LRU
// takes item locks with itemTrylock and skips a busy item, as lru_pull_tail does. The checked
// build asserts both (LOCKSTATE in the thread block keeps what is held).
import { LOCKS, LRU_IDS, Global, global32, setGlobal32, setting, settingU32 } from "../layout/layout";
import { threadIndex, lockState, threadBlock, T_LOCKSTATE } from "../layout/thread";
import { Setting } from "../abi/settings";
import { recovering } from "./recovery";
import { monotonicNs } from "./wait_clock";
import { LockKind, LockCounter } from "../abi/lock_counters";

export enum GlobalLock { REBALANCE = 0, CRAWLER = 1, SLABS = 2, PREFIXES = 3, COUNT = 4 }

// Ranks, lowest taken first. Item locks and LRU locks have one rank each.
export enum Rank { REBALANCE = 0, CRAWLER = 1, ITEM = 2, LRU = 3, SLABS = 4, LEAF = 5 }

const LINE: usize = 64;
const GLOBAL_LOCKS: usize = LOCKS;
const LRU_LOCKS: usize = LOCKS + 1024;
const ITEM_LOCKS: usize = LRU_LOCKS + <usize>LRU_IDS * LINE;
export const ITEM_LOCK_POWER_MAX: u32 = 15;

const WAITERS: u32 = 1 << 16;
const OWNER_MASK: u32 = WAITERS - 1;
const SPINS: u32 = 200;
// A sleeper wakes at least this often to see whether a trap stopped the world (recovery.ts).
const WAIT_TIMEOUT_NS: i64 = 20_000_000;
const NS_PER_MS: f64 = 1_000_000;

// LOCKSTATE (per thread):
//   0  ranks      u32   bit r: a lock of rank r is held (blocking, not try)
//   4  items      u32   item locks held, blocking or try
//   8  counters   u64 × LockKind.COUNT × LockCounter.COUNT (abi/lock_counters.ts)
const LS_RANKS: usize = 0;
const LS_ITEMS: usize = 4;
const LS_COUNTERS: usize = 8;
const COUNTERS_PER_KIND: u32 = LockCounter.COUNT;

@inline function me(): u32 { return threadIndex() + 1; }

@inline function itemWord(hv: u32): usize {
  return ITEM_LOCKS + (<usize>(hv & global32(Global.ITEM_LOCK_MASK)) << 2);
}
@inline function lruWord(id: u32): usize { return LRU_LOCKS + <usize>id * LINE; }
@inline function globalWord(g: GlobalLock): usize { return GLOBAL_LOCKS + <usize>g * LINE; }

// A memory with one thread block has one thread (-t 1, or an engine made for one): nothing can
// race for a word, so it is taken and given with plain loads and stores, as glibc skips its
// atomic instructions while a process has one thread. The word reads the same either way, for
// the checked build's assertions and for trap recovery. Set by the one instance's init; an
// instance attaching to a thread block (threadAttach) keeps the atomic path.
let oneThread = false;

export function locksInit(itemLockPower: u32): void {
  setGlobal32(Global.ITEM_LOCK_MASK, (1 << itemLockPower) - 1);
  oneThread = settingU32(Setting.THREAD_BLOCKS) == 1;
}

// ── the word ───────────────────────────────────────────────────────────────────────────

@inline function tryTake(w: usize): bool {
  if (!oneThread) return atomic.cmpxchg<u32>(w, 0, me()) == 0;
  if (load<u32>(w) != 0) return false;
  store<u32>(w, me());
  return true;
}

// The uncontended case is inlined where a lock is taken: one compare-exchange, no call.
@inline function take(w: usize, kind: LockKind): void {
  if (!tryTake(w)) takeContended(w, kind);
}

function takeContended(w: usize, kind: LockKind): void {
  const since = monotonicNs();
  count(kind, LockCounter.CONTENDED);
  for (let i: u32 = 0; i < SPINS; i++) {
    if (atomic.load<u32>(w) == 0 && tryTake(w)) {
      count(kind, LockCounter.SPINS, i + 1);
      waited(kind, since);
      return;
    }
  }
  count(kind, LockCounter.SPINS, SPINS);
  while (true) {
    let v = atomic.load<u32>(w);
    if (v == 0) {
      // Others may still sleep on it: keep W so that our release wakes one.
      if (atomic.cmpxchg<u32>(w, 0, me() | WAITERS) == 0) {
        waited(kind, since);
        return;
      }
      continue;
    }
    if (!(v & WAITERS)) {
      if (atomic.cmpxchg<u32>(w, v, v | WAITERS) != v) continue;
      v |= WAITERS;
    }
    if (recovering()) unreachable(); // the holder trapped: stop here (recovery.ts)
    if (holderStale(since)) unreachable(); // the holder may be dead: the host looks (recovery.ts)
    count(kind, LockCounter.SLEEPS);
    atomic.wait<i32>(w, <i32>v, WAIT_TIMEOUT_NS);
  }
}

// A thread of an in-process shared cache can be terminated by its application in the middle of
// a call, holding what it held. No lock is held for long (the longest wait measured under
// load is tens of milliseconds), so a wait past LOCK_STALE_MS is taken as a sign the holder is
// gone: the waiter traps and its host's recovery finds out (host/threads/recovery.ts). The
// server's threads cannot be terminated one by one, and wait forever.
function holderStale(since: f64): bool {
  const staleMs = setting(Setting.LOCK_STALE_MS);
  return staleMs > 0 && monotonicNs() - since > staleMs * NS_PER_MS;
}

@inline function give(w: usize): void {
  if (!ASC_NO_ASSERT) assert((atomic.load<u32>(w) & OWNER_MASK) == me(), "released a lock this thread does not hold");
  if (oneThread) store<u32>(w, 0);
  else if (atomic.xchg<u32>(w, 0) & WAITERS) atomic.notify(w, 1);
}

@inline function heldByMe(w: usize): bool { return (atomic.load<u32>(w) & OWNER_MASK) == me(); }

@inline function counterAt(kind: LockKind, c: LockCounter): usize {
  return lockState() + LS_COUNTERS + ((<usize>kind * COUNTERS_PER_KIND + <usize>c) << 3);
}

function count(kind: LockKind, c: LockCounter, n: u64 = 1): void {
  const at = counterAt(kind, c);
  store<u64>(at, load<u64>(at) + n);
}

function waited(kind: LockKind, since: f64): void {
  const ns = <u64>Math.max(0, monotonicNs() - since);
  count(kind, LockCounter.WAIT_NS, ns);
  const max = counterAt(kind, LockCounter.MAX_WAIT_NS);
  if (ns > load<u64>(max)) store<u64>(max, ns);
}


// ── rank bookkeeping (checked build) ──────────────────────────────────────────────────

function entering(rank: Rank): void {
  if (ASC_NO_ASSERT) return;
  const ranks = load<u32>(lockState(), LS_RANKS);
  assert(ranks < (<u32>1 << rank), "lock order: a lock ranked at or below one held");
  store<u32>(lockState(), ranks | (<u32>1 << rank), LS_RANKS);
}

function leaving(rank: Rank): void {
  if (ASC_NO_ASSERT) return;
  store<u32>(lockState(), load<u32>(lockState(), LS_RANKS) & ~(<u32>1 << rank), LS_RANKS);
}

function itemsHeld(delta: i32): void {
  if (ASC_NO_ASSERT) return;
  store<u32>(lockState(), load<u32>(lockState(), LS_ITEMS) + <u32>delta, LS_ITEMS);
}

// Whether this thread holds no lock at all: true between calls.
export function holdsNoLock(): bool {
  return load<u32>(lockState(), LS_RANKS) == 0 && load<u32>(lockState(), LS_ITEMS) == 0;
}

// ── item locks (thread.c item_lock / item_trylock / item_unlock) ─────────────────────

export function itemLock(hv: u32): void {
  entering(Rank.ITEM);
  itemsHeld(1);
  take(itemWord(hv), LockKind.ITEM);
}

// Never waits, whatever is held: LRU walkers skip what they cannot have. False also when this
// thread itself holds the stripe (the lock is not re-entrant), as a pthread trylock says EBUSY.
export function itemTrylock(hv: u32): bool {
  if (!tryTake(itemWord(hv))) return false;
  itemsHeld(1);
  return true;
}

// Releases a lock taken with itemLock or itemTrylock.
export function itemUnlock(hv: u32, blocking: bool): void {
  give(itemWord(hv));
  itemsHeld(-1);
  if (blocking) leaving(Rank.ITEM);
}

export function itemLockHeld(hv: u32): bool { return heldByMe(itemWord(hv)); }

// The stripe a hash value and a bucket index share: hash expansion moves an old bucket under
// the lock of its index, which every key in that bucket hashes to (item locks are fewer than
// buckets, so the mask keeps only bits the bucket index has).
export function itemLockIndex(hv: u32): u32 { return hv & global32(Global.ITEM_LOCK_MASK); }
export function itemLockCount(): u32 { return global32(Global.ITEM_LOCK_MASK) + 1; }

// Every item lock, in index order: hash expansion switches tables with the world held still
// (memcached pauses its worker threads for it).
export function itemLockAll(): void {
  entering(Rank.ITEM);
  const n = itemLockCount();
  for (let i: u32 = 0; i < n; i++) take(ITEM_LOCKS + (<usize>i << 2), LockKind.ITEM);
}

export function itemUnlockAll(): void {
  const n = itemLockCount();
  for (let i: u32 = 0; i < n; i++) give(ITEM_LOCKS + (<usize>i << 2));
  leaving(Rank.ITEM);
}

// ── LRU locks (items.c lru_locks) ─────────────────────────────────────────────────────

export function lruLock(id: u32): void {
  entering(Rank.LRU);
  take(lruWord(id), LockKind.LRU);
}

export function lruUnlock(id: u32): void {
  give(lruWord(id));
  leaving(Rank.LRU);
}

export function lruLockHeld(id: u32): bool { return heldByMe(lruWord(id)); }

function lruLockAll(): void {
  entering(Rank.LRU);
  for (let id: u32 = 0; id < LRU_IDS; id++) take(lruWord(id), LockKind.LRU);
}

function lruUnlockAll(): void {
  for (let id: u32 = 0; id < LRU_IDS; id++) give(lruWord(id));
  leaving(Rank.LRU);
}

// ── the global locks ───────────────────────────────────────────────────────────────────

function rankOf(g: GlobalLock): Rank {
  switch (g) {
    case GlobalLock.REBALANCE: return Rank.REBALANCE;
    case GlobalLock.CRAWLER: return Rank.CRAWLER;
    case GlobalLock.SLABS: return Rank.SLABS;
    default: return Rank.LEAF;
  }
}

export function globalLock(g: GlobalLock): void {
  entering(rankOf(g));
  take(globalWord(g), LockKind.GLOBAL);
}

export function globalTrylock(g: GlobalLock): bool {
  if (!tryTake(globalWord(g))) return false;
  entering(rankOf(g));
  return true;
}

export function globalUnlock(g: GlobalLock): void {
  give(globalWord(g));
  leaving(rankOf(g));
}

export function globalLockHeld(g: GlobalLock): bool { return heldByMe(globalWord(g)); }

// ── the whole world ────────────────────────────────────────────────────────────────────

// Every lock, in rank order: the invariant checker (checks/invariants.ts) sees every structure
// at once, with every other thread stopped between two of its operations.
export function worldLock(): void {
  globalLock(GlobalLock.REBALANCE);
  globalLock(GlobalLock.CRAWLER);
  itemLockAll();
  lruLockAll();
  globalLock(GlobalLock.SLABS);
  globalLock(GlobalLock.PREFIXES);
}

export function worldUnlock(): void {
  globalUnlock(GlobalLock.PREFIXES);
  globalUnlock(GlobalLock.SLABS);
  lruUnlockAll();
  itemUnlockAll();
  globalUnlock(GlobalLock.CRAWLER);
  globalUnlock(GlobalLock.REBALANCE);
}

// ── after a trap (recovery.ts) ────────────────────────────────────────────────────────

// Wakes everyone sleeping on any lock, so they see the recovery flag and stop.
export function wakeAllWaiters(): void {
  for (let w = LOCKS; w < ITEM_LOCKS + (<usize>itemLockCount() << 2); w += 4) atomic.notify(w, -1);
}

// With every other thread stopped: every lock free, every thread's bookkeeping clear.
export function releaseAll(): void {
  for (let w = LOCKS; w < ITEM_LOCKS + (<usize>(1 << ITEM_LOCK_POWER_MAX) << 2); w += 4) atomic.store<u32>(w, 0);
}

export function clearLockState(block: usize): void {
  store<u32>(block, 0, LS_RANKS);
  store<u32>(block, 0, LS_ITEMS);
}

// A contention counter over every thread's block, summed (the longest wait: the largest) for
// bench/locks.ts; `stats` stays memcached's.
export function lockTotal(kind: u32, c: u32): u64 {
  let total: u64 = 0;
  const blocks = settingU32(Setting.THREAD_BLOCKS);
  for (let t: u32 = 0; t < blocks; t++) {
    const v = load<u64>(threadBlock(t) + T_LOCKSTATE + LS_COUNTERS + ((<usize>kind * COUNTERS_PER_KIND + <usize>c) << 3));
    total = c == LockCounter.MAX_WAIT_NS ? max(total, v) : total + v;
  }
  return total;
}
