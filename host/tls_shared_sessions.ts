// ssl_session_cache with worker threads: one session cache for every worker's TLS context, as
// memcached's threads share one SSL_CTX, so a client resumes whichever worker it lands on. A
// SharedArrayBuffer of fixed slots, direct-mapped by a hash of the session id (a new session
// replaces the one in its slot, where OpenSSL drops the oldest); a spin lock word guards every
// operation, each of which copies at most one slot. A session larger than a slot (a client
// certificate much larger than usual) is not kept: that client's next handshake is a full one.
//
//   0  lock   i32   0 free, 1 taken
//   8  slots  capacity × SLOT:
//        0  expires  f64   Date.now() after which it is gone; 0: empty
//        8  idLen    u32
//       12  dataLen  u32
//       16  id       ID_MAX bytes
//       48  data     DATA_MAX bytes (158 for a TLS 1.2 session without a client certificate)
import { SESSION_CACHE_SIZE, type SessionStore } from "./tls_session_cache.js";
import { SESSION_TIMEOUT_S } from "./tls.js";
import { fnv1a } from "./fnv1a.js";

const ID_MAX = 32;
const DATA_MAX = 2048;
const SLOT_ID = 16;
const SLOT_DATA = SLOT_ID + ID_MAX;
const SLOT = SLOT_DATA + DATA_MAX;
const SLOTS_AT = 8;
const MS_PER_S = 1000;

export function createSharedSessions(capacity = SESSION_CACHE_SIZE): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS_AT + capacity * SLOT);
}

export class SharedTlsSessions implements SessionStore {
  private readonly lock: Int32Array;
  private readonly view: DataView;
  private readonly u8: Uint8Array;
  private readonly capacity: number;

  constructor(sab: SharedArrayBuffer, private readonly now: () => number = Date.now) {
    this.lock = new Int32Array(sab, 0, 1);
    this.view = new DataView(sab);
    this.u8 = new Uint8Array(sab);
    this.capacity = Math.floor((sab.byteLength - SLOTS_AT) / SLOT);
  }

  add(id: Buffer, data: Buffer): void {
    if (id.length > ID_MAX || data.length > DATA_MAX) return;
    const at = this.slotOf(id);
    this.locked(() => {
      this.view.setFloat64(at, this.now() + SESSION_TIMEOUT_S * MS_PER_S, true);
      this.view.setUint32(at + 8, id.length, true);
      this.view.setUint32(at + 12, data.length, true);
      this.u8.set(id, at + SLOT_ID);
      this.u8.set(data, at + SLOT_DATA);
    });
  }

  get(id: Buffer): Buffer | null {
    if (id.length > ID_MAX) return null;
    const at = this.slotOf(id);
    return this.locked(() => {
      if (this.view.getFloat64(at, true) <= this.now()) return null;
      if (this.view.getUint32(at + 8, true) !== id.length) return null;
      if (!id.equals(this.u8.subarray(at + SLOT_ID, at + SLOT_ID + id.length))) return null;
      return Buffer.from(this.u8.slice(at + SLOT_DATA, at + SLOT_DATA + this.view.getUint32(at + 12, true)));
    });
  }

  private slotOf(id: Uint8Array): number {
    return SLOTS_AT + (fnv1a(id) % this.capacity) * SLOT;
  }

  private locked<T>(f: () => T): T {
    while (Atomics.compareExchange(this.lock, 0, 0, 1) !== 0) { /* another thread copies one slot */ }
    try {
      return f();
    } finally {
      Atomics.store(this.lock, 0, 0);
    }
  }
}
