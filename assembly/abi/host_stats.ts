// Numbers only the host knows (process, connections, sockets), one f64 slot each in the
// HOSTSTATS block. The host keeps them current; the core prints them in `stats` next to its
// own counters. Plain TypeScript, imported by both sides, so a slot is declared once.
export enum HostStat {
  PID = 0,
  RUSAGE_USER_US,
  RUSAGE_SYSTEM_US,
  CURR_CONNECTIONS,
  TOTAL_CONNECTIONS,
  REJECTED_CONNECTIONS,
  CONNECTION_STRUCTURES,
  READ_BUF_COUNT,
  READ_BUF_BYTES,
  BYTES_READ,
  BYTES_WRITTEN,
  ACCEPTING_CONNS,
  CONN_YIELDS,
  IDLE_KICKS,
  THREADS,
  RESPONSE_OBJ_OOM,
  READ_BUF_OOM,
  LOG_WATCHER_SKIPPED,
  LOG_WATCHER_SENT,
  LOG_WATCHERS,
  SSL_NEW_SESSIONS,
  SSL_HANDSHAKE_ERRORS,
  SSL_CERT_REFRESH_TIME, // the core's current_time when the certificates were last loaded
  COUNT,
}
