// Chunked items (memcached's item_chunk): a value bigger than slab_chunk_max is kept in a
// chain of chunks so that any value up to item_size_max fits while no chunk exceeds
// slab_chunk_max. The item's own value area holds the address of the first chunk.
//
// Chunk layout (one slab chunk):
//   0  next   u32   next chunk of the chain (free-list next while on a free list)
//   4  prev   u32   previous chunk of the chain, 0 for the first (free-list prev when free)
//   8  used   u32   value bytes held
//  12  head   u32   the item whose value this is (the page mover relinks through it)
//  24  flags  u16   ITEM_CHUNK (shares the item's flags offset, so free lists and the
//  26  cls    u8    invariant checker treat chunks and items alike); own slab class
//  28  data[]
//
// Each chunk is sized for what remains (capped at slab_chunk_max), as memcached's
// do_item_alloc_chunk does, so the last one wastes little.
import { settingU32 } from "../layout/layout";
import { Setting } from "../abi/settings";
import { IT_FLAGS, IT_CLSID, ITEM_CHUNK, ITEM_CHUNKED, itData, itNbytes, hasFlag } from "./item";
import { slabsClsid, slabsFree, classSize } from "../memory/slabs";
import { allocChunkPull } from "./items";
import { copyDisjoint } from "../util/copy";

export const CH_NEXT: usize = 0;
export const CH_PREV: usize = 4;
export const CH_USED: usize = 8;
export const CH_HEAD: usize = 12;
export const CHUNK_HEADER: usize = 28;
const MC_CHUNK_HEADER: usize = 48;
const MC_CRLF: usize = 2;

@inline export function chunkNext(ch: usize): usize { return load<u32>(ch, CH_NEXT); }
@inline export function chunkUsed(ch: usize): u32 { return load<u32>(ch, CH_USED); }
@inline export function chunkData(ch: usize): usize { return ch + CHUNK_HEADER; }
@inline export function chunkClass(ch: usize): u32 { return load<u8>(ch, IT_CLSID); }
@inline export function chunkCapacity(ch: usize): u32 { return classSize(chunkClass(ch)) - <u32>CHUNK_HEADER; }
@inline export function chunkPrev(ch: usize): usize { return load<u32>(ch, CH_PREV); }
@inline export function chunkHead(ch: usize): usize { return load<u32>(ch, CH_HEAD); }
@inline export function firstChunk(it: usize): usize { return load<u32>(itData(it)); }

// Builds a chain able to hold `nbytes` under item `it`. False (chain released) when out of
// memory.
export function chunkChainAlloc(it: usize, nbytes: u32): bool {
  const chunkMax = <usize>settingU32(Setting.SLAB_CHUNK_MAX);
  let remaining = <usize>nbytes;
  let link = itData(it);
  let prev: usize = 0;
  store<u32>(link, 0);
  while (remaining > 0) {
    // Sized as memcached sizes its chunks (its item_chunk header, the value's "\r\n"), so the
    // same classes fill; ours keep the slack.
    const size = min<usize>(remaining + MC_CRLF + MC_CHUNK_HEADER, chunkMax);
    let cls = slabsClsid(size);
    let ch = allocChunkPull(cls);
    if (!ch && size < chunkMax) {
      // The smaller last chunk's class can be full of other chains' last chunks and have
      // nothing of its own to evict (chunked items live on the largest class's LRU, not on
      // the classes of their chunks). Fall back to a full-size chunk, which evicting a large
      // item does free, as memcached's do_item_alloc_chunk does.
      cls = slabsClsid(chunkMax);
      ch = allocChunkPull(cls);
    }
    if (!ch) {
      chunkChainFree(it);
      return false;
    }
    store<u32>(ch, 0, CH_NEXT);
    store<u32>(ch, <u32>prev, CH_PREV);
    store<u32>(ch, 0, CH_USED);
    store<u32>(ch, <u32>it, CH_HEAD);
    store<u8>(ch, <u8>cls, IT_CLSID);
    // Last, and atomic: a page mover reading the flags then finds the head in place.
    atomic.store<u16>(ch + IT_FLAGS, ITEM_CHUNK);
    store<u32>(link, <u32>ch);
    link = ch + CH_NEXT;
    prev = ch;
    const cap = <usize>classSize(cls) - CHUNK_HEADER;
    remaining = remaining > cap ? remaining - cap : 0;
  }
  return true;
}

export function chunkChainFree(it: usize): void {
  let ch = firstChunk(it);
  while (ch) {
    const next = chunkNext(ch);
    slabsFree(ch, chunkClass(ch));
    ch = next;
  }
  store<u32>(itData(it), 0);
}

// Writes n bytes at value offset `offset`, for flat and chunked items alike.
export function valueWrite(it: usize, offset: u32, src: usize, n: u32): void {
  if (!hasFlag(it, ITEM_CHUNKED)) {
    copyDisjoint(itData(it) + offset, src, n);
    return;
  }
  let ch = firstChunk(it);
  let skip = offset;
  while (ch && n > 0) {
    const cap = chunkCapacity(ch);
    if (skip >= cap) {
      skip -= cap;
      ch = chunkNext(ch);
      continue;
    }
    const take = min<u32>(cap - skip, n);
    memory.copy(chunkData(ch) + skip, src, take);
    if (skip + take > chunkUsed(ch)) store<u32>(ch, skip + take, CH_USED);
    src += take;
    n -= take;
    skip = 0;
    ch = chunkNext(ch);
  }
}

// Copies the whole value to dst (contiguous).
export function valueRead(it: usize, dst: usize): void {
  if (!hasFlag(it, ITEM_CHUNKED)) {
    copyDisjoint(dst, itData(it), itNbytes(it));
    return;
  }
  let ch = firstChunk(it);
  while (ch) {
    const used = chunkUsed(ch);
    memory.copy(dst, chunkData(ch), used);
    dst += used;
    ch = chunkNext(ch);
  }
}

// Copies item `from`'s whole value into item `to` at value offset `offset`.
export function valueCopy(to: usize, offset: u32, from: usize): void {
  if (!hasFlag(from, ITEM_CHUNKED)) {
    valueWrite(to, offset, itData(from), itNbytes(from));
    return;
  }
  let ch = firstChunk(from);
  while (ch) {
    valueWrite(to, offset, chunkData(ch), chunkUsed(ch));
    offset += chunkUsed(ch);
    ch = chunkNext(ch);
  }
}

