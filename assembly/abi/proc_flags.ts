// What a process() call asks of the host (the PROC_FLAGS bits, read with procFlags()).
// Plain TypeScript, imported by the core and the host, so each bit is declared once.
export enum ProcFlag {
  CLOSE = 1,         // close after sending the replies (quit, a protocol violation)
  NEED_MORE = 2,     // procNeed() bytes, from the first unconsumed one, before the next call
  AGAIN = 4,         // the reply area filled: send it, then call again at once
  YIELD = 8,         // -R commands served: let other connections run first
  SHUTDOWN = 16,     // `shutdown` with -A: stop the server
  CLOSE_NOW = 32,    // close without sending (HTTP guard, oversized line)
  STATS_CONNS = 64,  // `stats conns`: the host appends its connection lines
  SWALLOW = 128,     // a refused data block is still arriving: hold the replies
  WATCH = 256,       // `watch`: this connection now receives log lines (procWatchMask() says which)
  REFRESH_CERTS = 512, // `refresh_certs`: the host reloads the certificates and answers (procNeed() 1: noreply)
  GRACEFUL = 1024,   // with SHUTDOWN: `shutdown graceful`, which memcached turns into SIGUSR1 (save the cache)
}
