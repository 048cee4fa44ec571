// Base64 (RFC 4648, with padding) for meta keys given with the `b` flag.
const PAD: u8 = 0x3d; // '='
const INVALID: i32 = -1;

@inline function alphabet(i: u32): u8 {
  if (i < 26) return <u8>(0x41 + i);      // A-Z
  if (i < 52) return <u8>(0x61 + i - 26); // a-z
  if (i < 62) return <u8>(0x30 + i - 52); // 0-9
  return i == 62 ? <u8>0x2b : <u8>0x2f;   // + /
}

@inline function sextet(c: u8): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return INVALID;
}

// Decodes n bytes at src into dst; returns the decoded length, 0 if the input is not base64.
export function base64Decode(src: usize, n: u32, dst: usize): u32 {
  if (n == 0 || n % 4 != 0) return 0;
  let out: u32 = 0;
  for (let i: u32 = 0; i < n; i += 4) {
    const last = i + 4 == n;
    const c2 = load<u8>(src + i + 2);
    const c3 = load<u8>(src + i + 3);
    const a = sextet(load<u8>(src + i));
    const b = sextet(load<u8>(src + i + 1));
    const c = last && c2 == PAD ? 0 : sextet(c2);
    const d = last && c3 == PAD ? 0 : sextet(c3);
    if ((a | b | c | d) < 0 || (c2 == PAD && c3 != PAD)) return 0;
    const v = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6) | <u32>d;
    store<u8>(dst + out++, <u8>(v >> 16));
    if (!(last && c2 == PAD)) store<u8>(dst + out++, <u8>(v >> 8));
    if (!(last && c3 == PAD)) store<u8>(dst + out++, <u8>v);
  }
  return out;
}

// Encodes n bytes at src into dst; returns the encoded length.
export function base64Encode(src: usize, n: u32, dst: usize): u32 {
  let out: u32 = 0;
  for (let i: u32 = 0; i < n; i += 3) {
    const left = n - i;
    const v = (<u32>load<u8>(src + i) << 16) | (left > 1 ? <u32>load<u8>(src + i + 1) << 8 : 0) | (left > 2 ? <u32>load<u8>(src + i + 2) : 0);
    store<u8>(dst + out++, alphabet(v >> 18));
    store<u8>(dst + out++, alphabet((v >> 12) & 63));
    store<u8>(dst + out++, left > 1 ? alphabet((v >> 6) & 63) : PAD);
    store<u8>(dst + out++, left > 2 ? alphabet(v & 63) : PAD);
  }
  return out;
}
