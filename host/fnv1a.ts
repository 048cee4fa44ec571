// FNV-1a, 32 bits: a cheap fingerprint of some bytes, against accidental difference or damage
// (never a secret): the credentials after a trap, a core build, a TLS session id's slot.
const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

export function fnv1a(bytes: Uint8Array): number {
  let h = OFFSET_BASIS;
  for (const b of bytes) h = Math.imul(h ^ b, PRIME) >>> 0;
  return h;
}
