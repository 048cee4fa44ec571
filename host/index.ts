// The package entry: `import { Cache } from "wasmcached"` for the in-process cache, and
// startServer for running the memcached-compatible server inside an application.
export { Cache } from "./cache.js";
export type { CacheOptions, SetOptions, CacheEntry, CacheHandle } from "./cache.js";
export { startServer } from "./node/server.js";
export type { RunningServer } from "./node/server.js";
export type { ServerOptions } from "./options.js";
export { RestoreRefused } from "./restart/restart.js";
