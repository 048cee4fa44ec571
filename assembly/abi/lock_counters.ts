// The lock contention counters the core keeps per thread (locks/locks.ts) and the host reads
// summed over threads with lockStat(kind, counter), for bench/locks.ts. `stats` stays memcached's.
export enum LockKind { ITEM = 0, LRU = 1, GLOBAL = 2, COUNT = 3 }

export enum LockCounter {
  /** acquisitions that found the lock taken */
  CONTENDED = 0,
  /** spin rounds before those took it or slept */
  SPINS = 1,
  /** atomic.wait calls */
  SLEEPS = 2,
  /** nanoseconds from finding it taken to taking it */
  WAIT_NS = 3,
  /** the longest such wait (over threads: the largest) */
  MAX_WAIT_NS = 4,
  COUNT = 5,
}
