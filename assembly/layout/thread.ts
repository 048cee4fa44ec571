// Each thread's own block: what one thread's call in progress keeps, its counters, and the
// addresses of its buffers. Every instance of the module attaches to one block (threadAttach)
// and keeps its address in THREAD, the core's only module global: module globals are per
// instance, the memory is shared.
//
// Thread block (THREADS + t × THREAD_BLOCK_SIZE):
//
//      0 ┌──────────────────────────┐
//        │ CALL   ThreadGlobal × u64│ the call in progress and this thread's buffers
//    256 ├──────────────────────────┤
//        │ KEYBUF     256 B         │ key argument of the exported API
//    512 │ RESULT     64 B          │ results of the exported API (operations/result.ts)
//    576 │ SCRATCH    64 B          │ per-command scratch (drawn below)
//    640 │ TOKENS     24 × 8 B      │ protocols/tokens.ts tokenizer output
//    832 │ META       512 B         │ protocols/meta.ts parsed flags, decoded key
//   1344 │ BINPKT     64 B          │ protocols/binary.ts: the packet being served
//   1408 │ UDP        64 B          │ protocols/udp.ts: datagram and framing state
//   1472 │ LOCKSTATE  128 B         │ locks/locks.ts: locks held, contention counters
//   1600 │ HOSTSTATS  32 × f64      │ abi/host_stats.ts, kept current by this thread's host
//   1856 │ STATS      128 × u64     │ counters/counters.ts Stat, this thread's counts
//   2880 │ CLASSSTATS 64 × 64 B     │ counters/counters.ts SlabStat, per class
//   6976 │ ITEMSTATS  256 × 160 B   │ counters/counters.ts LruStat, per LRU
//  47936 │ UDP_MARKS  8192 × u64    │ protocols/udp.ts: where each response object ends
// 113472 └──────────────────────────┘ (block rounded up to 128 KiB)
//
// Counters are per thread, as memcached's thread_stats are: nobody else writes them, so they
// need no lock, and `stats` sums them over every block.
//
// SCRATCH: short-lived values of the command being served, one slot per use:
//   0  DIGITS   24 B  a number as decimal text (incr/decr's counter, ma's reply, new counters)
//  32  NUMBER   8 B   the last number the tokenizer parsed (u64, i64 or f64)
//  40  NOREPLY  u8    the text command being served said `noreply`
//  41  CREATED  u8    the meta fetch just served created (vivified) its item
import { Global, global32 } from "./layout";

export enum ThreadGlobal {
  OUTBUF = 0,           // address / size of this thread's reply area
  OUTBUF_SIZE,
  OUTBUF_LEN,           // bytes written into OUTBUF by the last call
  OUTBUF_SENT,          // of those, the ones memcached would have transmitted already (text get)
  OUTBUF_CUT,           // lowest length OUTBUF was cut back to since UDP last framed it
  INBUF,                // address / size of this thread's receive area
  INBUF_SIZE,
  VALBUF,               // address / size of the value staging area (exported API)
  VALBUF_SIZE,
  LOGBUF,               // logger/logger.ts: entry area, bytes used, entries dropped
  LOG_LEN,
  LOG_DROPPED,
  PROC_FLAGS,           // what the last process() call asks of the host (abi/proc_flags.ts)
  PROC_NEED,            // bytes the next process() call needs before it can progress
  PROC_WATCH_MASK,      // with ProcFlag.WATCH: the LogType bits the new watcher asked for
  CURRENT_CONN,         // connection the running process() call serves
  HELD_ITEM,            // 1 while an operation's item is handed to the caller, locked
  HELD_ITEM_HV,         //   and the hash value whose item lock it holds (operations/hold.ts)
  INDEX,                // this block's thread number
  RESPONSE_LIMIT,       // response objects a connection of this thread may stack, plus one; 0:
                        //   no limit (read_buf_mem_limit: the host keeps its worker's share here)
  COUNT,
}

export const THREAD_BLOCK_SIZE: usize = 128 * 1024;
export const T_KEYBUF: usize = 256;
export const KEYBUF_SIZE: usize = 256;
export const T_RESULT: usize = 512;
export const T_SCRATCH: usize = 576;
export const T_TOKENS: usize = 640;
export const T_META: usize = 832;
export const T_BINPKT: usize = 1344;
export const T_UDP: usize = 1408;
export const T_LOCKSTATE: usize = 1472;
export const LOCKSTATE_SIZE: usize = 128;
export const T_HOSTSTATS: usize = 1600;
export const T_STATS: usize = 1856;
export const STATS_SLOTS: u32 = 128;
export const T_CLASSSTATS: usize = 2880;
export const CLASSSTATS_SIZE: usize = 64;
export const T_ITEMSTATS: usize = 6976;
export const ITEMSTATS_SIZE: usize = 160;
export const T_UDP_MARKS: usize = 47936;

export const SCRATCH_DIGITS: usize = 0;
export const SCRATCH_DIGITS_SIZE: usize = 24;
export const SCRATCH_NUMBER: usize = 32;
export const SCRATCH_NOREPLY: usize = 40;
export const SCRATCH_CREATED: usize = 41;

// This instance's thread block (set once, by threadAttach).
export let THREAD: usize = 0;

// Attaches this instance to block t (0 for a core on one thread).
export function threadAttach(t: u32): void {
  THREAD = <usize>global32(Global.THREADS) + <usize>t * THREAD_BLOCK_SIZE;
  setThread32(ThreadGlobal.INDEX, t);
}

@inline export function threadBlock(t: u32): usize {
  return <usize>global32(Global.THREADS) + <usize>t * THREAD_BLOCK_SIZE;
}

@inline export function setBlock32(block: usize, id: ThreadGlobal, v: u32): void {
  store<u32>(block + (<usize>id << 3), v);
}

@inline export function threadIndex(): u32 { return load<u32>(THREAD + (<usize>ThreadGlobal.INDEX << 3)); }

@inline export function thread32(id: ThreadGlobal): u32 { return load<u32>(THREAD + (<usize>id << 3)); }
@inline export function setThread32(id: ThreadGlobal, v: u32): void { store<u32>(THREAD + (<usize>id << 3), v); }

@inline export function keyBuf(): usize { return THREAD + T_KEYBUF; }
@inline export function resultBlock(): usize { return THREAD + T_RESULT; }
@inline export function scratch(slot: usize): usize { return THREAD + T_SCRATCH + slot; }
@inline export function tokensBlock(): usize { return THREAD + T_TOKENS; }
@inline export function metaBlock(): usize { return THREAD + T_META; }
@inline export function binpktBlock(): usize { return THREAD + T_BINPKT; }
@inline export function udpBlock(): usize { return THREAD + T_UDP; }
@inline export function udpMarks(): usize { return THREAD + T_UDP_MARKS; }
@inline export function lockState(): usize { return THREAD + T_LOCKSTATE; }
@inline export function hostStatsBlock(): usize { return THREAD + T_HOSTSTATS; }
