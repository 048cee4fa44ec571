// The binary protocol, byte for byte against Debian's memcached 1.6.18: every case is sent to
// both servers on fresh connections and the replies must be the same packets (CAS values
// compared by which are equal, stat values by name) with the same connection-closed status.
import { describeCorpus, unixIn, BINARY, type Case } from "../helpers/differential.js";
import { Op, packet, u32s, arithExtras, parsePackets } from "../helpers/binary.js";

const a = (n: number) => Buffer.alloc(n, 0x61);
const setPkt = (key: string, value: string | Uint8Array, flags = 0, exptime = 0, opaque = 0) =>
  packet(Op.SET, { key, extras: u32s(flags, exptime), value, opaque });
const get = (op: number, key: string, opaque = 0) => packet(op, { key, opaque });
const noop = (opaque = 0) => packet(Op.NOOP, { opaque });
const stat = (key: string, value?: string) => packet(Op.STAT, { key, value });
const arith = (op: number, key: string, delta: bigint, initial: bigint, exp: number) =>
  packet(op, { key, extras: arithExtras(delta, initial, exp) });
const touch = (op: number, key: string, exptime: number) => packet(op, { key, extras: u32s(exptime) });
/** The CAS of the last successful reply received, for echoing it back. */
const lastCas = (received: Buffer) => {
  const ok = parsePackets(received).packets.filter((p) => p.status === 0 && p.cas !== 0n);
  if (!ok.length) throw new Error("no reply with a CAS yet");
  return ok[ok.length - 1].cas;
};
const cat = (...b: Buffer[]) => Buffer.concat(b);

const cases: Case[] = [
  // --- framing, noop, version, opaque echo
  { name: "noop and version echo the opaque", send: cat(noop(7), packet(Op.VERSION, { opaque: 0xdeadbeef })), bytewise: true },
  { name: "a non-zero datatype is ignored", send: packet(Op.NOOP, { datatype: 7 }) },
  { name: "an incomplete header waits", send: noop().subarray(0, 20) },
  { name: "an incomplete key waits", send: get(Op.GET, "incomplete").subarray(0, 28) },
  { name: "bad magic closes without a word", send: packet(Op.NOOP, { magic: 0x81 }) },
  { name: "bad magic: replies memcached had transmitted (after a noop) still go out", send: cat(noop(), packet(Op.NOOP, { magic: 0x81 })) },
  { name: "bad magic: replies still queued are dropped", send: cat(setPkt("b-m1", "x"), packet(Op.NOOP, { magic: 0x00 })) },
  { name: "bad magic: an error reply was transmitted, a later success was not", send: cat(noop(), setPkt("b-m2", "x"), get(Op.GET, "b-nx"), setPkt("b-m3", "y"), Buffer.alloc(24)) },
  { name: "a text line on a binary connection is not a header", send: cat(noop(), Buffer.from("get a\r\n" + "x".repeat(20))) },

  // --- storage and retrieval
  {
    name: "set then get, getk, getq, getkq",
    send: cat(setPkt("b-1", "hello", 0xcafe, 0, 1), get(Op.GET, "b-1", 2), get(Op.GETK, "b-1", 3), get(Op.GETQ, "b-1", 4), get(Op.GETKQ, "b-1", 5)),
    bytewise: true,
  },
  { name: "misses: get says Not found, getk returns the key, quiet ones say nothing", send: cat(get(Op.GET, "b-nx"), get(Op.GETK, "b-nx"), get(Op.GETQ, "b-nx"), get(Op.GETKQ, "b-nx"), noop()) },
  { name: "empty value and a value of binary bytes", send: cat(setPkt("b-2", ""), setPkt("b-3", Buffer.from([0, 1, 2, 13, 10, 255])), get(Op.GET, "b-2"), get(Op.GET, "b-3")) },
  { name: "flags are returned as stored", send: cat(setPkt("b-4", "x", 0xffffffff), get(Op.GET, "b-4")) },
  {
    name: "add and replace, loud and quiet",
    send: cat(
      packet(Op.ADD, { key: "b-5", extras: u32s(0, 0), value: "1" }), packet(Op.ADD, { key: "b-5", extras: u32s(0, 0), value: "2" }),
      packet(Op.ADDQ, { key: "b-5", extras: u32s(0, 0), value: "3" }), packet(Op.REPLACE, { key: "b-5", extras: u32s(0, 0), value: "4" }),
      packet(Op.REPLACE, { key: "b-nx5", extras: u32s(0, 0), value: "5" }), packet(Op.REPLACEQ, { key: "b-nx5", extras: u32s(0, 0), value: "6" }),
      packet(Op.SETQ, { key: "b-5q", extras: u32s(0, 0), value: "7" }), get(Op.GET, "b-5"), get(Op.GET, "b-5q"), noop(),
    ),
  },
  {
    name: "cas: matching, mismatching, on a missing key",
    send: [
      setPkt("b-6", "v1"),
      (r) => cat(packet(Op.SET, { key: "b-6", extras: u32s(0, 0), value: "v2", cas: lastCas(r) }), packet(Op.SET, { key: "b-6", extras: u32s(0, 0), value: "v3", cas: 1n }),
        packet(Op.SET, { key: "b-nx6", extras: u32s(0, 0), value: "v", cas: 5n }), packet(Op.ADD, { key: "b-6", extras: u32s(0, 0), value: "v4", cas: 7n }), get(Op.GET, "b-6")),
    ],
  },
  {
    name: "append and prepend, loud and quiet, missing and with a CAS",
    send: [
      setPkt("b-7", "mid"),
      (r) => cat(packet(Op.APPEND, { key: "b-7", value: ">" }), packet(Op.PREPEND, { key: "b-7", value: "<" }), packet(Op.APPENDQ, { key: "b-7", value: "!" }),
        packet(Op.PREPENDQ, { key: "b-7", value: "" }), packet(Op.APPEND, { key: "b-nx7", value: "x" }), packet(Op.APPENDQ, { key: "b-nx7", value: "x" }),
        packet(Op.APPEND, { key: "b-7", value: "?", cas: 3n }), packet(Op.APPEND, { key: "b-7", value: ".", cas: lastCas(r) }), get(Op.GET, "b-7")),
    ],
  },
  {
    name: "delete: hit, miss, quiet, CAS mismatch and match",
    send: [
      cat(setPkt("b-8", "x"), setPkt("b-9", "y")),
      (r) => cat(packet(Op.DELETE, { key: "b-8", cas: 99n }), packet(Op.DELETE, { key: "b-8" }), packet(Op.DELETE, { key: "b-8" }),
        packet(Op.DELETEQ, { key: "b-8" }), packet(Op.DELETE, { key: "b-9", cas: lastCas(r) }), packet(Op.DELETEQ, { key: "b-nx" }), noop()),
    ],
  },
  { name: "a chunked value (600000 bytes)", send: cat(setPkt("b-big", a(600000)), get(Op.GET, "b-big"), get(Op.GETK, "b-big")) },
  { name: "gets whose values overfill one output batch", send: cat(setPkt("b-big3", a(600000)), ...Array.from({ length: 6 }, (_, i) => get(i % 2 ? Op.GETK : Op.GETQ, "b-big3", i)), noop()) },
  { name: "a value arriving in many pieces", send: [setPkt("b-pc", a(5000)).subarray(0, 30), setPkt("b-pc", a(5000)).subarray(30, 3000), setPkt("b-pc", a(5000)).subarray(3000), get(Op.GET, "b-pc")], pauseMs: 20 },
  { name: "too large: E2BIG, the value is swallowed", send: cat(setPkt("b-tl", a(1024 * 1024)), noop(), get(Op.GET, "b-tl")) },
  { name: "too large append is E2BIG too", send: cat(packet(Op.APPEND, { key: "b-tl", value: a(1024 * 1024) }), noop()) },
  { name: "a failed set removes the old value", send: cat(setPkt("b-tl2", "old"), setPkt("b-tl2", a(1024 * 1024)), get(Op.GET, "b-tl2")) },
  { name: "too large arriving in pieces", send: [setPkt("b-tl3", a(1024 * 1024 + 10)).subarray(0, 100000), setPkt("b-tl3", a(1024 * 1024 + 10)).subarray(100000), noop()], pauseMs: 30 },
  { name: "an absolute exptime in the past expires at once", send: () => cat(setPkt("b-exp", "x", 0, unixIn(-10)), get(Op.GET, "b-exp")) },
  { name: "exptime 2^32-1 is a far future absolute time", send: cat(setPkt("b-exp2", "x", 0, 0xffffffff), get(Op.GET, "b-exp2")) },

  // --- incr / decr
  {
    name: "incr and decr: create with initial, count, floor at zero",
    send: cat(arith(Op.INCREMENT, "b-c1", 5n, 10n, 0), arith(Op.INCREMENT, "b-c1", 5n, 10n, 0), arith(Op.DECREMENT, "b-c1", 100n, 0n, 0),
      arith(Op.DECREMENTQ, "b-c1", 1n, 0n, 0), arith(Op.INCREMENTQ, "b-c1", 7n, 0n, 0), get(Op.GET, "b-c1")),
  },
  { name: "incr on a missing key with expiration 0xffffffff is Not found", send: cat(arith(Op.INCREMENT, "b-c2", 1n, 0n, 0xffffffff), arith(Op.DECREMENTQ, "b-c2", 1n, 0n, 0xffffffff), noop()) },
  { name: "incr wraps at 2^64", send: cat(setPkt("b-c3", "18446744073709551615"), arith(Op.INCREMENT, "b-c3", 2n, 0n, 0), get(Op.GET, "b-c3")) },
  { name: "incr on a non-number", send: cat(setPkt("b-c4", "abc"), arith(Op.INCREMENT, "b-c4", 1n, 0n, 0), setPkt("b-c5", ""), arith(Op.DECREMENT, "b-c5", 1n, 0n, 0)) },
  { name: "decr keeps the length, padding with spaces", send: cat(setPkt("b-c6", "100"), arith(Op.DECREMENT, "b-c6", 95n, 0n, 0), get(Op.GET, "b-c6"), arith(Op.INCREMENT, "b-c6", 1000n, 0n, 0), get(Op.GET, "b-c6")) },
  {
    name: "incr with a CAS",
    send: [setPkt("b-c7", "1"), (r) => cat(packet(Op.INCREMENT, { key: "b-c7", extras: arithExtras(1n, 0n, 0), cas: 12345n }), packet(Op.INCREMENT, { key: "b-c7", extras: arithExtras(1n, 0n, 0), cas: lastCas(r) }))],
  },

  // --- touch / gat
  {
    name: "touch, gat, gatk and their quiet forms",
    send: cat(setPkt("b-t1", "tv", 9), touch(Op.TOUCH, "b-t1", 100), touch(Op.GAT, "b-t1", 100), touch(Op.GATK, "b-t1", 100), touch(Op.GATQ, "b-t1", 100),
      touch(Op.GATKQ, "b-t1", 100), touch(Op.TOUCH, "b-nx", 1), touch(Op.GAT, "b-nx", 1), touch(Op.GATK, "b-nx", 1), touch(Op.GATQ, "b-nx", 1), touch(Op.GATKQ, "b-nx", 1), noop()),
  },
  { name: "gat with an expired time makes the item gone", send: () => cat(setPkt("b-t2", "x"), touch(Op.GAT, "b-t2", unixIn(-10)), get(Op.GET, "b-t2")) },
  { name: "value bytes after a touch's key are read as the next packet", send: cat(setPkt("b-t3", "x"), packet(Op.TOUCH, { key: "b-t3", extras: u32s(0), value: noop(5) })) },

  // --- flush
  { name: "flush, flushq, flush with a delay", send: cat(setPkt("b-f1", "x"), packet(Op.FLUSHQ), get(Op.GET, "b-f1"), packet(Op.FLUSH, { extras: u32s(0) }), packet(Op.FLUSH, { extras: u32s(1000) }), setPkt("b-f2", "y"), get(Op.GET, "b-f2"), packet(Op.FLUSH)) },
  { name: "-F refuses flush with AUTH_ERROR", serverArgs: ["-F"], send: cat(packet(Op.FLUSH), packet(Op.FLUSHQ), noop()) },

  // --- stat
  { name: "stats, general: the same names in the same order", send: stat("") },
  { name: "stats settings", send: stat("settings") },
  { name: "stats settings matched by prefix", send: stat("settingsXYZ") },
  { name: "stats items and slabs", send: cat(setPkt("b-s1", "x"), stat("items"), stat("slabs")) },
  { name: "stats sizes", send: stat("sizes") },
  { name: "stats sizes_enable, sizes, sizes_disable", send: cat(stat("sizes_enable"), setPkt("b-s2", "x"), stat("sizes"), stat("sizes_disable")), serverArgs: ["-o", "track_sizes"] },
  { name: "stats detail on, dump, off", send: cat(stat("detail on"), setPkt("p1:k", "x"), get(Op.GET, "p1:k"), get(Op.GET, "p2:k"), stat("detail dump"), stat("detail off"), stat("detail what"), stat("detail")), statValues: true },
  { name: "stats reset answers only the terminator", send: cat(stat("reset"), stat("resetting")) },
  { name: "unknown stats groups", send: cat(stat("bogus"), stat("conns"), stat("cachedump 1 1"), stat("res"), stat("item")) },
  { name: "value bytes after a stat's key are read as the next packet", send: stat("items", noop(3).toString("latin1")) },

  // --- quit
  { name: "quit answers, then closes", send: cat(packet(Op.VERSION), packet(Op.QUIT), noop()) },
  { name: "quitq closes silently", send: cat(noop(), packet(Op.QUITQ), noop()) },

  // --- validation: memcached answers EINVAL and closes
  { name: "get with extras", send: packet(Op.GET, { key: "k", extras: u32s(1) }) },
  { name: "get without a key", send: packet(Op.GET) },
  { name: "get with a value", send: packet(Op.GET, { key: "k", value: "v" }) },
  { name: "key of 251 bytes", send: get(Op.GET, "k".repeat(251)) },
  { name: "key of 250 bytes is fine", send: cat(setPkt("k".repeat(250), "v"), get(Op.GETK, "k".repeat(250))) },
  { name: "set without extras", send: packet(Op.SET, { key: "k", value: "v" }) },
  { name: "set without a key", send: packet(Op.SET, { extras: u32s(0, 0), value: "v" }) },
  { name: "add with short extras", send: packet(Op.ADD, { key: "k", extras: u32s(0), value: "v" }) },
  { name: "delete with extras", send: packet(Op.DELETE, { key: "k", extras: u32s(0) }) },
  { name: "incr with a value", send: packet(Op.INCREMENT, { key: "k", extras: arithExtras(1n, 0n, 0), value: "1" }) },
  { name: "append with extras", send: packet(Op.APPEND, { key: "k", extras: u32s(0), value: "v" }) },
  { name: "touch without extras", send: packet(Op.TOUCH, { key: "k" }) },
  { name: "version with a body", send: packet(Op.VERSION, { key: "k" }) },
  { name: "noop with a body", send: packet(Op.NOOP, { value: "x" }) },
  { name: "quit with a body", send: packet(Op.QUIT, { extras: u32s(1) }) },
  { name: "flush with a key", send: packet(Op.FLUSH, { key: "k" }) },
  { name: "flush with 8 bytes of extras", send: packet(Op.FLUSH, { extras: u32s(1, 2) }) },
  { name: "stat with extras", send: packet(Op.STAT, { extras: u32s(1) }) },
  { name: "key length beyond the body: UNKNOWN_COMMAND and close", send: packet(Op.GET, { key: "abc", bodylen: 2 }) },
  { name: "key and extras beyond the body", send: packet(Op.SET, { key: "abc", extras: u32s(0, 0), bodylen: 9 }) },

  // --- unknown opcodes: UNKNOWN_COMMAND, then body length bytes after the key are skipped
  { name: "verbosity is not served", send: cat(packet(Op.VERBOSITY, { extras: u32s(1) }), noop()) },
  { name: "rget is not served", send: cat(packet(Op.RGET, { key: "a" }), Buffer.from("a"), noop()) },
  { name: "an unknown opcode skips body length bytes counted after its key", send: cat(packet(0x45, { key: "ab", value: "xyz" }), Buffer.from("ab"), noop()) },
  { name: "unknown opcodes one after another", send: cat(packet(0x50), packet(0x60, { value: "12" }), noop()), bytewise: true },
  { name: "SASL opcodes without -S are unknown", send: cat(packet(Op.SASL_LIST_MECHS), packet(Op.SASL_AUTH, { key: "PLAIN", value: "\0u\0p" }), packet(Op.SASL_STEP, { key: "PLAIN", value: "x" }), noop()) },

  // --- pipelining and quiet commands
  {
    name: "a pipeline of quiet commands ended by noop",
    send: cat(...Array.from({ length: 30 }, (_, i) => packet(Op.SETQ, { key: `b-q${i}`, extras: u32s(i, 0), value: `v${i}` })),
      ...Array.from({ length: 40 }, (_, i) => get(Op.GETKQ, `b-q${i}`, i)), noop(99)),
  },

  // --- protocol selection
  { name: "-B binary: a text command is a bad header", serverArgs: ["-B", "binary"], send: "version\r\nversion\r\nversion\r\n" },
  { name: "-B binary serves binary", serverArgs: ["-B", "binary"], send: packet(Op.VERSION) },
  { name: "-B ascii: a binary packet is text", serverArgs: ["-B", "ascii"], send: cat(packet(Op.VERSION), Buffer.from("\r\nversion\r\n")) },
];

describeCorpus("binary protocol", cases, BINARY);
