// Byte-level fuzz inputs: pure garbage, "token soup" (protocol words in random order, which
// reaches deeper into the parsers than random bytes do), byte mutations of valid streams, and
// the points where a stream is cut into the reads a server sees.
import fc from "fast-check";
import { KEYS } from "./fuzz-commands.js";
import { readable } from "./readable-bytes.js";

const enc = (s: string) => Buffer.from(s, "latin1");
const BINARY_MAGIC = 0x80;

/** Random bytes; half the time led by 0x80, so the binary parser sees garbage too. */
export const garbage = fc
  .tuple(fc.boolean(), fc.uint8Array({ maxLength: 3000 }))
  .map(([binary, bytes]) => readable(Buffer.concat([binary ? Buffer.of(BINARY_MAGIC) : Buffer.alloc(0), bytes])));

// Command names first: a soup line usually starts with one, so the parsers get past dispatch.
const COMMANDS = [
  "get", "gets", "bget", "gat", "gats", "set", "add", "replace", "append", "prepend", "cas", "delete", "incr", "decr",
  "touch", "flush_all", "version", "verbosity", "stats", "quit", "shutdown", "slabs", "lru", "lru_crawler",
  "cache_memlimit", "watch", "mg", "ms", "md", "ma", "mn", "me",
];
const WORDS = [
  ...COMMANDS, "reassign", "automove", "tune", "mode", "temp_ttl", "crawl", "metadump", "sleep", "tocrawl", "enable",
  "disable", "all", "hash", "fetchers", "mutations", "evictions", "connevents", "settings", "items", "sizes", "conns",
  "detail", "dump", "on", "off", "cachedump", "reset", "sizes_enable", "sizes_disable", "noreply", "HTTP/1.1",
  "0", "1", "2", "5", "-1", "10", "100", "250", "251", "4294967295", "4294967296", "18446744073709551615",
  "18446744073709551616", "2592001", "1700000100", "abc",
  "v", "k", "c", "f", "q", "b", "t", "s", "h", "l", "u", "I", "T30", "N30", "R30", "C1", "F1", "D1", "J1",
  "ME", "MA", "MP", "MR", "MS", "MI", "MD", "M+", "O123", "Pp", "L1",
  ...KEYS,
];
const SEPARATORS = [" ", " ", " ", " ", "  ", "\t", "\0", "\r"];
const LINE_ENDS = ["\r\n", "\r\n", "\r\n", "\n", "\r\r\n", ""];

const soupLine = fc
  .tuple(
    fc.oneof({ arbitrary: fc.constantFrom(...COMMANDS), weight: 8 }, { arbitrary: fc.constantFrom(...WORDS), weight: 1 }),
    fc.array(fc.tuple(fc.constantFrom(...SEPARATORS), fc.oneof(
      { arbitrary: fc.constantFrom(...WORDS), weight: 8 },
      { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
    )), { maxLength: 8 }),
    fc.constantFrom(...LINE_ENDS),
  )
  .map(([first, rest, end]) => first + rest.map(([sep, w]) => sep + w).join("") + end);

/** Lines of protocol words with odd separators and line ends: what a confused client sends. */
export const tokenSoup = fc.array(soupLine, { maxLength: 40, size: "max" }).map((lines) => readable(enc(lines.join(""))));

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "set"; at: number; byte: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; len: number }
  | { kind: "duplicate"; at: number; len: number }
  | { kind: "truncate"; at: number };

// Bytes that mean something to a parser: separators, line ends, digits, signs, the binary magic.
const INTERESTING = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x2b, 0x2d, 0x30, 0x39, 0x7f, 0x80, 0x81, 0xff];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(255)) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function applyMutation(b: Buffer, m: Mutation): Buffer {
  if (b.length === 0) return m.kind === "insert" ? Buffer.from(m.bytes) : b;
  const at = m.at % b.length;
  switch (m.kind) {
    case "flip": {
      const out = Buffer.from(b);
      out[at] ^= 1 << m.bit;
      return out;
    }
    case "set": {
      const out = Buffer.from(b);
      out[at] = m.byte;
      return out;
    }
    case "insert": return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    case "delete": return Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    case "duplicate": return Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
    case "truncate": return b.subarray(0, at);
  }
}

/** A stream with a few byte-level mutations applied. */
export function mutated(stream: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(stream, fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([s, ms]) => readable(ms.reduce(applyMutation, s)));
}

/** Cut points (as fractions of the stream's length, so they shrink with it): the reads. */
export const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

/** The stream as the reads a server would see, cut where `at` says; empty reads are skipped. */
export function split(stream: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.map((f) => Math.floor(f * stream.length)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, stream.length]) {
    if (p > from) out.push(stream.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}
