// Trap recovery with threads (host/README.md, "Traps"). A trap can stop a thread half-way
// through a change while it holds locks; the other threads must neither deadlock on those
// locks nor go on working on what it left half done.
//
// 1. The trapped thread raises the core's RECOVERY flag (locks/recovery.ts) and wakes every
//    sleeper: a thread that would wait for a lock traps instead, and every host checks the
//    flag before each call into the core (enter()), so nobody new goes in.
// 2. It waits until no other thread is inside the core (INSIDE words of shared_host.ts).
// 3. It checks the invariants and resets the cache in place if they do not hold
//    (Engine.recover), counts a reset in RESETS, bumps EPOCH, and lowers the flag: the core
//    releases every lock and gives an interrupted page move back.
// 4. Every other thread, at its next call (or at once, if it trapped waiting for a lock),
//    sees the new epoch and reconciles its connections: after a reset — in any recovery since
//    it last looked, not only the latest — the ones between commands are opened afresh and
//    the others closed, as on one thread.
//
// A thread that traps after a recovery began and had to wait for it to leave the core (it was
// inside when the flag went up) does not start another: that recovery's check ran after it
// left, so it covered what this trap left behind. The thread follows it instead.
import type { Recovery } from "../engine_api.js";
import { SharedHost, Word } from "./shared_host.js";

/** A host must not call into the core now: a recovery is under way, or one finished since
 * this thread last called. Not a trap: nothing ran. */
export class RecoveryPending extends Error {
  constructor() { super("a recovery after another thread's trap is under way"); }
}

/** What the engine calls around each call into the core. */
export interface CoreGate {
  enter(): void;
  leave(): void;
  /** After a throw from the core or RecoveryPending: this thread's part of the recovery. */
  recover(checkOrReset: () => Recovery, trapped: boolean): Recovery;
}

const POLL_MS = 1;
const OTHER_THREAD = "another thread trapped and the cache was reset";
const EXIT_SOFTWARE = 70;

/** What the recovering thread does about a thread still inside the core `ms` after a trap. */
export interface StuckPolicy {
  ms: number;
  /** Returns only if the thread is to be counted out of the core from now on. */
  stuck(thread: number): void;
}

// The server's threads are its own: one that does not come out is stuck, and the process exits
// rather than check memory under it.
export const EXIT_WHEN_STUCK: StuckPolicy = {
  ms: 10_000,
  stuck(thread) {
    process.stderr.write(`wasmcached: thread ${thread} did not leave the core within ${this.ms} ms of a trap: exiting\n`);
    process.exit(EXIT_SOFTWARE);
  },
};

export class SharedRecovery implements CoreGate {
  private seenEpoch: number;
  private seenResets: number;
  private readonly inside: number;
  private calls = 0;

  constructor(private readonly host: SharedHost, private readonly core32: () => Int32Array,
    private readonly recoveryWord: number, private readonly raise: () => boolean,
    private readonly lower: () => void, private readonly policy: StuckPolicy = EXIT_WHEN_STUCK) {
    this.inside = host.insideIndex(host.me);
    this.seenEpoch = Atomics.load(host.i32, Word.EPOCH);
    this.seenResets = Atomics.load(host.i32, Word.RESETS);
  }

  enter(): void {
    const i32 = this.host.i32;
    // Each call writes a new odd number: a word that stays the same while nonzero shows a
    // thread inside one call all along (sharing/watchdog.ts), at the cost of one store as before.
    this.calls = (this.calls + 2) | 0;
    Atomics.store(i32, this.inside, this.calls | 1);
    if (Atomics.load(this.core32(), this.recoveryWord) === 0 && Atomics.load(i32, Word.EPOCH) === this.seenEpoch) return;
    Atomics.store(i32, this.inside, 0);
    throw new RecoveryPending();
  }

  leave(): void { Atomics.store(this.host.i32, this.inside, 0); }

  recover(checkOrReset: () => Recovery, trapped: boolean): Recovery {
    const started = performance.now();
    const i32 = this.host.i32;
    Atomics.store(i32, this.inside, 0);
    // A recovery ended since this thread's call went in: it waited for the call to leave.
    const covered = Atomics.load(i32, Word.EPOCH) !== this.seenEpoch;
    if (trapped && !covered && this.raise()) return this.coordinate(checkOrReset);
    return this.follow(started);
  }

  // The first thread to trap: everyone else out, then check or reset.
  private coordinate(checkOrReset: () => Recovery): Recovery {
    this.waitForOthersOutside();
    const recovery = checkOrReset();
    const i32 = this.host.i32;
    if (recovery.outcome === "reset") Atomics.add(i32, Word.RESETS, 1);
    const outcome = this.sinceLastLook(recovery);
    this.seenEpoch = Atomics.add(i32, Word.EPOCH, 1) + 1;
    this.lower();
    Atomics.notify(i32, Word.EPOCH);
    return outcome;
  }

  // Another thread recovers (or did): wait for it, and take the outcome.
  private follow(started: number): Recovery {
    const i32 = this.host.i32;
    while (Atomics.load(i32, Word.EPOCH) === this.seenEpoch) Atomics.wait(i32, Word.EPOCH, this.seenEpoch, POLL_MS);
    while (Atomics.load(this.core32(), this.recoveryWord) !== 0) Atomics.wait(i32, Word.PAUSE, 0, POLL_MS);
    this.seenEpoch = Atomics.load(i32, Word.EPOCH);
    return this.sinceLastLook({ outcome: "intact", ms: performance.now() - started });
  }

  // What this thread must act on: a reset by any recovery since it last looked, even one a
  // later recovery found whole again.
  private sinceLastLook(own: Recovery): Recovery {
    const resets = Atomics.load(this.host.i32, Word.RESETS);
    const missed = resets !== this.seenResets;
    this.seenResets = resets;
    if (own.outcome === "reset" || !missed) return own;
    return { outcome: "reset", reason: OTHER_THREAD, ms: own.ms };
  }

  private waitForOthersOutside(): void {
    const deadline = Date.now() + this.policy.ms;
    for (let t = 0; t < this.host.threadCount; t++) {
      if (t === this.host.me) continue;
      const at = this.host.insideIndex(t);
      while (Atomics.load(this.host.i32, at) !== 0) {
        if (Date.now() > deadline) {
          this.policy.stuck(t);
          Atomics.store(this.host.i32, at, 0);
          break;
        }
        Atomics.wait(this.host.i32, Word.PAUSE, 0, POLL_MS);
      }
    }
  }
}
