// memcached's item size limit (item_size_ok): a value is refused as "too large for cache" when
// the item memcached would build for it — its 48-byte header, the key and its NUL, the value
// and its CRLF, 4 bytes for non-zero flags and 8 for the CAS — exceeds -I. The text protocol
// applies it before the value arrives, so a refused value is swallowed, never buffered.
import type { EngineOptions } from "../options.js";

const ITEM_HEADER = 48;
const KEY_NUL = 1;
const VALUE_CRLF = 2;
const CLIENT_FLAGS = 4;
const CAS_UNIQUE = 8;

export function itemSizeOk(o: Pick<EngineOptions, "itemSizeMax" | "cas">, nkey: number, flags: number, nbytes: number): boolean {
  let total = ITEM_HEADER + nkey + KEY_NUL + nbytes + VALUE_CRLF;
  if (flags !== 0) total += CLIENT_FLAGS;
  if (o.cas) total += CAS_UNIQUE;
  return total <= o.itemSizeMax;
}
