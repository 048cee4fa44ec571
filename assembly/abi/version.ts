// The memcached version wasmcached answers as: `version`, `stats`, the binary VERSION and
// `-V` all print it. Plain TypeScript, imported by the core and the host.
export const MEMCACHED_VERSION = "1.6.18";
