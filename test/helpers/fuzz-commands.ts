// fast-check arbitraries for well-formed requests in all three protocols: classic text, meta and
// binary, with keys, numbers and values drawn from the edges each command cares about (250-byte
// keys, 32- and 64-bit limits, relative and absolute exptimes, values around the slab chunk and
// item size limits). The fuzzers mutate and split these; valid streams also run as they are.
import fc from "fast-check";
import { Rng } from "./rng.js";
import { Op, packet, u32s, arithExtras } from "./binary.js";
import { START_TIME } from "./engine.js";
import { readable } from "./readable-bytes.js";

const enc = (s: string) => Buffer.from(s, "latin1");
const CRLF = "\r\n";

// A small key space so commands meet each other's items, plus keys at and past the 250-byte
// limit and keys with bytes the text protocol allows (controls, \r, bytes >= 0x80).
export const KEYS = [
  "a", "b", "c", "k:1", "k:2", "foo:bar", "n", "x".repeat(250), "y".repeat(251), "\x01\x7f", "h\xe9", "t\tab", "c\rr",
];
const VALID_KEYS = KEYS.filter((k) => k.length <= 250);
const HOT_KEYS = ["a", "b", "k:1"];
// Mostly a few hot keys, so that commands in one stream meet each other's items; the rest of
// the valid keys less often; now and then one a byte too long.
const key = fc.oneof(
  { arbitrary: fc.constantFrom(...HOT_KEYS), weight: 12 },
  { arbitrary: fc.constantFrom(...VALID_KEYS), weight: 6 },
  { arbitrary: fc.constant("y".repeat(251)), weight: 1 },
);
const keys = fc.array(key, { minLength: 1, maxLength: 4 }).map((ks) => ks.join(" "));

const DAY30 = 60 * 60 * 24 * 30;
// Relative, negative, the 30-day boundary, absolute past and future (the fake clock's epoch),
// 32-bit truncation; now and then what a number parser must refuse.
const exptime = fc.oneof(
  { arbitrary: fc.constantFrom(
    "0", "0", "1", "2", "60", "-1", String(DAY30), String(DAY30 + 1), String(START_TIME - 1000), String(START_TIME + 100),
    "4294967296", "-2147483649"), weight: 20 },
  { arbitrary: fc.constant("abc"), weight: 1 },
);
const flags = fc.oneof(
  { arbitrary: fc.constantFrom("0", "0", "0", "1", "42", "4294967295", "4294967296"), weight: 20 },
  { arbitrary: fc.constantFrom("-1", "x"), weight: 1 },
);
const u64 = fc.oneof(
  { arbitrary: fc.constantFrom(
    "0", "1", "2", "9", "10", "99", "255", "4294967296", "9223372036854775808", "18446744073709551615"), weight: 20 },
  { arbitrary: fc.constantFrom("18446744073709551616", "-1", "12a", ""), weight: 1 },
);
const noreply = fc.constantFrom("", "", "", " noreply");

// Value lengths: small, around class sizes, and past the slab chunk and item size limits that
// the fuzz servers set (test/fuzz/driver-input.test.ts).
const valueLength = fc.oneof(
  { arbitrary: fc.nat(40), weight: 6 },
  { arbitrary: fc.integer({ min: 41, max: 5000 }), weight: 3 },
  { arbitrary: fc.integer({ min: 15_000, max: 70_000 }), weight: 1 },
);

type ValueKind = "digits" | "bytes" | "text";

/** Value bytes made from a seed, so a large value costs fast-check one number, not one per byte. */
export function valueBytes(len: number, seed: number, kind: ValueKind): Buffer {
  const rng = new Rng(seed);
  if (kind === "bytes") return Buffer.from(rng.bytes(len));
  const alphabet = kind === "digits" ? "0123456789" : "abcdefghijklmnopqrstuvwxyz \r\n";
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) out[i] = alphabet.charCodeAt(rng.int(alphabet.length));
  return out;
}

const value = fc
  .record({ len: valueLength, seed: fc.nat(), kind: fc.constantFrom<ValueKind>("digits", "digits", "bytes", "text") })
  .map(({ len, seed, kind }) => valueBytes(len, seed, kind));

// ── classic text ───────────────────────────────────────────────────────────────────────

// set/add/replace/append/prepend/cas; the length announced is now and then one off, which
// memcached answers with `bad data chunk`.
const textStore = fc
  .record({
    cmd: fc.constantFrom("set", "set", "add", "replace", "append", "prepend", "cas"),
    key, flags, exptime, value, unique: u64, noreply,
    skew: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, -1, 1),
  })
  .map(({ cmd, key, flags, exptime, value, unique, noreply, skew }) => {
    const cas = cmd === "cas" ? ` ${unique}` : "";
    return Buffer.concat([enc(`${cmd} ${key} ${flags} ${exptime} ${value.length + skew}${cas}${noreply}${CRLF}`), value, enc(CRLF)]);
  });

const textLine = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom("get", "gets", "bget"), keys).map(([c, k]) => `${c} ${k}`), weight: 6 },
  { arbitrary: fc.tuple(fc.constantFrom("gat", "gats"), exptime, keys).map(([c, e, k]) => `${c} ${e} ${k}`), weight: 2 },
  { arbitrary: fc.tuple(key, fc.constantFrom("", " 0", " noreply", " 0 noreply", " 1")).map(([k, t]) => `delete ${k}${t}`), weight: 2 },
  { arbitrary: fc.tuple(fc.constantFrom("incr", "decr"), key, u64, noreply).map(([c, k, d, n]) => `${c} ${k} ${d}${n}`), weight: 3 },
  { arbitrary: fc.tuple(key, exptime, noreply).map(([k, e, n]) => `touch ${k} ${e}${n}`), weight: 2 },
  { arbitrary: fc.constantFrom("flush_all", "flush_all 0", "flush_all 2", "flush_all -1", "flush_all noreply"), weight: 1 },
  { arbitrary: adminLine(), weight: 2 },
);

// Commands that look at or reshape the whole server: stats, slab moves, LRU tuning, the
// crawler and its metadump, memory limit changes, verbosity.
function adminLine(): fc.Arbitrary<string> {
  const cls = fc.constantFrom("-1", "0", "1", "2", "5", "12", "63", "64", "x");
  return fc.oneof(
    fc.constantFrom(
      "version", "verbosity 1", "verbosity 0 noreply", "stats", "stats settings", "stats items", "stats slabs",
      "stats sizes", "stats conns", "stats detail on", "stats detail dump", "stats detail off", "stats reset",
      "stats sizes_enable", "stats sizes_disable", "slabs automove 0", "slabs automove 1", "slabs automove 2",
      "lru mode flat", "lru mode segmented", "lru temp_ttl 30", "lru temp_ttl -1", "lru tune 10 30 0.1 2.0",
      "lru_crawler crawl all", "lru_crawler metadump all", "lru_crawler metadump hash", "lru_crawler sleep 10",
      "lru_crawler tocrawl 5", "lru_crawler disable", "lru_crawler enable", "cache_memlimit 8", "cache_memlimit 3",
      "cache_memlimit 64", "mn", "shutdown bogus", "misbehave",
    ),
    fc.tuple(cls, cls).map(([a, b]) => `slabs reassign ${a} ${b}`),
    fc.tuple(cls, fc.constantFrom("0", "1", "10")).map(([c, n]) => `stats cachedump ${c} ${n}`),
    fc.tuple(cls).map(([c]) => `lru_crawler crawl ${c},1`),
  );
}

const textCommand: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: textStore, weight: 5 },
  { arbitrary: textLine.map((l) => enc(l + CRLF)), weight: 7 },
);

// ── meta ───────────────────────────────────────────────────────────────────────────────

const opaque = fc.constantFrom("O1", "Oabc", `O${"z".repeat(31)}`, `O${"z".repeat(32)}`);
// One token per flag letter, with arguments from each flag's edges (m: the M flag with ma's modes).
const META_FLAG_TOKENS: Record<string, fc.Arbitrary<string>> = {
  c: fc.constant("c"), f: fc.constant("f"), h: fc.constant("h"), k: fc.constant("k"),
  l: fc.constant("l"), q: fc.constant("q"), s: fc.constant("s"), t: fc.constant("t"), u: fc.constant("u"),
  v: fc.constant("v"), I: fc.constant("I"), O: opaque, P: fc.constant("Pproxy"), L: fc.constant("L1"),
  N: exptime.map((e) => `N${e}`), R: exptime.map((e) => `R${e}`), T: exptime.map((e) => `T${e}`),
  F: flags.map((f) => `F${f}`), C: u64.map((c) => `C${c}`), J: u64.map((j) => `J${j}`), D: u64.map((d) => `D${d}`),
  // ms modes, then ma modes; each now and then meets the other command, or no mode at all.
  M: fc.constantFrom("ME", "MA", "MP", "MR", "MS", "MX", "Mxx"),
  m: fc.constantFrom("MI", "M+", "MD", "M-", "MA"),
};

function metaFlags(letters: string): fc.Arbitrary<string> {
  return fc
    .subarray([...letters], { maxLength: 6 })
    .chain((ls) => (ls.length ? fc.tuple(...ls.map((l) => META_FLAG_TOKENS[l])) : fc.constant([] as string[])))
    .map((ts) => ts.map((t) => ` ${t}`).join(""));
}

// A key as itself, or base64-encoded with the b flag; now and then the flag on a plain key.
// [key, flag]: the flag goes among the others (after ms's length).
const metaKey = fc.oneof(
  { arbitrary: key.map((k) => [k, ""]), weight: 12 },
  { arbitrary: key.map((k) => [Buffer.from(k, "latin1").toString("base64"), " b"]), weight: 3 },
  { arbitrary: key.map((k) => [k, " b"]), weight: 1 },
);

const metaLine = fc.oneof(
  { arbitrary: fc.tuple(metaKey, metaFlags("cfhklOqstuvNRTP")).map(([[k, b], f]) => `mg ${k}${b}${f}`), weight: 5 },
  { arbitrary: fc.tuple(metaKey, metaFlags("CIkOqTL")).map(([[k, b], f]) => `md ${k}${b}${f}`), weight: 2 },
  { arbitrary: fc.tuple(metaKey, metaFlags("CNJDTmqtcvOk")).map(([[k, b], f]) => `ma ${k}${b}${f}`), weight: 2 },
  { arbitrary: metaKey.map(([k, b]) => `me ${k}${b}`), weight: 1 },
  { arbitrary: fc.constant("mn"), weight: 1 },
);

const metaSet = fc
  .record({ key: metaKey, value, flags: metaFlags("cCIkOqTFM") })
  .map(({ key: [k, b], value, flags }) => Buffer.concat([enc(`ms ${k} ${value.length}${b}${flags}${CRLF}`), value, enc(CRLF)]));

const metaCommand: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: metaSet, weight: 2 },
  { arbitrary: metaLine.map((l) => enc(l + CRLF)), weight: 3 },
);

/** A text connection's stream: classic and meta commands mixed. */
export const textStream = fc.array(fc.oneof(textCommand, metaCommand), { minLength: 1, maxLength: 60, size: "max" })
  .map((cs) => readable(Buffer.concat(cs)));

// ── binary ─────────────────────────────────────────────────────────────────────────────

// Any malformed packet closes a binary connection, so bad keys (none, too long) stay rare.
const binKey = fc.oneof(
  { arbitrary: fc.constantFrom(...HOT_KEYS), weight: 40 },
  { arbitrary: fc.constantFrom(...VALID_KEYS), weight: 20 },
  { arbitrary: fc.constantFrom("", "y".repeat(251)), weight: 1 },
);
const bin32 = fc.constantFrom(0, 1, 2, 60, DAY30 + 1, START_TIME + 100, 0xffffffff);
const bin64 = fc.constantFrom(0n, 1n, 5n, 1n << 32n, (1n << 64n) - 1n);
const STORE_OPS = [Op.SET, Op.ADD, Op.REPLACE, Op.SETQ, Op.ADDQ, Op.REPLACEQ];
const JOIN_OPS = [Op.APPEND, Op.PREPEND, Op.APPENDQ, Op.PREPENDQ];
const ARITH_OPS = [Op.INCREMENT, Op.DECREMENT, Op.INCREMENTQ, Op.DECREMENTQ];
const TOUCH_OPS = [Op.TOUCH, Op.GAT, Op.GATQ, Op.GATK, Op.GATKQ];
const GET_OPS = [Op.GET, Op.GETQ, Op.GETK, Op.GETKQ, Op.DELETE, Op.DELETEQ];
// SASL_AUTH is left to the mutations: without -S it is an unknown command, which closes.
const BARE_OPS = [Op.NOOP, Op.VERSION, Op.FLUSHQ, Op.SASL_LIST_MECHS];
const STAT_GROUPS = ["", "settings", "items", "slabs", "sizes", "detail dump", "reset", "bogus"];
// Opcodes 1.6.18 does not serve (VERBOSITY, RGET and others) are left to the mutations too:
// memcached skips `body length` bytes after their key, which eats into the next packet.

const binaryPacket: fc.Arbitrary<Buffer> = fc
  .record({ opaque: fc.nat(), cas: fc.constantFrom(0n, 0n, 0n, 0n, 0n, 0n, 1n, 2n, 99n), key: binKey })
  .chain(({ opaque, cas, key }) => {
    const base = { opaque, cas, key };
    return fc.oneof(
      { arbitrary: fc.tuple(fc.constantFrom(...STORE_OPS), bin32, bin32, value)
          .map(([op, fl, ex, v]) => packet(op, { ...base, extras: u32s(fl, ex), value: v })), weight: 4 },
      { arbitrary: fc.tuple(fc.constantFrom(...JOIN_OPS), value).map(([op, v]) => packet(op, { ...base, value: v })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom(...ARITH_OPS), bin64, bin64, bin32)
          .map(([op, d, i, e]) => packet(op, { ...base, extras: arithExtras(d, i, e) })), weight: 2 },
      { arbitrary: fc.tuple(fc.constantFrom(...TOUCH_OPS), bin32).map(([op, e]) => packet(op, { ...base, extras: u32s(e) })), weight: 1 },
      { arbitrary: fc.constantFrom(...GET_OPS).map((op) => packet(op, base)), weight: 4 },
      { arbitrary: fc.constantFrom(...BARE_OPS).map((op) => packet(op, { opaque })), weight: 1 },
      { arbitrary: fc.constantFrom(...STAT_GROUPS).map((g) => packet(Op.STAT, { opaque, key: g })), weight: 1 },
      { arbitrary: bin32.map((d) => packet(Op.FLUSH, { opaque, extras: u32s(d) })), weight: 1 },
    );
  });

/** A binary connection's stream (its first byte, 0x80, selects the protocol). */
export const binaryStream = fc.array(binaryPacket, { minLength: 1, maxLength: 30, size: "max" })
  .map((ps) => readable(Buffer.concat(ps)));
