// The one import besides the memory: the host's monotonic clock in nanoseconds
// (host/wasm_engine.ts passes it as env.monotonicNs). Read only when a lock is found taken, to
// time the wait for bench/locks.ts; the cache itself reads no time but the clock the host sets.
@external("env", "monotonicNs")
export declare function monotonicNs(): f64;
