// A text writer over OUTBUF: how the core renders replies (stats lines for now).
// The write position lives in GLOBALS (OUTBUF_LEN), like all mutable state.
import { Global, global32, setGlobal32, OUTBUF_SIZE } from "./layout";
import { formatU64 } from "./arith";

@inline function base(): usize { return <usize>global32(Global.OUTBUF); }
@inline export function outLen(): u32 { return global32(Global.OUTBUF_LEN); }
export function outReset(): void { setGlobal32(Global.OUTBUF_LEN, 0); }

// Output that does not fit is dropped; callers size their replies well below OUTBUF_SIZE.
function room(n: u32): usize {
  const len = outLen();
  if (<usize>len + <usize>n > OUTBUF_SIZE) return 0;
  setGlobal32(Global.OUTBUF_LEN, len + n);
  return base() + len;
}

export function outByte(b: u8): void {
  const p = room(1);
  if (p) store<u8>(p, b);
}

export function outBytes(src: usize, n: u32): void {
  const p = room(n);
  if (p) memory.copy(p, src, n);
}

// ASCII text from an AssemblyScript string literal (UTF-16 in static data).
export function outStr(s: string): void {
  const n = <u32>s.length;
  const p = room(n);
  if (!p) return;
  const src = changetype<usize>(s);
  for (let i: u32 = 0; i < n; i++) store<u8>(p + i, <u8>load<u16>(src + (<usize>i << 1)));
}

export function outU64(v: u64): void {
  const p = room(20);
  if (!p) return;
  const n = formatU64(p, v);
  setGlobal32(Global.OUTBUF_LEN, outLen() - 20 + n);
}

export function outI64(v: i64): void {
  if (v < 0) {
    outByte(0x2d);
    outU64(<u64>(-v));
    return;
  }
  outU64(<u64>v);
}

export function outCrlf(): void {
  outByte(0x0d);
  outByte(0x0a);
}
