// ssl_session_cache: the sessions the server created, kept for clients that resume by session id
// (TLS 1.2 without tickets; tickets resume without it). Bounded as OpenSSL bounds memcached's
// cache: at most SESSION_CACHE_SIZE sessions, each for SESSION_TIMEOUT_S, the oldest dropped first.
import { SESSION_TIMEOUT_S } from "./tls.js";

// OpenSSL's SSL_SESSION_CACHE_MAX_SIZE_DEFAULT.
export const SESSION_CACHE_SIZE = 20 * 1024;
const MS_PER_S = 1000;

/** Where a TLS context keeps the sessions it creates, for clients that resume by id. */
export interface SessionStore {
  add(id: Buffer, data: Buffer): void;
  get(id: Buffer): Buffer | null;
}

interface Session {
  data: Buffer;
  expires: number;
}

export class TlsSessionCache implements SessionStore {
  // Insertion order is age order: a Map iterates oldest first.
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly capacity = SESSION_CACHE_SIZE, private readonly now: () => number = Date.now) {}

  get size(): number { return this.sessions.size; }

  add(id: Buffer, data: Buffer): void {
    const key = id.toString("hex");
    this.sessions.delete(key);
    this.sessions.set(key, { data, expires: this.now() + SESSION_TIMEOUT_S * MS_PER_S });
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= this.capacity) break;
      this.sessions.delete(oldest);
    }
  }

  /** The session stored under `id`, unless it has expired (it is then dropped). */
  get(id: Buffer): Buffer | null {
    const key = id.toString("hex");
    const s = this.sessions.get(key);
    if (!s) return null;
    if (s.expires > this.now()) return s.data;
    this.sessions.delete(key);
    return null;
  }
}
