// URI-encoding of keys (memcached's uriencode in util.c), for watch lines and metadump.

// RFC 3986 unreserved bytes stay as they are; every other byte becomes %XX.
@inline export function uriUnreserved(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
    c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e;
}

const HEX: string = "0123456789ABCDEF";

// The upper-case hex digit of a nibble.
@inline export function hexDigit(nibble: u32): u8 { return <u8>HEX.charCodeAt(nibble); }
