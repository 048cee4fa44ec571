// What the in-process hammer's threads share besides the core (test/threads/hammer.test.ts):
// one SharedArrayBuffer with a stop flag, a failure flag, a barrier the racing threads meet at
// between rounds, one result slot per racer, the sums of their counter deltas, and the words
// that park every thread for an invariant check.
//
// Why parking: the checker takes every lock, but that does not stop the world. A store
// allocates its item before it takes the item lock (operations/storage.ts), so a thread can
// hold a chunk that is in no list yet while the checker counts; only a thread outside the core
// is really still. So the checking thread asks every thread to park at its next point
// between two calls, waits until all have, checks, and lets them go.
//
//   Int32 words:  0 STOP   1 FAILED   2 COUNT   3 GENERATION   4 PARK   5 PARKED
//                 6.. one result per racer
//   then, 8-aligned, BigInt64 sums: 0 incr deltas, 1 decr deltas
const STOP = 0;
const FAILED = 1;
const COUNT = 2;
const GENERATION = 3;
const PARK = 4;
const PARKED = 5;
const RESULTS = 6;
const SUMS = 2;
// A waiter looks at the failure flag this often: a thread that failed never arrives.
const POLL_MS = 50;

export enum Sum { INCR = 0, DECR = 1 }

// Where the sums start: after the result words, 8-aligned.
function sumsAt(racers: number): number { return Math.ceil((RESULTS + racers) / 2) * 8; }

export function createControl(racers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(sumsAt(racers) + SUMS * BigInt64Array.BYTES_PER_ELEMENT);
}

export class HammerControl {
  private readonly i32: Int32Array;
  private readonly sums: BigInt64Array;

  constructor(sab: SharedArrayBuffer, private readonly parties: number) {
    this.i32 = new Int32Array(sab);
    this.sums = new BigInt64Array(sab, sumsAt(parties), SUMS);
  }

  stop(): void {
    Atomics.store(this.i32, STOP, 1);
    Atomics.notify(this.i32, STOP);
  }
  stopping(): boolean { return Atomics.load(this.i32, STOP) !== 0; }

  /** Sleeps up to `ms`, or until stop(). */
  pause(ms: number): void { Atomics.wait(this.i32, STOP, 0, ms); }

  /** A thread failed: the others stop at their next barrier or loop check. */
  fail(): void {
    Atomics.store(this.i32, FAILED, 1);
    Atomics.notify(this.i32, GENERATION);
  }

  failed(): boolean { return Atomics.load(this.i32, FAILED) !== 0; }

  /**
   * Waits until every racer has arrived (a generation counter, so it can be reused). A waiter
   * is outside the core, so it counts as parked meanwhile.
   */
  barrier(): void {
    const generation = Atomics.load(this.i32, GENERATION);
    if (Atomics.add(this.i32, COUNT, 1) === this.parties - 1) {
      Atomics.store(this.i32, COUNT, 0);
      Atomics.add(this.i32, GENERATION, 1);
      Atomics.notify(this.i32, GENERATION);
      return;
    }
    Atomics.add(this.i32, PARKED, 1);
    while (Atomics.load(this.i32, GENERATION) === generation) {
      if (this.failed()) throw new Error("stopped: another thread failed");
      Atomics.wait(this.i32, GENERATION, generation, POLL_MS);
    }
    this.unpark();
  }

  // ── parking, for an invariant check ──────────────────────────────────────────────────

  /** A thread between two calls into the core: parks here while a check is asked for. */
  safePoint(): void {
    if (Atomics.load(this.i32, PARK) === 0) return;
    Atomics.add(this.i32, PARKED, 1);
    this.unpark();
  }

  // Leaves the parked count, unless a check is (again) asked for: the checker, which raised
  // PARK before it read PARKED, then either saw this thread not parked or sees it here.
  private unpark(): void {
    for (;;) {
      while (Atomics.load(this.i32, PARK) !== 0) Atomics.wait(this.i32, PARK, 1, POLL_MS);
      Atomics.sub(this.i32, PARKED, 1);
      if (Atomics.load(this.i32, PARK) === 0) return;
      Atomics.add(this.i32, PARKED, 1);
    }
  }

  /** A thread that is done calls into the core no more: parked for good. */
  retire(): void { Atomics.add(this.i32, PARKED, 1); }

  /** The checking thread: asks every thread to park and tells how many have. */
  askToPark(): void { Atomics.store(this.i32, PARK, 1); }
  parked(): number { return Atomics.load(this.i32, PARKED); }

  release(): void {
    Atomics.store(this.i32, PARK, 0);
    Atomics.notify(this.i32, PARK);
  }

  setResult(racer: number, code: number): void { Atomics.store(this.i32, RESULTS + racer, code); }
  results(): number[] { return Array.from({ length: this.parties }, (_, i) => Atomics.load(this.i32, RESULTS + i)); }

  addSum(which: Sum, n: bigint): void { Atomics.add(this.sums, which, n); }
  sum(which: Sum): bigint { return Atomics.load(this.sums, which); }
}
