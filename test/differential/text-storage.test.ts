// Storage commands: set/add/replace/append/prepend/cas (reference §1.2, §1.6, §1.7 numbers).
import { describeCorpus, TEXT, lastCas, unixIn, type Case } from "../helpers/differential.js";

const a = (n: number) => "a".repeat(n);
/** `text` padded to exactly n bytes: a data block that would be a command if it were not swallowed. */
const pad = (text: string, n: number) => text + a(n - text.length);
const setCmd = (key: string, n: number, flags = 0) => `set ${key} ${flags} 0 ${n}\r\n${a(n)}\r\n`;
const valueOf = (key: string, n: number, flags = 0) => `VALUE ${key} ${flags} ${n}\r\n${a(n)}\r\n`;
const TOO_LARGE = "SERVER_ERROR object too large for cache\r\n";
const OOM = "SERVER_ERROR out of memory storing object\r\n";
const BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";

// Item size limit (§7.2): 48-byte header + key + NUL + optional 4 flag bytes + 8 CAS bytes
// + value + CRLF must fit -I. The keys below are 10 bytes long.
const maxValue = (itemMax: number, { flags = false, cas = true } = {}) =>
  itemMax - 48 - 11 - (flags ? 4 : 0) - (cas ? 8 : 0) - 2;

/** A value exactly at the limit is stored, one byte more is refused with the data swallowed. */
function limitCases(itemMax: number, serverArgs: string[], opts: { cas?: boolean } = {}): Case[] {
  const max = maxValue(itemMax, opts);
  const maxFlagged = maxValue(itemMax, { ...opts, flags: true });
  return [
    { name: `largest value (${max} bytes)`, serverArgs, send: setCmd("st-limit-0", max) + "get st-limit-0\r\n", expect: "STORED\r\n" + valueOf("st-limit-0", max) + "END\r\n" },
    { name: `one byte over the limit (${max + 1})`, serverArgs, send: setCmd("st-limit-1", max + 1) + "get st-limit-1\r\n", expect: TOO_LARGE + "END\r\n" },
    { name: `non-zero flags take 4 bytes (${maxFlagged})`, serverArgs, send: setCmd("st-limit-2", maxFlagged, 1) + setCmd("st-limit-3", maxFlagged + 1, 1), expect: "STORED\r\n" + TOO_LARGE },
  ];
}

const oom = ["-m", "2", "-M"];
const hundredK = (keys: string[]) => keys.map((k) => setCmd(k, 100000)).join("");
const oomKeys = Array.from({ length: 25 }, (_, i) => `st-oom-${i}`);

const cases: Case[] = [
  // --- set basics
  { name: "set then get", send: "set st-1 5 0 3\r\nabc\r\nget st-1\r\n", expect: "STORED\r\nVALUE st-1 5 3\r\nabc\r\nEND\r\n", bytewise: true },
  { name: "set replaces value and flags", send: "set st-2 1 0 1\r\nx\r\nset st-2 2 0 2\r\nyy\r\nget st-2\r\n", expect: "STORED\r\nSTORED\r\nVALUE st-2 2 2\r\nyy\r\nEND\r\n" },
  { name: "empty value", send: "set st-3 0 0 0\r\n\r\nget st-3\r\n", expect: "STORED\r\nVALUE st-3 0 0\r\n\r\nEND\r\n", bytewise: true },
  { name: "value containing CRLF", send: "set st-4 0 0 4\r\n\r\n\r\n\r\nget st-4\r\n", expect: "STORED\r\nVALUE st-4 0 4\r\n\r\n\r\n\r\nEND\r\n" },
  { name: "bare LF after the command line", send: "set st-5 0 0 1\nx\r\nget st-5\n", expect: "STORED\r\nVALUE st-5 0 1\r\nx\r\nEND\r\n" },
  { name: "value sizes 1..100000", send: [1, 10, 100, 1000, 10000, 100000].map((n) => setCmd(`st-sz-${n}`, n)).join("") + "get " + [1, 10, 100, 1000, 10000, 100000].map((n) => `st-sz-${n}`).join(" ") + "\r\n", expect: "STORED\r\n".repeat(6) + [1, 10, 100, 1000, 10000, 100000].map((n) => valueOf(`st-sz-${n}`, n)).join("") + "END\r\n" },
  { name: "chunked value (600000 bytes)", send: setCmd("st-big", 600000) + "get st-big\r\n", expect: "STORED\r\n" + valueOf("st-big", 600000) + "END\r\n" },
  { name: "value arriving in many pieces", send: ["set st-pc 0 0 10\r\n01", "234", "56789", "\r", "\nget st-pc\r\n"], pauseMs: 20, expect: "STORED\r\nVALUE st-pc 0 10\r\n0123456789\r\nEND\r\n" },

  // --- flags
  { name: "flags 2^32-1", send: "set st-f1 4294967295 0 1\r\nx\r\nget st-f1\r\n", expect: "STORED\r\nVALUE st-f1 4294967295 1\r\nx\r\nEND\r\n" },
  { name: "flags 2^32 wrap to 0", send: "set st-f2 4294967296 0 1\r\nx\r\nget st-f2\r\n", expect: "STORED\r\nVALUE st-f2 0 1\r\nx\r\nEND\r\n" },
  { name: "flags 2^64-1 keep the low 32 bits", send: "set st-f3 18446744073709551615 0 1\r\nx\r\nget st-f3\r\n", expect: "STORED\r\nVALUE st-f3 4294967295 1\r\nx\r\nEND\r\n" },
  { name: "flags 2^64 out of range", send: "set st-f4 18446744073709551616 0 1\r\nx\r\n", expect: BAD_FORMAT + "ERROR\r\n" },
  { name: "flags -1", send: "set st-f5 -1 0 1\r\nx\r\nget st-f5\r\n", expect: BAD_FORMAT + "ERROR\r\nEND\r\n" },
  { name: "flags with plus sign and leading zeros", send: "set st-f6 +5 0 1\r\nx\r\nset st-f7 007 0 1\r\ny\r\nget st-f6 st-f7\r\n", expect: "STORED\r\nSTORED\r\nVALUE st-f6 5 1\r\nx\r\nVALUE st-f7 7 1\r\ny\r\nEND\r\n" },
  { name: "flags not a number", send: "set st-f8 abc 0 1\r\nx\r\nset st-f8 0x10 0 1\r\nx\r\nset st-f8 1.5 0 1\r\nx\r\n", expect: (BAD_FORMAT + "ERROR\r\n").repeat(3) },

  // --- exptime
  { name: "negative exptime: stored but already expired", send: "set st-e1 0 -1 1\r\nx\r\nget st-e1\r\n", expect: "STORED\r\nEND\r\n" },
  { name: "exptime -0 means never", send: "set st-e2 0 -0 1\r\nx\r\nget st-e2\r\n", expect: "STORED\r\nVALUE st-e2 0 1\r\nx\r\nEND\r\n" },
  { name: "exptime 30 days is relative", send: "set st-e3 0 2592000 1\r\nx\r\nget st-e3\r\n", expect: "STORED\r\nVALUE st-e3 0 1\r\nx\r\nEND\r\n" },
  { name: "exptime 30 days + 1 is an absolute time in 1970", send: "set st-e4 0 2592001 1\r\nx\r\nget st-e4\r\n", expect: "STORED\r\nEND\r\n" },
  { name: "absolute exptime in the future", send: () => `set st-e5 0 ${unixIn(3600)} 1\r\nx\r\nget st-e5\r\n`, expect: "STORED\r\nVALUE st-e5 0 1\r\nx\r\nEND\r\n" },
  { name: "absolute exptime just past", send: () => `set st-e6 0 ${unixIn(-5)} 1\r\nx\r\nget st-e6\r\n`, expect: "STORED\r\nEND\r\n" },
  { name: "exptime 2^32 truncates to 0 (never)", send: "set st-e7 0 4294967296 1\r\nx\r\nget st-e7\r\n", expect: "STORED\r\nVALUE st-e7 0 1\r\nx\r\nEND\r\n" },
  { name: "exptime 2^32+1000 truncates to 1000 s", send: "set st-e8 0 4294968296 1\r\nx\r\nget st-e8\r\n", expect: "STORED\r\nVALUE st-e8 0 1\r\nx\r\nEND\r\n" },
  { name: "exptime -2^31-1 truncates to 2^31-1 (2038)", send: "set st-e9 0 -2147483649 1\r\nx\r\nget st-e9\r\n", expect: "STORED\r\nVALUE st-e9 0 1\r\nx\r\nEND\r\n" },
  { name: "exptime 2^63 out of range", send: "set st-e10 0 9223372036854775808 1\r\nx\r\n", expect: BAD_FORMAT + "ERROR\r\n" },
  { name: "exptime not a number", send: "set st-e11 0 abc 1\r\nx\r\nset st-e11 0 1.5 1\r\nx\r\n", expect: (BAD_FORMAT + "ERROR\r\n").repeat(2) },

  // --- bytes
  { name: "negative bytes", send: "set st-b1 0 0 -1\r\nx\r\n", expect: BAD_FORMAT + "ERROR\r\n" },
  { name: "bytes not a number", send: "set st-b2 0 0 abc\r\nx\r\nset st-b2 0 0 1.5\r\nx\r\n", expect: (BAD_FORMAT + "ERROR\r\n").repeat(2) },
  { name: "bytes with plus sign and leading zero", send: "set st-b3 0 0 +1\r\nx\r\nset st-b4 0 0 01\r\ny\r\nget st-b3 st-b4\r\n", expect: "STORED\r\nSTORED\r\nVALUE st-b3 0 1\r\nx\r\nVALUE st-b4 0 1\r\ny\r\nEND\r\n" },
  { name: "bytes INT_MAX-1 rejected", send: "set st-b5 0 0 2147483646\r\nx\r\n", expect: BAD_FORMAT + "ERROR\r\n" },
  { name: "bytes INT_MAX-2: too large, reply only after the data", send: "set st-b6 0 0 2147483645\r\nx\r\n", expect: "" },
  { name: "bytes 2^32+1 truncates to 1", send: "set st-b7 0 0 4294967297\r\nx\r\nget st-b7\r\n", expect: "STORED\r\nVALUE st-b7 0 1\r\nx\r\nEND\r\n" },
  { name: "bytes 2^32-1 truncates to -1", send: "set st-b8 0 0 4294967295\r\nx\r\n", expect: BAD_FORMAT + "ERROR\r\n" },
  { name: "bytes -(2^32-1) truncates to 1", send: "set st-b9 0 0 -4294967295\r\nx\r\nget st-b9\r\n", expect: "STORED\r\nVALUE st-b9 0 1\r\nx\r\nEND\r\n" },
  { name: "format errors do not swallow the data", send: "set st-b10 abc 0 13\r\nget st-b10 x\r\n", expect: BAD_FORMAT + "END\r\n" },
  { name: "key of 251 bytes", send: `set ${"k".repeat(251)} 0 0 1\r\nx\r\n`, expect: BAD_FORMAT + "ERROR\r\n" },
  { name: "key of 250 bytes", send: `set ${"k".repeat(250)} 0 0 1\r\nx\r\nget ${"k".repeat(250)}\r\n`, expect: `STORED\r\nVALUE ${"k".repeat(250)} 0 1\r\nx\r\nEND\r\n` },

  // --- word counts and noreply
  { name: "set with 4 words: ERROR, data line parsed", send: "set st-w1 0 0\r\nx\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "set with too few words runs the data line", send: "set st-w2 0 0\r\nversion\r\n", expect: "ERROR\r\nVERSION 1.6.18\r\n" },
  { name: "set with 1 and 2 words", send: "set\r\nset st-w3\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "set with 7 words", send: "set st-w4 0 0 1 a b\r\nx\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "set with noreply plus another word", send: "set st-w5 0 0 1 noreply x\r\nx\r\nget st-w5\r\n", expect: "ERROR\r\nERROR\r\nEND\r\n" },
  { name: "extra sixth word is ignored", send: "set st-w6 0 0 1 extra\r\nx\r\nget st-w6\r\n", expect: "STORED\r\nVALUE st-w6 0 1\r\nx\r\nEND\r\n" },
  { name: "noreply must be exact", send: "set st-w7 0 0 1 norepl\r\nx\r\nset st-w7 0 0 1 NOREPLY\r\ny\r\nset st-w7 0 0 1 noreplyx\r\nz\r\n", expect: "STORED\r\nSTORED\r\nSTORED\r\n" },
  { name: "noreply silences STORED", send: "set st-w8 0 0 1 noreply\r\nx\r\nget st-w8\r\n", expect: "VALUE st-w8 0 1\r\nx\r\nEND\r\n", bytewise: true },
  // noreply is recognised before the key and numbers are checked, so their errors are
  // silenced; only the unswallowed data line answers.
  { name: "noreply silences the error for a 251-byte key", send: `set ${"k".repeat(251)} 0 0 1 noreply\r\nx\r\n`, expect: "ERROR\r\n" },
  { name: "noreply silences format errors of numbers", send: "set st-w9 abc 0 1 noreply\r\nx\r\n", expect: "ERROR\r\n" },

  // --- bad data chunk
  { name: "data longer than announced", send: "set st-d1 0 0 1\r\nabc\r\nget st-d1\r\n", expect: "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n", bytewise: true },
  { name: "data shorter than announced", send: "set st-d2 0 0 3\r\nab\r\n\r\nget st-d2\r\n", expect: "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n" },
  { name: "data ended by bare LF", send: "set st-d3 0 0 1\r\nx\nget st-d3\r\n", expect: "CLIENT_ERROR bad data chunk\r\nERROR\r\n" },
  { name: "data ended by CR CR LF", send: "set st-d4 0 0 1\r\nx\r\r\nget st-d4\r\n", expect: "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n" },
  { name: "bad data chunk keeps the old value", send: "set st-d5 0 0 3\r\nold\r\nset st-d5 0 0 1\r\nabc\r\nget st-d5\r\n", expect: "STORED\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nVALUE st-d5 0 3\r\nold\r\nEND\r\n" },
  { name: "bad data chunk with noreply", send: "set st-d6 0 0 1 noreply\r\nabc\r\nget st-d6\r\n", expect: "ERROR\r\nEND\r\n" },
  { name: "leftover after a bad chunk is a command", send: "set st-d7 0 0 1\r\nxyzversion\r\n", expect: "CLIENT_ERROR bad data chunk\r\nVERSION 1.6.18\r\n" },

  // --- add / replace / append / prepend
  { name: "add to a missing and an existing key", send: "add st-a1 5 0 1\r\nx\r\nadd st-a1 6 0 1\r\ny\r\nget st-a1\r\n", expect: "STORED\r\nNOT_STORED\r\nVALUE st-a1 5 1\r\nx\r\nEND\r\n", bytewise: true },
  { name: "add noreply", send: "add st-a2 0 0 1 noreply\r\nx\r\nadd st-a2 0 0 1 noreply\r\ny\r\nget st-a2\r\n", expect: "VALUE st-a2 0 1\r\nx\r\nEND\r\n" },
  { name: "add over an expired item", send: "set st-a3 0 -1 1\r\nx\r\nadd st-a3 0 0 1\r\ny\r\nget st-a3\r\n", expect: "STORED\r\nSTORED\r\nVALUE st-a3 0 1\r\ny\r\nEND\r\n" },
  { name: "replace a missing and an existing key", send: "replace st-r1 0 0 1\r\nx\r\nset st-r1 1 0 1\r\ny\r\nreplace st-r1 2 0 1\r\nz\r\nget st-r1\r\n", expect: "NOT_STORED\r\nSTORED\r\nSTORED\r\nVALUE st-r1 2 1\r\nz\r\nEND\r\n" },
  { name: "append/prepend to missing keys", send: "append st-p1 0 0 1\r\nx\r\nprepend st-p1 0 0 1\r\nx\r\nget st-p1\r\n", expect: "NOT_STORED\r\nNOT_STORED\r\nEND\r\n" },
  { name: "append/prepend keep flags and exptime", send: "set st-p2 7 0 2\r\nmm\r\nappend st-p2 9 -1 2\r\nzz\r\nprepend st-p2 9 -1 2\r\naa\r\nget st-p2\r\n", expect: "STORED\r\nSTORED\r\nSTORED\r\nVALUE st-p2 7 6\r\naammzz\r\nEND\r\n", bytewise: true },
  { name: "append still parses the ignored numbers", send: "set st-p3 7 0 2\r\nmm\r\nappend st-p3 x 0 2\r\nzz\r\nappend st-p3 0 y 2\r\nzz\r\nget st-p3\r\n", expect: "STORED\r\n" + (BAD_FORMAT + "ERROR\r\n").repeat(2) + "VALUE st-p3 7 2\r\nmm\r\nEND\r\n" },
  { name: "append noreply", send: "set st-p4 0 0 2\r\nmm\r\nappend st-p4 0 0 2 noreply\r\nzz\r\nappend st-p4x 0 0 2 noreply\r\nzz\r\nget st-p4\r\n", expect: "STORED\r\nVALUE st-p4 0 4\r\nmmzz\r\nEND\r\n" },
  { name: "append an empty value", send: "set st-p5 0 0 2\r\nmm\r\nappend st-p5 0 0 0\r\n\r\nprepend st-p5 0 0 0\r\n\r\nget st-p5\r\n", expect: "STORED\r\nSTORED\r\nSTORED\r\nVALUE st-p5 0 2\r\nmm\r\nEND\r\n" },
  { name: "append growing into a chunked item", send: setCmd("st-p6", 500000) + "append st-p6 0 0 100000\r\n" + "b".repeat(100000) + "\r\nget st-p6\r\n", expect: "STORED\r\nSTORED\r\nVALUE st-p6 0 600000\r\n" + a(500000) + "b".repeat(100000) + "\r\nEND\r\n" },
  { name: "append/prepend past the size limit: NOT_STORED, old value kept", send: setCmd("st-p7", 1048000) + "append st-p7 0 0 1000\r\n" + "b".repeat(1000) + "\r\nprepend st-p7 0 0 1000 noreply\r\n" + "b".repeat(1000) + "\r\nget st-p7\r\n", expect: "STORED\r\nNOT_STORED\r\n" + valueOf("st-p7", 1048000) + "END\r\n" },
  { name: "append to an expired item", send: "set st-p8 0 -1 1\r\nx\r\nappend st-p8 0 0 1\r\ny\r\nget st-p8\r\n", expect: "STORED\r\nNOT_STORED\r\nEND\r\n" },
  { name: "add/replace/append word counts", send: "add st-p9 0 0\r\nx\r\nreplace st-p9 0 0 1 a b\r\nx\r\nappend st-p9\r\nprepend st-p9 0\r\n", expect: "ERROR\r\n".repeat(6) },

  // --- cas
  { name: "cas on a missing key", send: "cas st-c1 0 0 1 1\r\nx\r\n", expect: "NOT_FOUND\r\n" },
  {
    name: "cas with the current unique, then a stale one",
    send: ["set st-c2 0 0 1\r\nx\r\ngets st-c2\r\n", (r) => `cas st-c2 3 0 1 ${lastCas(r, "st-c2")}\r\ny\r\ncas st-c2 4 0 1 ${lastCas(r, "st-c2")}\r\nz\r\ngets st-c2\r\n`],
    expect: "STORED\r\nVALUE st-c2 0 1 <cas1>\r\nx\r\nEND\r\nSTORED\r\nEXISTS\r\nVALUE st-c2 3 1 <cas2>\r\ny\r\nEND\r\n",
  },
  {
    name: "cas noreply",
    send: ["set st-c3 0 0 1\r\nx\r\ngets st-c3\r\n", (r) => `cas st-c3 0 0 1 ${lastCas(r, "st-c3")} noreply\r\ny\r\ncas st-c3 0 0 1 ${lastCas(r, "st-c3")} noreply\r\nz\r\ncas st-c3x 0 0 1 1 noreply\r\nz\r\nget st-c3\r\n`],
    expect: "STORED\r\nVALUE st-c3 0 1 <cas1>\r\nx\r\nEND\r\nVALUE st-c3 0 1\r\ny\r\nEND\r\n",
  },
  {
    name: "every store takes a new unique, touch does not",
    send: "set st-c4 0 0 1\r\nx\r\ngets st-c4\r\ntouch st-c4 0\r\ngets st-c4\r\nappend st-c4 0 0 1\r\ny\r\ngets st-c4\r\nset st-c4 0 0 1\r\nz\r\ngets st-c4\r\n",
    expect: "STORED\r\nVALUE st-c4 0 1 <cas1>\r\nx\r\nEND\r\nTOUCHED\r\nVALUE st-c4 0 1 <cas1>\r\nx\r\nEND\r\nSTORED\r\nVALUE st-c4 0 2 <cas2>\r\nxy\r\nEND\r\nSTORED\r\nVALUE st-c4 0 1 <cas3>\r\nz\r\nEND\r\n",
  },
  { name: "cas unique 0 never matches", send: "set st-c5 0 0 1\r\nx\r\ncas st-c5 0 0 1 0\r\ny\r\n", expect: "STORED\r\nEXISTS\r\n" },
  { name: "cas unique 2^64-1", send: "set st-c6 0 0 1\r\nx\r\ncas st-c6 0 0 1 18446744073709551615\r\ny\r\n", expect: "STORED\r\nEXISTS\r\n" },
  { name: "cas unique invalid", send: "cas st-c7 0 0 1 abc\r\nx\r\ncas st-c7 0 0 1 -1\r\nx\r\ncas st-c7 0 0 1 18446744073709551616\r\nx\r\n", expect: (BAD_FORMAT + "ERROR\r\n").repeat(3) },
  { name: "cas unique with plus sign", send: "cas st-c8 0 0 1 +1\r\nx\r\n", expect: "NOT_FOUND\r\n" },
  { name: "cas word counts", send: "cas st-c9 0 0 1\r\nx\r\ncas st-c9 0 0 1 1 noreply x\r\nx\r\ncas\r\n", expect: "ERROR\r\n".repeat(5) },
  { name: "cas ignores a non-noreply seventh word", send: "cas st-c10 0 0 1 1 x\r\nx\r\n", expect: "NOT_FOUND\r\n" },
  { name: "cas bad data chunk", send: "set st-c11 0 0 1\r\nx\r\ncas st-c11 0 0 1 1\r\nxyz\r\n", expect: "STORED\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\n" },

  // --- too large (default -I 1m) and the size limits of other -I settings
  ...limitCases(1024 * 1024, []),
  ...limitCases(1024, ["-I", "1k", "-o", "slab_chunk_max=1024"]),
  ...limitCases(4096, ["-I", "4k", "-o", "slab_chunk_max=2048"]),
  ...limitCases(2 * 1024 * 1024, ["-I", "2m"]),
  ...limitCases(512 * 1024, ["-I", "512k", "-C"], { cas: false }),
  { name: "too large: nothing is sent before the data is swallowed", send: "set st-t1 0 0 2000000\r\n" + a(1000000), expect: "" },
  { name: "too large: the swallowed data may hold commands", send: ["set st-t2 0 0 1048577\r\n", pad("get st-t2\r\n", 1048577), "\r\nversion\r\n"], pauseMs: 30, expect: TOO_LARGE + "VERSION 1.6.18\r\n" },
  { name: "failed set deletes the old value", send: "set st-t3 0 0 3\r\nold\r\n" + setCmd("st-t3", 1048577) + "get st-t3\r\n", expect: "STORED\r\n" + TOO_LARGE + "END\r\n" },
  { name: "failed add/replace/append/cas keep the old value", send: "set st-t4 0 0 3\r\nold\r\n" + ["add", "replace", "append", "prepend"].map((c) => `${c} st-t4 0 0 1048577\r\n${a(1048577)}\r\n`).join("") + `cas st-t4 0 0 1048577 1\r\n${a(1048577)}\r\nget st-t4\r\n`, expect: "STORED\r\n" + TOO_LARGE.repeat(5) + "VALUE st-t4 0 3\r\nold\r\nEND\r\n" },
  { name: "too large with noreply: silent, swallowed, old value deleted", send: "set st-t5 0 0 3\r\nold\r\n" + `set st-t5 0 0 1048577 noreply\r\n${a(1048577)}\r\nget st-t5\r\n`, expect: "STORED\r\nEND\r\n" },
  { name: "too large then bad terminator is still swallowed", send: `set st-t6 0 0 1048577\r\n${a(1048577)}XYversion\r\n`, expect: TOO_LARGE + "VERSION 1.6.18\r\n" },

  // --- out of memory with evictions disabled (-M); own instances: memory state is the point
  {
    name: "-M: fills up, then SERVER_ERROR out of memory, failed set deletes the old value",
    serverArgs: oom,
    isolate: true,
    send: "set st-oom-old 0 0 3\r\nold\r\n" + hundredK(oomKeys) + setCmd("st-oom-old", 100000) + "get st-oom-old\r\nversion\r\n",
    quietMs: 500,
    // -m 2: the small item's page and the first page of the 100 KB class fill the limit.
    expect: "STORED\r\n".repeat(11) + OOM.repeat(15) + OOM + "END\r\nVERSION 1.6.18\r\n",
  },
  {
    name: "-M: refused data is swallowed, noreply silences the error",
    serverArgs: oom,
    isolate: true,
    send: hundredK(oomKeys) + "set st-oom-x 0 0 100000 noreply\r\n" + pad("get st-oom-0\r\n", 100000) + "\r\nset st-oom-y 0 0 100000\r\n" + pad("version\r\n", 100000) + "\r\nset st-oom-small 0 0 1\r\nx\r\nget st-oom-small\r\n",
    quietMs: 500,
    // Two pages of the 100 KB class fit; class 1 may always take its first page.
    expect: "STORED\r\n".repeat(20) + OOM.repeat(5) + OOM + "STORED\r\nVALUE st-oom-small 0 1\r\nx\r\nEND\r\n",
  },

  // --- without CAS (-C): keys are unique per case because these groups are not flushed
  { name: "-C: gets shows unique 0", serverArgs: ["-C"], send: "set st-nc1 0 0 1\r\nx\r\ngets st-nc1\r\n", expect: "STORED\r\nVALUE st-nc1 0 1 0\r\nx\r\nEND\r\n" },
  { name: "-C: cas on an existing key is EXISTS", serverArgs: ["-C"], send: "set st-nc2 0 0 1\r\nx\r\ncas st-nc2 0 0 1 0\r\ny\r\ncas st-nc2 0 0 1 1\r\ny\r\nget st-nc2\r\n", expect: "STORED\r\nEXISTS\r\nEXISTS\r\nVALUE st-nc2 0 1\r\nx\r\nEND\r\n" },
  { name: "-C: cas on a missing key", serverArgs: ["-C"], send: "cas st-nc3 0 0 1 1\r\ny\r\n", expect: "NOT_FOUND\r\n" },
];

describeCorpus("text protocol: storage commands", cases, TEXT);
