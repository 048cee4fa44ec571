// node:tls for the Node socket adapter (Deno's too, through its node:tls).
//
// One tls.Server that never listens holds the context, the session cache and the handshake
// events; the adapter's node:net listeners hand it each accepted socket. So the driver has the
// connection from the moment TCP accepts it, as memcached does — counted, bounded by -c, closed
// by the idle timeout even while its handshake stalls — and gets the TLS socket once the
// handshake is done.
import type net from "node:net";
import tls from "node:tls";
import { SESSION_TIMEOUT_S, TlsConfig, TlsContext, TlsEvents, TlsMaterial } from "../tls.js";
import { TlsSessionCache, type SessionStore } from "../tls_session_cache.js";

/** Gets the TLS socket of a handshake that completed. */
export type Secured = (s: tls.TLSSocket) => void;

// A connection's TCP endpoints: the same on the accepted socket and on its TLS socket, and
// unique among open connections.
function endpoints(s: net.Socket): string {
  return `${s.localAddress}:${s.localPort}/${s.remoteAddress}:${s.remotePort}`;
}

// OpenSSL's complaints about what a client sent (ERR_SSL_*), and a certificate the check
// refused; a client that merely went away or stalled is not a handshake error.
function handshakeError(err: Error & { code?: string }, s: tls.TLSSocket): boolean {
  return (err.code ?? "").startsWith("ERR_SSL_") || !!s.authorizationError;
}

function hasPeerCertificate(s: tls.TLSSocket): boolean {
  return Object.keys(s.getPeerCertificate()).length > 0;
}

export class NodeTls implements TlsContext {
  private readonly server: tls.Server;
  private readonly waiting = new Map<string, Secured>();

  constructor(private readonly config: TlsConfig, material: TlsMaterial, private readonly events: TlsEvents) {
    this.server = tls.createServer(this.options(material));
    this.server.on("secureConnection", (s: tls.TLSSocket) => this.secured(s));
    this.server.on("tlsClientError", (err: Error, s: tls.TLSSocket) => {
      if (handshakeError(err, s)) events.handshakeFailed();
    });
    if (config.sessionCache) this.cacheSessions(config.sessions ?? new TlsSessionCache());
    this.shareTicketKeys();
  }

  reload(material: TlsMaterial): void {
    this.server.setSecureContext(this.options(material));
    this.shareTicketKeys();
  }

  // Worker threads seal tickets with the same keys, so a ticket from one resumes on any.
  private shareTicketKeys(): void {
    if (this.config.ticketKeys) this.server.setTicketKeys(Buffer.from(this.config.ticketKeys));
  }

  /** Starts the handshake on an accepted socket; `secured` gets its TLS socket if it completes. */
  handshake(raw: net.Socket, secured: Secured): void {
    const key = endpoints(raw);
    this.waiting.set(key, secured);
    raw.once("close", () => {
      if (this.waiting.get(key) === secured) this.waiting.delete(key);
    });
    this.server.emit("connection", raw);
  }

  private options(material: TlsMaterial): tls.TlsOptions {
    const c = this.config;
    return {
      ...material,
      // Verify mode 1 lets a client without a certificate in: Node's own refusal would turn
      // it away too, so that mode is checked in secured().
      requestCert: c.requestCert,
      rejectUnauthorized: c.requireCert,
      minVersion: c.minVersion,
      ciphers: c.ciphers,
      sessionTimeout: SESSION_TIMEOUT_S,
    };
  }

  private secured(s: tls.TLSSocket): void {
    const key = endpoints(s);
    const secured = this.waiting.get(key);
    this.waiting.delete(key);
    if (!secured) {
      s.destroy(); // its connection was closed (idle timeout) while the handshake finished
      return;
    }
    if (this.config.requestCert && !s.authorized && hasPeerCertificate(s)) {
      this.events.handshakeFailed();
      s.destroy();
      return;
    }
    secured(s);
  }

  private cacheSessions(cache: SessionStore): void {
    this.server.on("newSession", (id: Buffer, data: Buffer, done: () => void) => {
      this.events.newSession();
      cache.add(id, data);
      done();
    });
    this.server.on("resumeSession", (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, cache.get(id));
    });
  }
}
