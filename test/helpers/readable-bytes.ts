// Fuzz inputs are Buffers; fast-check would print a failing one as a list of byte values. This
// gives it a printable form that is also code to replay it: Buffer.from("<latin1>", "latin1").
import fc from "fast-check";

export function readable(b: Buffer): Buffer {
  const text = `Buffer.from(${JSON.stringify(b.toString("latin1"))}, "latin1")`;
  return Object.assign(b, { [fc.toStringMethod]: () => text });
}
