// memcached's item size (ITEM_ntotal): its 48-byte header, the key and its NUL, the value and
// its CRLF, 4 bytes for non-zero flags and 8 for the CAS. The JS engine counts each item at
// this size in `bytes` and against -m; the text protocol refuses a value as "too large for
// cache" when it exceeds -I (item_size_ok) before the value arrives, so a refused value is
// swallowed, never buffered.
import type { EngineOptions } from "../options.js";

const ITEM_HEADER = 48;
const KEY_NUL = 1;
const VALUE_CRLF = 2;
const CLIENT_FLAGS = 4;
const CAS_UNIQUE = 8;

export function mcItemSize(nkey: number, nbytes: number, flags: number, cas: boolean): number {
  return ITEM_HEADER + nkey + KEY_NUL + nbytes + VALUE_CRLF + (flags !== 0 ? CLIENT_FLAGS : 0) + (cas ? CAS_UNIQUE : 0);
}

export function itemSizeOk(o: Pick<EngineOptions, "itemSizeMax" | "cas">, nkey: number, flags: number, nbytes: number): boolean {
  return mcItemSize(nkey, nbytes, flags, o.cas) <= o.itemSizeMax;
}
