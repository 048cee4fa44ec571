// The exported ABI of the core. The host writes settings, keys and values into fixed areas
// (addresses from the *Addr exports), calls an operation, and reads RESULT (operations/result.ts).
// Every call is short: maintenance work is cut into bounded steps the host runs on timers.
import { ProcFlag } from "./abi/proc_flags";
import {
  STATE_BASE, STATE_END, SETTINGS, KEYBUF, RESULT, PAGE_SIZE, WASM_PAGE, HOSTSTATS, HOST_VERSION,
  SETTINGS_DESC, Global, global32, setGlobal32, setGlobal64, global64, setting, settingU32, alignUp, setSetting,
} from "./memory/layout";
import { inputAreaSize, outputAreaSize } from "./abi/limits";
import { Setting } from "./abi/settings";
import { StoreOp, ArithResult, InitError } from "./abi/results";
import { slabsInit } from "./memory/slabs";
import { updateCap, itemCeiling } from "./memory/memlimit";
import { assocInit } from "./cache/assoc";
import { clockInit, clockSet as setClock, realtime } from "./cache/clock";
import { itNbytes, itClientFlags, itCas, itData, hasFlag, ITEM_CHUNKED } from "./cache/item";
import { valueRead } from "./cache/chunk";
import { PREFIX_TABLE_SIZE } from "./counters/prefixes";
import { sizesEnable } from "./counters/sizes";
import { statsReset, Stat, statIncr } from "./counters/counters";
import { LOGBUF_SIZE, logReset } from "./logger/logger";
import { crawlerInit, crawlerStart, metadumpAbort } from "./background/crawler";
import { maintenanceStep } from "./background/maintenance";
import { getCommand, touchCommand } from "./operations/retrieval";
import { deleteCommand } from "./operations/delete";
import { flushCommand } from "./operations/flush";
import { storeCommand } from "./operations/storage";
import { arithCommand, countArithMiss } from "./operations/arith";
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

export function settingsAddr(): usize { return SETTINGS; }
export function keyAddr(): usize { return KEYBUF; }
export function resultAddr(): usize { return RESULT; }
export function valueAddr(): usize { return global32(Global.VALBUF); }
export function valueCapacity(): u32 { return global32(Global.VALBUF_SIZE); }
export function outAddr(): usize { return global32(Global.OUTBUF); }
export function memoryCap(): f64 { return <f64>global64(Global.MEM_CAP); }
export function memoryCeiling(): f64 { return <f64>itemCeiling(); }

// Fixed areas after the state block, sized from the settings (memory/layout.ts draws them).
function placeAreas(): usize {
  const itemMax = <usize>settingU32(Setting.ITEM_SIZE_MAX);
  const conns = alignUp(STATE_END, 64);
  // One record more than -c: datagrams are served on it (protocols/udp.ts).
  const connsSize = <usize>(settingU32(Setting.MAX_CONNS) + 1) * CONN_SIZE;
  const inbuf = alignUp(conns + connsSize, 64);
  const inSize = <usize>inputAreaSize(<f64>itemMax);
  const outbuf = alignUp(inbuf + inSize, 64);
  const outSize = <usize>outputAreaSize(<f64>itemMax);
  const prefixes = alignUp(outbuf + outSize, 64);
  const logbuf = alignUp(prefixes + PREFIX_TABLE_SIZE, 64);
  setGlobal32(Global.LOGBUF, <u32>logbuf);
  const valbuf = alignUp(logbuf + LOGBUF_SIZE, 64);
  const valSize = alignUp(itemMax + 2, 64);
  setGlobal32(Global.PREFIXES, <u32>prefixes);
  setGlobal32(Global.CONNS, <u32>conns);
  setGlobal32(Global.INBUF, <u32>inbuf);
  setGlobal32(Global.INBUF_SIZE, <u32>inSize);
  setGlobal32(Global.OUTBUF, <u32>outbuf);
  setGlobal32(Global.OUTBUF_SIZE, <u32>outSize);
  setGlobal32(Global.VALBUF, <u32>valbuf);
  setGlobal32(Global.VALBUF_SIZE, <u32>valSize);
  return alignUp(valbuf + valSize, PAGE_SIZE);
}

// Sets up the engine from the SETTINGS the host wrote. Returns an InitError.
export function init(unixNow: u32): u32 {
  if (__heap_base > STATE_BASE) return InitError.STATIC_OVERLAP;
  slabsInit();
  const arenaBase = placeAreas();
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
  if (!assocInit()) return InitError.OUT_OF_MEMORY;
  crawlerInit();
  clockInit(unixNow);
  if (settingU32(Setting.TRACK_SIZES) && !sizesEnable(0)) return InitError.OUT_OF_MEMORY;
  return InitError.OK;
}


export function clockSet(unixNow: u32): void { setClock(unixNow); }
export function currentTime(): u32 { return global32(Global.CURRENT_TIME); }

// get (touch 0) / gat (touch 1): -1 on a miss, else the value length; RESULT has the rest.
// The value stays readable until the next call.
export function get(nkey: u32, touch: u32, exptime: f64): i32 {
  const it = getCommand(KEYBUF, nkey, touch != 0, <i64>exptime);
  if (!it) return -1;
  const len = itNbytes(it);
  let addr = itData(it);
  // A chunked value is gathered into the value area; a flat one is read where it lies.
  if (hasFlag(it, ITEM_CHUNKED)) {
    addr = global32(Global.VALBUF);
    valueRead(it, addr);
  }
  setResultValue(addr, len, itClientFlags(it));
  setResultCas(itCas(it));
  return <i32>len;
}

// A storage command with the value at valueAddr(); RESULT.cas is the cas command's unique.
export function store(op: u32, nkey: u32, nbytes: u32, flags: u32, exptime: f64): u32 {
  const casIn = op == StoreOp.CAS ? resultCas() : 0;
  return storeCommand(<StoreOp>op, KEYBUF, nkey, flags, realtime(<i64>exptime), global32(Global.VALBUF), nbytes, casIn, 0);
}

export function del(nkey: u32): u32 { return deleteCommand(KEYBUF, nkey) ? 1 : 0; }
export function touch(nkey: u32, exptime: f64): u32 { return touchCommand(KEYBUF, nkey, <i64>exptime) ? 1 : 0; }

// incr (1) / decr (0) by RESULT.number; the new value is left in RESULT.number.
export function arith(nkey: u32, incr: u32): u32 {
  const r = arithCommand(KEYBUF, nkey, incr != 0, resultNumber(), 0);
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

export function checkInvariants(): usize { return check(global32(Global.OUTBUF)); }
export function checkDetail(): f64 { return <f64>global64(Global.CHECK_DETAIL); }

// ── connections: the host's socket driver calls these ──────────────────────────────────

export function inAddr(): usize { return global32(Global.INBUF); }
export function inSize(): u32 { return global32(Global.INBUF_SIZE); }
export function outSize(): u32 { return global32(Global.OUTBUF_SIZE); }
export function hostStatsAddr(): usize { return HOSTSTATS; }
export function hostVersionAddr(): usize { return HOST_VERSION; }
export function settingsDescAddr(): usize { return SETTINGS_DESC; }
export function procFlags(): u32 { return global32(Global.PROC_FLAGS); }
export function procNeed(): u32 { return global32(Global.PROC_NEED); }
export function procWatchMask(): u32 { return global32(Global.PROC_WATCH_MASK); }

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
  setGlobal32(Global.PROC_FLAGS, 0);
  setGlobal32(Global.PROC_NEED, 0);
  setGlobal32(Global.CURRENT_CONN, id);
  outReset();
  if (!connValid(id)) return 0;
  const c = connAddr(id);
  if (connDumping(c)) {
    if (!metadumpStep()) {
      setGlobal32(Global.PROC_FLAGS, ProcFlag.AGAIN);
      return 0;
    }
    outStr("END\r\n");
    setConnDumping(c, false);
  }
  if (len == 0) return 0;
  if (!connResume(c)) respReset(c);
  const consumed = processInput(c, <usize>global32(Global.INBUF), len);
  // Input used up, or a data block still to come: the next read is a new turn. A call that
  // stopped with input left (-R, mn, a full reply area) is resumed within the same turn.
  const flags = global32(Global.PROC_FLAGS);
  if (flags & ProcFlag.NEED_MORE) endTurn(c);
  else if (consumed == len && !(flags & (ProcFlag.YIELD | ProcFlag.CLOSE | ProcFlag.CLOSE_NOW))) endTurnDry(c);
  else if (consumed == len) endTurn(c);
  return consumed;
}

export function outLength(): u32 { return outLen(); }

// The log (logger/logger.ts): entries since the host last took them.
export function logAddr(): usize { return global32(Global.LOGBUF); }
export function logLength(): u32 { return global32(Global.LOG_LEN); }
export function logTaken(): void { logReset(); }
// Log ids are one sequence for the core's entries and the host's connection events.
export function logNextGid(): f64 {
  const gid = global64(Global.LOG_GID) + 1;
  setGlobal64(Global.LOG_GID, gid);
  return <f64>gid;
}
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
