// The item header: memcached's `struct _stritem` with 32-bit addresses instead of pointers.
//
// An item is one slab chunk:
//
//   0       4       8       12      16      20      24    26   27   28              36
//   ┌───────┬───────┬───────┬───────┬───────┬───────┬─────┬────┬────┬───────────────┐
//   │ next  │ prev  │h_next │ time  │exptime│nbytes │flags│cls │nkey│     cas       │
//   └───────┴───────┴───────┴───────┴───────┴───────┴─────┴────┴────┴───────────────┘
//   36: [client flags u32, only when ITEM_CFLAGS]  then key[nkey]  then value[nbytes]
//
//   next, prev  LRU links; `next` points toward the tail (older), as in memcached
//   h_next      next item in the same hash bucket
//   time        last access, relative seconds (clock.ts)
//   exptime     relative seconds, 0 = never
//   nbytes      value length WITHOUT memcached's trailing "\r\n" (the protocol writes it)
//   flags       it_flags bits below
//   cls         low 6 bits slab class, top 2 bits sub-LRU (HOT/WARM/COLD/TEMP)
//   nkey        key length, 1..250
//   cas         CAS unique (0 with -C)
//
// Compared with memcached's 48-byte header + 8-byte CAS + NUL + "\r\n", this saves 23 bytes
// per item. There is no refcount: the core is single-threaded per memory and copies values
// out before returning, so no reader can hold an item across a call.
//
// A chunked item (value bigger than slab_chunk_max) keeps header, client flags and key in a
// small chunk; its value area holds only the address of the first value chunk (chunk.ts).

// Links, flags and class sit where a free chunk keeps them (memory/slabs.ts).
import { CHUNK_NEXT, CHUNK_PREV, CHUNK_FLAGS, CHUNK_CLSID, SLABBED } from "../memory/slabs";

export const IT_NEXT: usize = CHUNK_NEXT;
export const IT_PREV: usize = CHUNK_PREV;
export const IT_HNEXT: usize = 8;
export const IT_TIME: usize = 12;
export const IT_EXPTIME: usize = 16;
export const IT_NBYTES: usize = 20;
export const IT_FLAGS: usize = CHUNK_FLAGS;
export const IT_CLSID: usize = CHUNK_CLSID;
export const IT_NKEY: usize = 27;
export const IT_CAS: usize = 28;
export const ITEM_HEADER: usize = 36;
export const CFLAGS_SIZE: usize = 4;
export const CHUNK_LINK_SIZE: usize = 4;  // value area of a chunked item: first chunk address

// it_flags bits: memcached's values, so dumps read the same.
export const ITEM_LINKED: u16 = 1;
export const ITEM_CAS: u16 = 2;
export const ITEM_SLABBED: u16 = SLABBED; // on a slab free list
export const ITEM_FETCHED: u16 = 8;
export const ITEM_ACTIVE: u16 = 16;
export const ITEM_CHUNKED: u16 = 32;    // value lives in a chunk chain
export const ITEM_CHUNK: u16 = 64;      // this chunk is part of a chain, not an item
export const ITEM_CFLAGS: u16 = 256;    // non-zero client flags stored
export const ITEM_TOKEN_SENT: u16 = 512;
export const ITEM_STALE: u16 = 2048;
export const ITEM_KEY_BINARY: u16 = 4096;
export const ITEM_CRAWLER: u16 = 0x8000; // background/crawler.ts pseudo-item, never a real item

// Sub-LRU ids, stored in the top two bits of the class byte.
export const HOT_LRU: u32 = 0;
export const WARM_LRU: u32 = 64;
export const COLD_LRU: u32 = 128;
export const TEMP_LRU: u32 = 192;
export const CLSID_MASK: u32 = 63;
export const LRU_MASK: u32 = 192;

@inline export function itNext(it: usize): usize { return load<u32>(it, IT_NEXT); }
@inline export function itPrev(it: usize): usize { return load<u32>(it, IT_PREV); }
@inline export function itHNext(it: usize): usize { return load<u32>(it, IT_HNEXT); }
@inline export function itTime(it: usize): u32 { return load<u32>(it, IT_TIME); }
@inline export function itExptime(it: usize): u32 { return load<u32>(it, IT_EXPTIME); }
@inline export function itNbytes(it: usize): u32 { return load<u32>(it, IT_NBYTES); }
@inline export function itFlags(it: usize): u16 { return load<u16>(it, IT_FLAGS); }
@inline export function itLruId(it: usize): u32 { return load<u8>(it, IT_CLSID); }
@inline export function itClsid(it: usize): u32 { return load<u8>(it, IT_CLSID) & CLSID_MASK; }
@inline export function itLru(it: usize): u32 { return load<u8>(it, IT_CLSID) & LRU_MASK; }
@inline export function itNkey(it: usize): u32 { return load<u8>(it, IT_NKEY); }
@inline export function itCas(it: usize): u64 { return load<u64>(it, IT_CAS); }

@inline export function setNext(it: usize, v: usize): void { store<u32>(it, <u32>v, IT_NEXT); }
@inline export function setPrev(it: usize, v: usize): void { store<u32>(it, <u32>v, IT_PREV); }
@inline export function setHNext(it: usize, v: usize): void { store<u32>(it, <u32>v, IT_HNEXT); }
@inline export function setTime(it: usize, v: u32): void { store<u32>(it, v, IT_TIME); }
@inline export function setExptime(it: usize, v: u32): void { store<u32>(it, v, IT_EXPTIME); }
@inline export function setFlags(it: usize, v: u16): void { store<u16>(it, v, IT_FLAGS); }
@inline export function setLruId(it: usize, v: u32): void { store<u8>(it, <u8>v, IT_CLSID); }
@inline export function setCas(it: usize, v: u64): void { store<u64>(it, v, IT_CAS); }

@inline export function hasFlag(it: usize, f: u16): bool { return (itFlags(it) & f) != 0; }
@inline export function addFlag(it: usize, f: u16): void { setFlags(it, itFlags(it) | f); }
@inline export function clearFlag(it: usize, f: u16): void { setFlags(it, itFlags(it) & ~f); }

@inline export function cflagsSize(clientFlags: u32): usize {
  return clientFlags != 0 ? CFLAGS_SIZE : 0;
}

@inline export function itClientFlags(it: usize): u32 {
  return hasFlag(it, ITEM_CFLAGS) ? load<u32>(it, ITEM_HEADER) : 0;
}

@inline export function itKey(it: usize): usize {
  return it + ITEM_HEADER + (hasFlag(it, ITEM_CFLAGS) ? CFLAGS_SIZE : 0);
}

// Start of the value bytes of an unchunked item; for a chunked item, of the chunk link.
@inline export function itData(it: usize): usize {
  return itKey(it) + itNkey(it);
}

// Bytes an unchunked item with this shape occupies in its chunk.
@inline export function itemTotal(nkey: u32, nbytes: u32, clientFlags: u32): usize {
  return ITEM_HEADER + cflagsSize(clientFlags) + <usize>nkey + <usize>nbytes;
}

// Bytes the header chunk of a chunked item occupies.
@inline export function chunkedHeadTotal(nkey: u32, clientFlags: u32): usize {
  return ITEM_HEADER + cflagsSize(clientFlags) + <usize>nkey + CHUNK_LINK_SIZE;
}

// The bytes an unchunked item occupies in its chunk.
@inline export function itTotal(it: usize): usize {
  return itemTotal(itNkey(it), itNbytes(it), itClientFlags(it));
}

// What the item counts for in `bytes`, `mem_requested`, LRU byte totals, `stats sizes`,
// `me` and metadump: memcached's ITEM_ntotal (48-byte header, CAS, key NUL, "\r\n", flags),
// so every reported size and the HOT/WARM shares are the ones memcached would compute.
const MC_HEADER: u64 = 48;
const MC_CAS: u64 = 8;
const MC_KEY_NUL: u64 = 1;
const MC_CRLF: u64 = 2;
const MC_CFLAGS: u64 = 4;
@inline export function itMcTotal(it: usize): u64 {
  let total = MC_HEADER + MC_KEY_NUL + MC_CRLF + <u64>itNkey(it) + <u64>itNbytes(it);
  if (hasFlag(it, ITEM_CAS)) total += MC_CAS;
  if (hasFlag(it, ITEM_CFLAGS)) total += MC_CFLAGS;
  return total;
}
