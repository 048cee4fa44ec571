// Who uses a shared in-process cache: which of the core's thread blocks each thread holds, how
// many hold one, whether the last has closed it, and which thread runs the clock and the
// maintenance (the timer lease). One small SharedArrayBuffer every thread's Cache sees.
//
//   Int32 words:
//      0  STATE      0 open; 1 closed (the last thread closed it: no more attaching); 2 being
//                    saved by its one thread (cache.save(): no attaching until it is written)
//      1  ATTACHED   thread blocks held
//      2  LEASE      the thread running the timers + 1; 0 none
//      3  BEAT       when that thread last renewed it, seconds since BASE
//      4  BASE       unix seconds at creation (keeps BEAT small)
//      8+t BLOCK[t]  thread block t: 0 free, 1 held, 2 gone (its thread died inside the core:
//                    never handed out again)
//
// A lease not renewed for LEASE_STALE_S seconds is taken over: its holder was terminated, or
// its event loop is blocked. Two threads running the timers for a moment is harmless (the
// maintenance takes the cache's locks; the clock only moves forward).

enum Word { STATE = 0, ATTACHED = 1, LEASE = 2, BEAT = 3, BASE = 4 }
const BLOCKS_AT = 8;
enum State { OPEN = 0, CLOSED = 1, SAVING = 2 }
enum Block { FREE = 0, HELD = 1, GONE = 2 }
const LEASE_STALE_S = 3;
const NO_LEASE = 0;

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function createRegistry(blocks: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer((BLOCKS_AT + blocks) * Int32Array.BYTES_PER_ELEMENT);
  new Int32Array(sab)[Word.BASE] = nowSeconds();
  return sab;
}

export class Registry {
  private readonly i32: Int32Array;
  readonly blocks: number;

  constructor(sab: SharedArrayBuffer) {
    this.i32 = new Int32Array(sab);
    this.blocks = this.i32.length - BLOCKS_AT;
  }

  /** A free thread block, now held by the caller; throws if the cache is closed, being saved or full. */
  claim(): number {
    const i32 = this.i32;
    this.mustBeOpen();
    for (let t = 0; t < this.blocks; t++) {
      if (Atomics.compareExchange(i32, BLOCKS_AT + t, Block.FREE, Block.HELD) !== Block.FREE) continue;
      Atomics.add(i32, Word.ATTACHED, 1);
      // The last thread may have closed it (or begun saving it) between the check and the claim.
      if (Atomics.load(i32, Word.STATE) === State.OPEN) return t;
      this.release(t);
      this.mustBeOpen();
    }
    throw new Error(`wasmcached: all ${this.blocks} threads of this cache are in use (Cache.create's \`threads\` sets how many may use it at once)`);
  }

  /** Gives block t back; the last one given back closes the cache. */
  release(t: number): void {
    if (Atomics.compareExchange(this.i32, BLOCKS_AT + t, Block.HELD, Block.FREE) !== Block.HELD) return;
    this.releaseLease(t);
    this.detached();
  }

  /** Thread t died inside the core: its block is not handed out again, and it no longer counts. */
  markGone(t: number): void {
    if (Atomics.compareExchange(this.i32, BLOCKS_AT + t, Block.HELD, Block.GONE) !== Block.HELD) return;
    this.releaseLease(t);
    this.detached();
  }

  private detached(): void {
    if (Atomics.sub(this.i32, Word.ATTACHED, 1) === 1) Atomics.store(this.i32, Word.STATE, State.CLOSED);
  }

  private mustBeOpen(): void {
    const state = Atomics.load(this.i32, Word.STATE);
    if (state === State.CLOSED) throw new Error("wasmcached: this cache was closed by every thread that had it");
    if (state === State.SAVING) throw new Error("wasmcached: this cache is being saved: attach once save() has returned");
  }

  /**
   * Runs `save` while the calling thread is the only one holding the cache and no other can
   * attach: a save reads the whole memory, which no other thread may be changing.
   */
  alone<T>(save: () => T): T {
    const others = "wasmcached: save() reads the whole cache: every other thread must close it first";
    if (Atomics.compareExchange(this.i32, Word.STATE, State.OPEN, State.SAVING) !== State.OPEN) this.mustBeOpen();
    try {
      // A thread that claimed a block just before the state changed counts here.
      if (this.attached() !== 1) throw new Error(others);
      return save();
    } finally {
      Atomics.store(this.i32, Word.STATE, State.OPEN);
    }
  }

  closed(): boolean { return Atomics.load(this.i32, Word.STATE) === State.CLOSED; }
  attached(): number { return Atomics.load(this.i32, Word.ATTACHED); }

  /** Renews or takes the timer lease for thread t; true while t holds it. */
  holdLease(t: number): boolean {
    const i32 = this.i32;
    const now = nowSeconds() - i32[Word.BASE];
    const holder = Atomics.load(i32, Word.LEASE);
    if (holder === t + 1) {
      Atomics.store(i32, Word.BEAT, now);
      return true;
    }
    if (holder !== NO_LEASE && now - Atomics.load(i32, Word.BEAT) < LEASE_STALE_S) return false;
    if (Atomics.compareExchange(i32, Word.LEASE, holder, t + 1) !== holder) return false;
    Atomics.store(i32, Word.BEAT, now);
    return true;
  }

  /** The thread holding the timer lease, or -1. */
  leaseHolder(): number { return Atomics.load(this.i32, Word.LEASE) - 1; }

  private releaseLease(t: number): void {
    Atomics.compareExchange(this.i32, Word.LEASE, t + 1, NO_LEASE);
  }
}
