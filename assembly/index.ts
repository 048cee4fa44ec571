// The exported ABI of the core. The host writes settings, keys and values into fixed areas
// (addresses from the *Addr exports), calls an operation, and reads RESULT (result.ts).
// Every call is short: maintenance work is cut into bounded steps the host runs on timers.
import {
  STATE_BASE, STATE_END, SETTINGS, GLOBALS, KEYBUF, RESULT, OUTBUF_SIZE, PAGE_SIZE, MEMORY_MAX,
  WASM_PAGE, Global, global32, setGlobal32, setGlobal64, global64, setting, settingU32, alignUp,
} from "./layout";
import { Setting } from "./settings";
import { slabsInit, powerLargest } from "./slabs";
import { assocInit, assocExpandStep, assocStartExpand, tablePages, HASHPOWER_DEFAULT, HASHPOWER_MAX } from "./assoc";
import { clockInit, clockSet as setClock } from "./clock";
import { crawlerInit, crawlerSchedule, crawlerStep, crawlerStart } from "./crawler";
import { lruMaintain } from "./lru";
import { itNbytes, itClientFlags, itCas, itData, itExptime, hasFlag, ITEM_CHUNKED } from "./item";
import { valueRead } from "./chunk";
import { getCommand, touchCommand, deleteCommand, flushCommand } from "./engine";
import { storeCommand, StoreOp } from "./store";
import { arithCommand } from "./arith";
import { resultCas, resultNumber, setResultCas, setResultValue, setResultExptime } from "./result";
import { outReset, outLen } from "./output";
import { renderGeneralCounters, renderGeneralState, renderGeneralItems, renderItems, renderSlabs } from "./stats_text";
import { checkInvariants as check } from "./invariants";
import { statsReset } from "./stats";

export enum InitError { OK = 0, STATIC_OVERLAP = 1, MEMORY_TOO_LARGE = 2, OUT_OF_MEMORY = 3 }

const EXPAND_BUCKETS_PER_STEP: u32 = 4096;
const CRAWL_ITEMS_PER_STEP: u32 = 1000;

export function settingsAddr(): usize { return SETTINGS; }
export function keyAddr(): usize { return KEYBUF; }
export function resultAddr(): usize { return RESULT; }
export function valueAddr(): usize { return global32(Global.VALBUF); }
export function valueCapacity(): u32 { return global32(Global.VALBUF_SIZE); }
export function outAddr(): usize { return global32(Global.OUTBUF); }
export function memoryCap(): f64 { return <f64>global64(Global.MEM_CAP); }

// Most linear memory the settings can ever need: fixed areas, -m, one first page per class
// (memcached lets every class have one page whatever the limit) and the two hash tables that
// exist at the end of the last expansion -m can cause.
function memoryNeeded(arenaBase: u64): u64 {
  const limit = <u64>setting(Setting.MAXBYTES);
  const firstPages = <u64>powerLargest() * PAGE_SIZE;
  const maxItems = (limit + firstPages) / 48; // no chunk is smaller than 48 + -n bytes
  let hp = settingU32(Setting.HASHPOWER_INIT);
  if (hp == 0) hp = HASHPOWER_DEFAULT;
  while (hp < HASHPOWER_MAX && (<u64>1 << hp) * 3 / 2 < maxItems) hp++;
  const hashBytes = (<u64>tablePages(hp) + <u64>(hp > 0 ? tablePages(hp - 1) : 0)) * PAGE_SIZE;
  return arenaBase + limit + firstPages + hashBytes;
}

// Sets up the engine from the SETTINGS the host wrote. Returns an InitError.
export function init(unixNow: u32): u32 {
  if (__heap_base > STATE_BASE) return InitError.STATIC_OVERLAP;
  slabsInit();
  const outbuf = alignUp(STATE_END, 64);
  const valbufSize = alignUp(<usize>settingU32(Setting.ITEM_SIZE_MAX) + 2, 64);
  const valbuf = outbuf + OUTBUF_SIZE;
  const arenaBase = alignUp(valbuf + valbufSize, PAGE_SIZE);
  const need = memoryNeeded(arenaBase);
  setGlobal64(Global.MEM_CAP, need > MEMORY_MAX ? MEMORY_MAX : need);
  if (need > MEMORY_MAX) return InitError.MEMORY_TOO_LARGE;
  setGlobal32(Global.OUTBUF, <u32>outbuf);
  setGlobal32(Global.VALBUF, <u32>valbuf);
  setGlobal32(Global.VALBUF_SIZE, <u32>valbufSize);
  setGlobal64(Global.FRONTIER, arenaBase);
  const have = <usize>memory.size() * WASM_PAGE;
  if (arenaBase > have && memory.grow(<i32>((arenaBase - have) / WASM_PAGE)) < 0) return InitError.OUT_OF_MEMORY;
  if (!assocInit()) return InitError.OUT_OF_MEMORY;
  crawlerInit();
  clockInit(unixNow);
  setGlobal32(Global.INITIALIZED, 1);
  return InitError.OK;
}

export function stateBase(): usize { return STATE_BASE; }
export function stateEnd(): usize { return STATE_END; }
export function globalsAddr(): usize { return GLOBALS; }

export function clockSet(unixNow: u32): void { setClock(unixNow); }
export function currentTime(): u32 { return global32(Global.CURRENT_TIME); }

// get (touch 0) / gat (touch 1): -1 on a miss, else the value length; RESULT has the rest.
// The value stays readable until the next call.
export function get(nkey: u32, touch: u32, exptime: f64): i32 {
  const it = getCommand(KEYBUF, nkey, touch != 0, <i64>exptime);
  if (!it) return -1;
  const len = itNbytes(it);
  let addr = itData(it);
  if (hasFlag(it, ITEM_CHUNKED)) {
    addr = global32(Global.VALBUF);
    valueRead(it, addr);
  }
  setResultValue(addr, len, itClientFlags(it));
  setResultCas(itCas(it));
  setResultExptime(itExptime(it));
  return <i32>len;
}

// A storage command with the value at valueAddr(); RESULT.cas is the cas command's unique.
export function store(op: u32, nkey: u32, nbytes: u32, flags: u32, exptime: f64): u32 {
  const casIn = op == StoreOp.CAS ? resultCas() : 0;
  return storeCommand(<StoreOp>op, KEYBUF, nkey, flags, <i64>exptime, global32(Global.VALBUF), nbytes, casIn, false);
}

export function del(nkey: u32): u32 { return deleteCommand(KEYBUF, nkey) ? 1 : 0; }
export function touch(nkey: u32, exptime: f64): u32 { return touchCommand(KEYBUF, nkey, <i64>exptime) ? 1 : 0; }

// incr (1) / decr (0) by RESULT.number; the new value is left in RESULT.number.
export function arith(nkey: u32, incr: u32): u32 {
  return arithCommand(KEYBUF, nkey, incr != 0, resultNumber(), 0);
}

export function flush(delay: f64): void { flushCommand(<i64>delay); }

// One maintenance step (the host runs it from a timer): LRU juggling, a batch of hash
// migration and a batch of crawling. Returns 1 when more work is waiting.
export function maintain(): u32 {
  assocStartExpand();
  assocExpandStep(EXPAND_BUCKETS_PER_STEP);
  if (settingU32(Setting.MAINTAINER)) {
    lruMaintain();
    crawlerSchedule();
  }
  crawlerStep(CRAWL_ITEMS_PER_STEP);
  return global32(Global.HASH_EXPANDING) | global32(Global.CRAWLER_ACTIVE) ? 1 : 0;
}

export function crawl(classId: u32): u32 { return crawlerStart(classId); }

// stats renders: 0 engine counters of `stats`, 1 `stats items`, 2 `stats slabs`.
export function renderStats(kind: u32): u32 {
  outReset();
  if (kind == 0) {
    renderGeneralCounters();
    renderGeneralState();
    renderGeneralItems();
  } else if (kind == 1) {
    renderItems();
  } else {
    renderSlabs();
  }
  return outLen();
}

export function resetStats(): void { statsReset(); }

export function checkInvariants(): usize { return check(global32(Global.OUTBUF)); }
export function checkDetail(): f64 { return <f64>global64(Global.CHECK_DETAIL); }
