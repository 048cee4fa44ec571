// The binary protocol on the test side: building request packets, splitting replies into
// packets, and a readable normal form for comparing two servers' replies.
//
// Header, 24 bytes, network byte order:
//   magic u8 │ opcode u8 │ key length u16 │ extras length u8 │ datatype u8 │ vbucket/status u16
//   body length u32 │ opaque u32 │ CAS u64        then extras, key, value
import { CasLabels } from "./cas-labels.js";

export const Op = {
  GET: 0x00, SET: 0x01, ADD: 0x02, REPLACE: 0x03, DELETE: 0x04, INCREMENT: 0x05, DECREMENT: 0x06,
  QUIT: 0x07, FLUSH: 0x08, GETQ: 0x09, NOOP: 0x0a, VERSION: 0x0b, GETK: 0x0c, GETKQ: 0x0d,
  APPEND: 0x0e, PREPEND: 0x0f, STAT: 0x10, SETQ: 0x11, ADDQ: 0x12, REPLACEQ: 0x13, DELETEQ: 0x14,
  INCREMENTQ: 0x15, DECREMENTQ: 0x16, QUITQ: 0x17, FLUSHQ: 0x18, APPENDQ: 0x19, PREPENDQ: 0x1a,
  VERBOSITY: 0x1b, TOUCH: 0x1c, GAT: 0x1d, GATQ: 0x1e, SASL_LIST_MECHS: 0x20, SASL_AUTH: 0x21,
  SASL_STEP: 0x22, GATK: 0x23, GATKQ: 0x24, RGET: 0x30,
} as const;

export const Status = {
  SUCCESS: 0x00, KEY_ENOENT: 0x01, KEY_EEXISTS: 0x02, E2BIG: 0x03, EINVAL: 0x04, NOT_STORED: 0x05,
  DELTA_BADVAL: 0x06, AUTH_ERROR: 0x20, AUTH_CONTINUE: 0x21, UNKNOWN_COMMAND: 0x81, ENOMEM: 0x82,
} as const;

export const HEADER_LEN = 24;
const REQUEST_MAGIC = 0x80;

export interface PacketFields {
  key?: string | Uint8Array;
  extras?: Uint8Array;
  value?: string | Uint8Array;
  cas?: bigint;
  opaque?: number;
  magic?: number;
  datatype?: number;
  /** Overrides the computed key length / body length (malformed packets). */
  keylen?: number;
  bodylen?: number;
}

const bytes = (v: string | Uint8Array | undefined) =>
  v === undefined ? Buffer.alloc(0) : typeof v === "string" ? Buffer.from(v, "latin1") : Buffer.from(v);

export function packet(opcode: number, f: PacketFields = {}): Buffer {
  const key = bytes(f.key);
  const extras = bytes(f.extras);
  const value = bytes(f.value);
  const h = Buffer.alloc(HEADER_LEN);
  h[0] = f.magic ?? REQUEST_MAGIC;
  h[1] = opcode;
  h.writeUInt16BE(f.keylen ?? key.length, 2);
  h[4] = extras.length;
  h[5] = f.datatype ?? 0;
  h.writeUInt32BE(f.bodylen ?? extras.length + key.length + value.length, 8);
  h.writeUInt32BE(f.opaque ?? 0, 12);
  h.writeBigUInt64BE(f.cas ?? 0n, 16);
  return Buffer.concat([h, extras, key, value]);
}

/** Extras made of 32-bit words, e.g. set's flags and expiration. */
export function u32s(...words: number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b;
}

/** incr/decr extras: delta, initial value, expiration. */
export function arithExtras(delta: bigint, initial: bigint, expiration: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64BE(delta, 0);
  b.writeBigUInt64BE(initial, 8);
  b.writeUInt32BE(expiration >>> 0, 16);
  return b;
}

export interface Packet {
  magic: number;
  opcode: number;
  status: number;
  datatype: number;
  opaque: number;
  cas: bigint;
  extras: Buffer;
  key: Buffer;
  value: Buffer;
}

export interface Parsed {
  packets: Packet[];
  /** Bytes after the last whole packet. */
  rest: Buffer;
}

export function parsePackets(buf: Buffer): Parsed {
  const packets: Packet[] = [];
  let p = 0;
  while (p + HEADER_LEN <= buf.length) {
    const keylen = buf.readUInt16BE(p + 2);
    const extlen = buf[p + 4];
    const bodylen = buf.readUInt32BE(p + 8);
    if (p + HEADER_LEN + bodylen > buf.length) break;
    const body = buf.subarray(p + HEADER_LEN, p + HEADER_LEN + bodylen);
    packets.push({
      magic: buf[p],
      opcode: buf[p + 1],
      datatype: buf[p + 5],
      status: buf.readUInt16BE(p + 6),
      opaque: buf.readUInt32BE(p + 12),
      cas: buf.readBigUInt64BE(p + 16),
      extras: body.subarray(0, extlen),
      key: body.subarray(extlen, extlen + keylen),
      value: body.subarray(extlen + keylen),
    });
    p += HEADER_LEN + bodylen;
  }
  return { packets, rest: buf.subarray(p) };
}

export interface NormaliseOptions {
  /** Compare stat values too (default: only their names and order). */
  statValues?: boolean;
}

const MAX_SHOWN = 120;

/**
 * One line per packet, CAS values replaced by labels in order of first appearance (0 kept),
 * stat values masked unless asked for, long values shown by length and a checksum.
 */
export function normalisePackets(buf: Buffer, opts: NormaliseOptions = {}): string {
  const { packets, rest } = parsePackets(buf);
  const cas = new CasLabels();
  const lines = packets.map((p) => {
    const isStat = p.opcode === Op.STAT && p.status === Status.SUCCESS && p.key.length > 0;
    const value = isStat && !opts.statValues ? "<stat>" : show(p.value);
    return [
      `magic=${hex(p.magic)} op=${hex(p.opcode)} status=${hex(p.status)} dt=${p.datatype}`,
      `opaque=${p.opaque} cas=${cas.label(p.cas)} extras=${p.extras.toString("hex")}`,
      `key=${JSON.stringify(p.key.toString("latin1"))} value=${value}`,
    ].join(" ");
  });
  if (rest.length) lines.push(`<${rest.length} trailing bytes: ${rest.subarray(0, 32).toString("hex")}>`);
  return lines.join("\n");
}

function show(v: Buffer): string {
  if (v.length <= MAX_SHOWN) return JSON.stringify(v.toString("latin1"));
  let sum = 0;
  for (const b of v) sum = (sum * 31 + b) >>> 0;
  return `<${v.length} bytes, sum ${sum.toString(16)}>`;
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;
