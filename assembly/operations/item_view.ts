// What a protocol may read of an item an operation handed it: the header fields, the key, the
// value (copied out), and the clock items are timed by. Protocols write items only through the
// operations (retrieval, storage, arith, meta, delete); they never reach the hash table, the
// LRU or the slabs.
export {
  itNbytes, itKey, itNkey, itClientFlags, itCas, itExptime, itTime, itClsid, itLruId, itMcTotal, hasFlag,
  ITEM_CHUNKED, ITEM_FETCHED, ITEM_TOKEN_SENT, ITEM_STALE, ITEM_KEY_BINARY,
} from "../cache/item";
export { currentTime, processStarted, realtime } from "../cache/clock";

// The whole value at dst, contiguous, whether the item keeps it in one piece or in chunks.
export { valueRead as valueCopyOut } from "../cache/chunk";
