// What the core's exported operations return, and where they leave the rest (the RESULT block,
// assembly/operations/result.ts). Plain TypeScript, imported by the core and the host.

export enum StoreOp { SET = 1, ADD = 2, REPLACE = 3, APPEND = 4, PREPEND = 5, CAS = 6 }

export enum StoreResult {
  STORED = 0, NOT_STORED = 1, EXISTS = 2, NOT_FOUND = 3, TOO_LARGE = 4, NO_MEMORY = 5,
  BAD_DATA = 6, // the data block did not end in "\r\n" (never from the exported store())
}

export enum ArithResult { OK = 0, NOT_FOUND = 1, NON_NUMERIC = 2, NO_MEMORY = 3, EXISTS = 4 }

export enum CrawlStart { OK = 0, BUSY = 1, BADCLASS = 2, NOTSTARTED = 3 }

// init()'s answer.
// Any -m is taken (memory/memlimit.ts caps what a wasm32 memory cannot hold), so no limit is refused.
export enum InitError { OK = 0, STATIC_OVERLAP = 1, OUT_OF_MEMORY = 2 }

// The RESULT block, byte offsets (64-bit values are passed here: an i64 crossing to JS would
// become a BigInt):
//   0  cas     u64   in: the CAS to compare (cas command, 0 = none); out: the item's CAS
//   8  flags   u32   out: client flags
//  12  len     u32   out: value length
//  16  value   u32   out: address of the value bytes (item memory, or the value area if chunked)
//  24  number  u64   in: incr/decr delta; out: the new counter value
export enum ResultOffset { CAS = 0, FLAGS = 8, LEN = 12, VALUE = 16, NUMBER = 24 }
