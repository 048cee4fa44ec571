// The log the core writes for `watch` connections and -vv (assembly/logger/logger.ts) and the
// host drains. Plain TypeScript, imported by the core and the host.

// Entry types, one bit each: a watcher's mask is an OR of the ones it asked for.
export enum LogType {
  FETCHERS = 1,     // watch fetchers: every item lookup
  MUTATIONS = 2,    // watch mutations: every store
  EVICTIONS = 4,    // watch evictions
  CONNEVENTS = 8,   // watch connevents: written by the host, which sees connections
  QUIET = 16,       // event kinds memcached accepts but that never fire here (proxy, raw)
  VERBOSE = 128,    // -vv traces, for stderr rather than watchers
}

// An entry: type u8, text length u16, log id u64 (0 for VERBOSE), then the text.
export enum LogEntry { TYPE = 0, LENGTH = 1, GID = 3, HEADER = 11 }
