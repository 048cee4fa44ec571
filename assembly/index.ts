// The exported ABI of the core. The host writes settings, keys and values into fixed areas
// (addresses from the *Addr exports), calls an operation, and reads RESULT (operations/result.ts).
// Every call is short: maintenance work is cut into bounded steps the host runs on timers or
// on a background thread.
//
// Threads: every thread instantiates this module on the one shared memory. The first calls
// init(), which lays out the memory and attaches it to thread block 0; every other instance
// calls threadAttach(t) with its own block (layout/thread.ts) before anything else. The *Addr
// exports that name per-thread areas answer for the calling instance's thread.
import {
  thread32, setThread32, ThreadGlobal, threadAttach as attach, threadBlock, keyBuf, resultBlock,
  hostStatsBlock, setBlock32, THREAD_BLOCK_SIZE, T_HOSTSTATS, T_STATS, THREAD,
} from "./layout/thread";
import { ProcFlag } from "./abi/proc_flags";
import {
  STATE_BASE, STATE_END, SETTINGS, PAGE_SIZE, WASM_PAGE, HOST_VERSION, SETTINGS_DESC, GLOBALS,
  AUTOMOVE, AUTOMOVE_SIZE, LOCKS, LOCKS_SIZE, Global, global32, setGlobal32, setGlobal64, global64,
  setting, settingU32, alignUp, setSetting,
} from "./layout/layout";
import { inputAreaSize, outputAreaSize } from "./abi/limits";
import { Setting } from "./abi/settings";
import { StoreOp, ArithResult, InitError } from "./abi/results";
import { locksInit, lockTotal, holdsNoLock } from "./locks/locks";
import { recoveryBegin as raiseRecovery, recoveryEnd as endRecovery } from "./locks/recovery";
import { slabsInit } from "./memory/slabs";
import { updateCap, itemCeiling } from "./memory/memlimit";
import { assocInit } from "./cache/assoc";
import { clockInit, clockSet as setClock, realtime } from "./cache/clock";
import { itNbytes, itClientFlags, itCas, itData, hasFlag, ITEM_CHUNKED } from "./cache/item";
import { valueRead } from "./cache/chunk";
import { PREFIX_TABLE_SIZE } from "./counters/prefixes";
import { sizesEnable } from "./counters/sizes";
import { statsReset, Stat, statIncr } from "./counters/counters";
import { LOGBUF_SIZE, logReset, nextLogGid } from "./logger/logger";
import { crawlerInit, crawlerStart, metadumpAbort } from "./background/crawler";
import { maintenanceStep } from "./background/maintenance";
import { abandonMove } from "./background/slab_mover";
import { getCommand, touchCommand } from "./operations/retrieval";
import { deleteCommand } from "./operations/delete";
import { flushCommand } from "./operations/flush";
import { storeCommand } from "./operations/storage";
import { arithCommand, countArithMiss } from "./operations/arith";
import { itemRelease } from "./operations/hold";
import { resultCas, resultNumber, setResultCas, setResultValue } from "./operations/result";
import { CONN_SIZE, connAddr, connReset, connValid, connDumping, setConnDumping, connResume } from "./session/conn";
import { endTurn, endTurnDry } from "./session/gate";
import { respReset } from "./session/responses";
import { outReset, outLen, outStr } from "./session/output";
import { renderStats as render, StatsGroup } from "./stats/render";
import { processInput } from "./protocols/negotiate";
import { metadumpStep } from "./protocols/metadump";
import { udpProcess as udpServe, udpNext as udpTake, udpHeaderAddr as udpHeader, udpPayload as udpPayloadAt } from "./protocols/udp";
import { authLoad, authdbAddr, AUTHDB_CAPACITY } from "./protocols/auth";
import { checkInvariants as check } from "./checks/invariants";
import {
  imageQuiesce as quiesce, imageSectionAddr, imageSectionLength, imageChecksum as checksum, imageAdopt as adopt,
  imageLoadedUpTo, imageFingerprint,
} from "./restart/image";
import { ImageSection } from "./abi/image";

export function settingsAddr(): usize { return SETTINGS; }
export function keyAddr(): usize { return keyBuf(); }
export function resultAddr(): usize { return resultBlock(); }
export function valueAddr(): usize { return thread32(ThreadGlobal.VALBUF); }
export function valueCapacity(): u32 { return thread32(ThreadGlobal.VALBUF_SIZE); }
export function outAddr(): usize { return thread32(ThreadGlobal.OUTBUF); }
export function memoryCap(): f64 { return <f64>global64(Global.MEM_CAP); }
export function memoryCeiling(): f64 { return <f64>itemCeiling(); }

const AREA_ALIGN: usize = 64;

// The areas after the state block, sized from the settings (layout/layout.ts draws them):
// the connection table (one UDP record per thread past -c's), the thread blocks, the prefix
// table, then each thread's buffers. Returns where the arena begins; nothing past the state
// block is written yet (memory has not grown there).
function placeAreas(): usize {
  const blocks = settingU32(Setting.THREAD_BLOCKS);
  const conns = alignUp(STATE_END, AREA_ALIGN);
  const connsSize = <usize>(settingU32(Setting.MAX_CONNS) + blocks) * CONN_SIZE;
  const threads = alignUp(conns + connsSize, AREA_ALIGN);
  const prefixes = threads + <usize>blocks * THREAD_BLOCK_SIZE;
  setGlobal32(Global.CONNS, <u32>conns);
  setGlobal32(Global.THREADS, <u32>threads);
  setGlobal32(Global.PREFIXES, <u32>prefixes);
  return alignUp(placeBuffers(false), PAGE_SIZE);
}

// Every thread's buffers after the prefix table, written into the thread blocks when
// `write`. Returns where they end.
function placeBuffers(write: bool): usize {
  const itemMax = <usize>settingU32(Setting.ITEM_SIZE_MAX);
  let at = alignUp(<usize>global32(Global.PREFIXES) + PREFIX_TABLE_SIZE, AREA_ALIGN);
  const blocks = settingU32(Setting.THREAD_BLOCKS);
  for (let t: u32 = 0; t < blocks; t++) at = placeThreadBuffers(t, at, itemMax, write);
  return at;
}

// Thread t's receive, reply, log and value areas from `at`; returns where they end.
function placeThreadBuffers(t: u32, at: usize, itemMax: usize, write: bool): usize {
  const block = threadBlock(t);
  const inSize = <usize>inputAreaSize(<f64>itemMax);
  const outSize = <usize>outputAreaSize(<f64>itemMax);
  const valSize = alignUp(itemMax + 2, AREA_ALIGN);
  const outbuf = alignUp(at + inSize, AREA_ALIGN);
  const logbuf = alignUp(outbuf + outSize, AREA_ALIGN);
  const valbuf = alignUp(logbuf + LOGBUF_SIZE, AREA_ALIGN);
  if (!write) return valbuf + valSize;
  setBlock32(block, ThreadGlobal.INBUF, <u32>at);
  setBlock32(block, ThreadGlobal.INBUF_SIZE, <u32>inSize);
  setBlock32(block, ThreadGlobal.OUTBUF, <u32>outbuf);
  setBlock32(block, ThreadGlobal.OUTBUF_SIZE, <u32>outSize);
  setBlock32(block, ThreadGlobal.LOGBUF, <u32>logbuf);
  setBlock32(block, ThreadGlobal.VALBUF, <u32>valbuf);
  setBlock32(block, ThreadGlobal.VALBUF_SIZE, <u32>valSize);
  setBlock32(block, ThreadGlobal.INDEX, t);
  return valbuf + valSize;
}

// Sets up the engine from the SETTINGS the host wrote and attaches this instance to thread
// block 0. Returns an InitError.
export function init(unixNow: u32): u32 {
  if (__heap_base > STATE_BASE) return InitError.STATIC_OVERLAP;
  locksInit(settingU32(Setting.ITEM_LOCK_POWER));
  slabsInit();
  return setUpCache(placeAreas(), unixNow);
}

function setUpCache(arenaBase: usize, unixNow: u32): u32 {
  setGlobal64(Global.ARENA_BASE, arenaBase);
  setGlobal64(Global.FRONTIER, arenaBase);
  setGlobal64(Global.MEM_MALLOCED, <u64>setting(Setting.INITIAL_MALLOCED));
  // memcached takes any -m and allocates only what it uses: past what one wasm32 memory
  // holds, the cap stays at 4 GiB and the cache evicts there (the host warns at start-up).
  updateCap();
  // All the memory the cap allows, at once: every later memory.grow would make V8 re-take its
  // buffer and run a full GC (1-25 ms measured). Pages never touched stay out of RSS.
  const have = <u64>memory.size() * WASM_PAGE;
  const cap = global64(Global.MEM_CAP);
  if (cap > have && memory.grow(<i32>((cap - have) / WASM_PAGE)) < 0) return InitError.OUT_OF_MEMORY;
  placeBuffers(true);
  if (!THREAD) attach(0);
  if (!assocInit()) return InitError.OUT_OF_MEMORY;
  clockInit(unixNow);
  crawlerInit();
  if (settingU32(Setting.TRACK_SIZES) && !sizesEnable(0)) return InitError.OUT_OF_MEMORY;
  return InitError.OK;
}

// This instance serves thread block t (every instance but init()'s, once, before any call).
export function threadAttach(t: u32): void { attach(t); }

// After a trap left the structures broken, with every other thread out of the core: the cache
// starts over in place (the memory is shared with the other threads' instances, so it cannot be
// replaced). Kept: the settings the host wrote (it writes them again first), the `stats
// settings` descriptor, the runtime name, the credentials file's bytes (the host checks and
// reloads them) and each thread's host counters; the clock starts from `startedAt` again, as
// it did. Returns an InitError.
export function reset(startedAt: u32): u32 {
  const blocks = settingU32(Setting.THREAD_BLOCKS);
  const frontierHigh = max<u64>(global64(Global.FRONTIER), global64(Global.FRONTIER_HIGH));
  for (let t: u32 = 0; t < blocks; t++) {
    const block = threadBlock(t);
    memory.fill(block, 0, T_HOSTSTATS);
    memory.fill(block + T_STATS, 0, THREAD_BLOCK_SIZE - T_STATS);
  }
  memory.fill(global32(Global.CONNS), 0, <usize>(settingU32(Setting.MAX_CONNS) + blocks) * CONN_SIZE);
  memory.fill(global32(Global.PREFIXES), 0, PREFIX_TABLE_SIZE);
  memory.fill(GLOBALS, 0, HOST_VERSION - GLOBALS);
  memory.fill(AUTOMOVE, 0, AUTOMOVE_SIZE);
  memory.fill(LOCKS, 0, LOCKS_SIZE);
  // Pages below the old frontier hold old bytes: what is taken from them again is zeroed first.
  setGlobal64(Global.FRONTIER_HIGH, frontierHigh);
  locksInit(settingU32(Setting.ITEM_LOCK_POWER));
  slabsInit();
  return setUpCache(placeAreas(), startedAt);
}
export function clockSet(unixNow: u32): void { setClock(unixNow); }
export function currentTime(): u32 { return global32(Global.CURRENT_TIME); }

// get (touch 0) / gat (touch 1): -1 on a miss, else the value length; RESULT has the rest.
// The value is copied to the value area while the item is held (once released, another thread
// may change or free it), and stays readable there until the next call.
export function get(nkey: u32, touch: u32, exptime: f64): i32 {
  const it = getCommand(keyBuf(), nkey, touch != 0, <i64>exptime);
  if (!it) return -1;
  const len = itNbytes(it);
  const addr = thread32(ThreadGlobal.VALBUF);
  valueRead(it, addr);
  setResultValue(addr, len, itClientFlags(it));
  setResultCas(itCas(it));
  itemRelease();
  return <i32>len;
}

// A storage command with the value at valueAddr(); RESULT.cas is the cas command's unique.
export function store(op: u32, nkey: u32, nbytes: u32, flags: u32, exptime: f64): u32 {
  const casIn = op == StoreOp.CAS ? resultCas() : 0;
  return storeCommand(<StoreOp>op, keyBuf(), nkey, flags, realtime(<i64>exptime), thread32(ThreadGlobal.VALBUF), nbytes, casIn, 0);
}

export function del(nkey: u32): u32 { return deleteCommand(keyBuf(), nkey) ? 1 : 0; }
export function touch(nkey: u32, exptime: f64): u32 { return touchCommand(keyBuf(), nkey, <i64>exptime) ? 1 : 0; }

// incr (1) / decr (0) by RESULT.number; the new value is left in RESULT.number.
export function arith(nkey: u32, incr: u32): u32 {
  const r = arithCommand(keyBuf(), nkey, incr != 0, resultNumber(), 0);
  if (r == ArithResult.NOT_FOUND) countArithMiss(incr != 0);
  return r;
}

export function flush(delay: f64): void {
  statIncr(Stat.CMD_FLUSH);
  flushCommand(<i64>delay);
}

// One maintenance step (background/maintenance.ts). Returns 1 when more work is waiting.
export function maintain(): u32 { return maintenanceStep() ? 1 : 0; }

// lru_crawler crawl for one class, or every class with 0.
export function crawl(classId: u32): u32 {
  return crawlerStart(classId ? <u64>1 << classId : ALL_CLASSES);
}

const ALL_CLASSES: u64 = u64.MAX_VALUE;

// A `stats` family (0 general, 1 items, 2 slabs, 3 settings) rendered into OUTBUF, END included.
export function renderStats(group: u32): u32 {
  outReset();
  render(<StatsGroup>group);
  return outLen();
}

export function resetStats(): void { statsReset(); }

export function checkInvariants(): usize { return check(thread32(ThreadGlobal.OUTBUF)); }
export function checkDetail(): f64 { return <f64>global64(Global.CHECK_DETAIL); }

// ── connections: the host's socket driver calls these ──────────────────────────────────

export function inAddr(): usize { return thread32(ThreadGlobal.INBUF); }
export function inSize(): u32 { return thread32(ThreadGlobal.INBUF_SIZE); }
export function outSize(): u32 { return thread32(ThreadGlobal.OUTBUF_SIZE); }
export function hostStatsAddr(): usize { return hostStatsBlock(); }
export function hostVersionAddr(): usize { return HOST_VERSION; }
export function settingsDescAddr(): usize { return SETTINGS_DESC; }
export function procFlags(): u32 { return thread32(ThreadGlobal.PROC_FLAGS); }
export function procNeed(): u32 { return thread32(ThreadGlobal.PROC_NEED); }
export function procWatchMask(): u32 { return thread32(ThreadGlobal.PROC_WATCH_MASK); }

// read_buf_mem_limit: how many response objects each connection this thread serves may stack
// now (the host's share of the limit, less its read buffers); UNLIMITED: no limit.
export function setResponseLimit(n: f64): void {
  setThread32(ThreadGlobal.RESPONSE_LIMIT, n >= <f64>U32_MAX ? 0 : <u32>n + 1);
}
const U32_MAX: u32 = 0xffffffff;

// The host closed connection `id`: a metadump streaming to it stops.
export function connClose(id: u32): void {
  if (!connValid(id)) return;
  metadumpAbort(id);
  connReset(id);
}

// A new connection in table slot `id` (the host keeps ids below maxconns).
export function connOpen(id: u32): u32 {
  if (!connValid(id)) return 0;
  connReset(id);
  return 1;
}

// Runs every complete command in INBUF[0, len) for connection `id`; replies go to OUTBUF
// (outLen() bytes). Returns bytes consumed; procFlags() and procNeed() say what comes next.
export function process(id: u32, len: u32): u32 {
  setThread32(ThreadGlobal.PROC_FLAGS, 0);
  setThread32(ThreadGlobal.PROC_NEED, 0);
  setThread32(ThreadGlobal.CURRENT_CONN, id);
  outReset();
  if (!connValid(id)) return 0;
  const c = connAddr(id);
  if (connDumping(c)) {
    if (!metadumpStep()) {
      setThread32(ThreadGlobal.PROC_FLAGS, ProcFlag.AGAIN);
      return 0;
    }
    outStr("END\r\n");
    setConnDumping(c, false);
  }
  if (len == 0) return 0;
  if (!connResume(c)) respReset(c);
  const consumed = processInput(c, <usize>thread32(ThreadGlobal.INBUF), len);
  // Input used up, or a data block still to come: the next read is a new turn. A call that
  // stopped with input left (-R, mn, a full reply area) is resumed within the same turn.
  const flags = thread32(ThreadGlobal.PROC_FLAGS);
  if (flags & ProcFlag.NEED_MORE) endTurn(c);
  else if (consumed == len && !(flags & (ProcFlag.YIELD | ProcFlag.CLOSE | ProcFlag.CLOSE_NOW))) endTurnDry(c);
  else if (consumed == len) endTurn(c);
  if (!ASC_NO_ASSERT) assert(holdsNoLock(), "a lock is still held after a call");
  return consumed;
}

export function outLength(): u32 { return outLen(); }

// The log (logger/logger.ts): entries since the host last took them.
export function logAddr(): usize { return thread32(ThreadGlobal.LOGBUF); }
export function logLength(): u32 { return thread32(ThreadGlobal.LOG_LEN); }
export function logTaken(): void { logReset(); }
// Log ids are one sequence for the core's entries and the host's connection events.
export function logNextGid(): f64 { return <f64>nextLogGid(); }
export function setSettingSlot(slot: u32, v: f64): void { setSetting(<Setting>slot, v); }

// ── UDP (protocols/udp.ts): the host hands in one datagram, then sends what udpNext() points at ──────

export function udpProcess(len: u32, fresh: u32): u32 { return udpServe(len, fresh != 0); }
export function udpNext(): i32 { return udpTake(); }
export function udpHeaderAddr(): usize { return udpHeader(); }
export function udpPayload(): u32 { return udpPayloadAt(); }

// ── credentials (protocols/auth.ts): the host copies the -Y / SASL file here once, at start-up ─────

export function credentialsAddr(): usize { return authdbAddr(); }
export function credentialsCapacity(): u32 { return AUTHDB_CAPACITY; }
// 0 taken, 1 a line is not `user:password`, 2 larger than credentialsCapacity().
export function credentialsLoad(len: u32): u32 { return authLoad(len); }

// ── threads and locks (locks/) ─────────────────────────────────────────────────────────

// A lock counter over every thread (abi/lock_counters.ts): for bench/locks.ts.
export function lockStat(kind: u32, counter: u32): f64 { return <f64>lockTotal(kind, counter); }

// After a trap in this thread: the others stop at their next lock wait (1: this thread raised
// it first, 0: it was raised already).
export function recoveryBegin(): u32 { return raiseRecovery() ? 1 : 0; }

// Every thread is out of the core and the cache was checked or reset: locks free, work resumes.
export function recoveryEnd(): void {
  endRecovery();
  abandonMove();
}

// The address of the recovery flag, which the hosts read before each call (u32).
export function recoveryAddr(): usize { return GLOBALS + (<usize>Global.RECOVERY << 3); }

// ── warm restart (-e, restart/) ──────────────────────────────────────────────────────────
// The host writes the sections out, or reads them in, between these calls; with threads,
// every other thread has left the core for good first.

export function imageFormat(): f64 { return <f64>imageFingerprint(); }
export function imageQuiesce(): void { quiesce(); }
export function imageAddr(section: u32, loading: u32): usize { return imageSectionAddr(<ImageSection>section, loading != 0); }
export function imageLength(section: u32): f64 { return <f64>imageSectionLength(<ImageSection>section); }
export function imageChecksum(loading: u32, arenaLength: f64): u64 { return checksum(loading != 0, <usize>arenaLength); }

// An ImageAdopt; on anything but OK the host calls imageDiscard.
export function imageAdopt(arenaLength: f64, expected: u64, unixNow: u32): u32 {
  return adopt(<usize>arenaLength, expected, unixNow);
}

// A load that wrote `arenaLength` bytes of arena (and maybe the class and page records) and
// was not adopted: the cache starts over, empty, as after a trap. Returns an InitError.
export function imageDiscard(arenaLength: f64, unixNow: u32): u32 {
  imageLoadedUpTo(<usize>arenaLength);
  return reset(unixNow);
}
