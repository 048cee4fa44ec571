// delete, incr/decr and touch (reference §1.4).
import { describeCorpus, TEXT, type Case } from "../helpers/differential.js";

const K251 = "l".repeat(251);
const BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";
const DELETE_USAGE = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
const BAD_DELTA = "CLIENT_ERROR invalid numeric delta argument\r\n";
const NON_NUMERIC = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
const BAD_EXPTIME = "CLIENT_ERROR invalid exptime argument\r\n";
const seed = (key: string, value = "x", flags = 0) => `set ${key} ${flags} 0 ${value.length}\r\n${value}\r\n`;

const cases: Case[] = [
  // --- delete
  { name: "delete hit then miss", send: seed("ko-d1") + "delete ko-d1\r\ndelete ko-d1\r\nget ko-d1\r\n", expect: "STORED\r\nDELETED\r\nNOT_FOUND\r\nEND\r\n", bytewise: true },
  { name: "delete k 0", send: seed("ko-d2") + "delete ko-d2 0\r\n", expect: "STORED\r\nDELETED\r\n" },
  { name: "delete noreply forms", send: seed("ko-d3") + seed("ko-d4") + "delete ko-d3 noreply\r\ndelete ko-d4 0 noreply\r\ndelete ko-d5 noreply\r\nget ko-d3 ko-d4\r\n", expect: "STORED\r\nSTORED\r\nEND\r\n" },
  { name: "delete with a time is a usage error (two spaces)", send: seed("ko-d6") + "delete ko-d6 1\r\nget ko-d6\r\n", expect: "STORED\r\n" + DELETE_USAGE + "VALUE ko-d6 0 1\r\nx\r\nEND\r\n" },
  { name: "delete with other second words", send: "delete ko-d7 x\r\ndelete ko-d7 00\r\ndelete ko-d7 -0\r\ndelete ko-d7 NOREPLY\r\n", expect: DELETE_USAGE.repeat(4) },
  { name: "delete with bad three-word forms", send: "delete ko-d7 0 x\r\ndelete ko-d7 noreply 0\r\ndelete ko-d7 0 0\r\n", expect: DELETE_USAGE.repeat(3) },
  { name: "noreply silences the usage error and nothing is deleted", send: seed("ko-d8") + "delete ko-d8 x noreply\r\ndelete ko-d8 1 noreply\r\nget ko-d8\r\n", expect: "STORED\r\nVALUE ko-d8 0 1\r\nx\r\nEND\r\n" },
  { name: "delete word counts", send: "delete\r\ndelete ko-d9 0 noreply x\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "delete with a 251-byte key", send: `delete ${K251}\r\ndelete ${K251} 0\r\ndelete ${K251} noreply\r\n`, expect: BAD_FORMAT.repeat(2) },
  { name: "delete of an expired item", send: "set ko-d10 0 -1 1\r\nx\r\ndelete ko-d10\r\n", expect: "STORED\r\nNOT_FOUND\r\n" },

  // --- incr / decr
  { name: "incr/decr on a missing key", send: "incr ko-i1 1\r\ndecr ko-i1 1\r\n", expect: "NOT_FOUND\r\nNOT_FOUND\r\n" },
  { name: "incr then decr below zero clamps", send: seed("ko-i2", "10") + "incr ko-i2 5\r\ndecr ko-i2 100\r\nget ko-i2\r\n", expect: "STORED\r\n15\r\n0\r\nVALUE ko-i2 0 2\r\n0 \r\nEND\r\n", bytewise: true },
  { name: "decr pads in place with spaces", send: seed("ko-i3", "100") + "decr ko-i3 1\r\nget ko-i3\r\nincr ko-i3 1\r\nget ko-i3\r\n", expect: "STORED\r\n99\r\nVALUE ko-i3 0 3\r\n99 \r\nEND\r\n100\r\nVALUE ko-i3 0 3\r\n100\r\nEND\r\n" },
  { name: "incr growing the value keeps flags", send: seed("ko-i4", "99", 7) + "incr ko-i4 1\r\ngets ko-i4\r\n", expect: "STORED\r\n100\r\nVALUE ko-i4 7 3 <cas1>\r\n100\r\nEND\r\n" },
  { name: "incr and decr take new uniques", send: seed("ko-i5", "5") + "gets ko-i5\r\nincr ko-i5 1\r\ngets ko-i5\r\ndecr ko-i5 1\r\ngets ko-i5\r\n", expect: "STORED\r\nVALUE ko-i5 0 1 <cas1>\r\n5\r\nEND\r\n6\r\nVALUE ko-i5 0 1 <cas2>\r\n6\r\nEND\r\n5\r\nVALUE ko-i5 0 1 <cas3>\r\n5\r\nEND\r\n" },
  { name: "incr wraps at 2^64", send: seed("ko-i6", "18446744073709551615") + "incr ko-i6 1\r\nget ko-i6\r\n", expect: "STORED\r\n0\r\nVALUE ko-i6 0 20\r\n0                   \r\nEND\r\n" },
  { name: "incr wraps past 2^64", send: seed("ko-i7", "18446744073709551615") + "incr ko-i7 2\r\n", expect: "STORED\r\n1\r\n" },
  { name: "incr by 2^64-1", send: seed("ko-i8", "1") + "incr ko-i8 18446744073709551615\r\nget ko-i8\r\n", expect: "STORED\r\n0\r\nVALUE ko-i8 0 1\r\n0\r\nEND\r\n" },
  { name: "value 2^64 is non-numeric", send: seed("ko-i9", "18446744073709551616") + "incr ko-i9 1\r\n", expect: "STORED\r\n" + NON_NUMERIC },
  { name: "negative value is non-numeric", send: seed("ko-i10", "-5") + "incr ko-i10 1\r\ndecr ko-i10 1\r\n", expect: "STORED\r\n" + NON_NUMERIC.repeat(2) },
  { name: "a minus that wraps below 2^63 is accepted", send: seed("ko-i11", "-18446744073709551615") + "incr ko-i11 1\r\nget ko-i11\r\n", expect: "STORED\r\n2\r\nVALUE ko-i11 0 21\r\n2                    \r\nEND\r\n" },
  { name: "letters, trailing garbage, empty value", send: seed("ko-i12", "abc") + seed("ko-i13", "12a") + "set ko-i14 0 0 0\r\n\r\nincr ko-i12 1\r\nincr ko-i13 1\r\ndecr ko-i14 1\r\n", expect: "STORED\r\n".repeat(3) + NON_NUMERIC.repeat(3) },
  { name: "whitespace around the number", send: seed("ko-i15", " 12 ") + seed("ko-i16", "\t5") + seed("ko-i17", "5\t") + "incr ko-i15 1\r\nincr ko-i16 1\r\nincr ko-i17 1\r\nget ko-i15 ko-i16 ko-i17\r\n", expect: "STORED\r\n".repeat(3) + "13\r\n6\r\n6\r\nVALUE ko-i15 0 4\r\n13  \r\nVALUE ko-i16 0 2\r\n6 \r\nVALUE ko-i17 0 2\r\n6 \r\nEND\r\n" },
  { name: "value with an embedded CRLF", send: "set ko-i18 0 0 3\r\n5\r\n\r\nincr ko-i18 1\r\nget ko-i18\r\n", expect: "STORED\r\n6\r\nVALUE ko-i18 0 3\r\n6  \r\nEND\r\n" },
  { name: "invalid deltas", send: seed("ko-i19", "1") + "incr ko-i19 -1\r\nincr ko-i19 abc\r\nincr ko-i19 18446744073709551616\r\nincr ko-i19 1x\r\ndecr ko-i19 1.5\r\nget ko-i19\r\n", expect: "STORED\r\n" + BAD_DELTA.repeat(5) + "VALUE ko-i19 0 1\r\n1\r\nEND\r\n" },
  { name: "odd but valid deltas", send: seed("ko-i20", "5") + "incr ko-i20 +1\r\nincr ko-i20 01\r\nincr ko-i20 -18446744073709551615\r\n", expect: "STORED\r\n6\r\n7\r\n8\r\n" },
  { name: "invalid delta on a missing key", send: "incr ko-i21 x\r\n", expect: BAD_DELTA },
  { name: "incr noreply", send: seed("ko-i22", "5") + "incr ko-i22 1 noreply\r\ndecr ko-i22 10 noreply\r\nincr ko-i22 x noreply\r\nincr ko-i23 1 noreply\r\nget ko-i22\r\n", expect: "STORED\r\nVALUE ko-i22 0 1\r\n0\r\nEND\r\n" },
  { name: "incr non-numeric with noreply", send: seed("ko-i24", "abc") + "incr ko-i24 1 noreply\r\n", expect: "STORED\r\n" },
  { name: "incr word counts", send: "incr ko-i25\r\nincr ko-i25 1 2 3\r\ndecr\r\nincr ko-i25 1 noreply x\r\n", expect: "ERROR\r\n".repeat(4) },
  { name: "incr with an ignored third word", send: seed("ko-i26", "1") + "incr ko-i26 1 x\r\n", expect: "STORED\r\n2\r\n" },
  { name: "incr with a 251-byte key", send: `incr ${K251} 1\r\ndecr ${K251} 1\r\nincr ${K251} 1 noreply\r\n`, expect: BAD_FORMAT.repeat(2) },
  { name: "incr on a chunked item", send: `set ko-i27 0 0 600000\r\n${"1".repeat(600000)}\r\nincr ko-i27 1\r\n`, expect: "STORED\r\n" + NON_NUMERIC },
  { name: "incr of an expired item", send: "set ko-i28 0 -1 1\r\n1\r\nincr ko-i28 1\r\n", expect: "STORED\r\nNOT_FOUND\r\n" },

  // --- touch
  { name: "touch hit and miss", send: seed("ko-t1") + "touch ko-t1 10\r\ntouch ko-t2 10\r\n", expect: "STORED\r\nTOUCHED\r\nNOT_FOUND\r\n", bytewise: true },
  { name: "touch with a negative exptime expires", send: seed("ko-t3") + "touch ko-t3 -1\r\nget ko-t3\r\ntouch ko-t3 0\r\n", expect: "STORED\r\nTOUCHED\r\nEND\r\nNOT_FOUND\r\n" },
  { name: "touch 0 makes an item permanent", send: "set ko-t4 0 100 1\r\nx\r\ntouch ko-t4 0\r\nget ko-t4\r\n", expect: "STORED\r\nTOUCHED\r\nVALUE ko-t4 0 1\r\nx\r\nEND\r\n" },
  { name: "touch with a bad exptime", send: seed("ko-t5") + "touch ko-t5 x\r\ntouch ko-t5 1.5\r\ntouch ko-t6 x\r\n", expect: "STORED\r\n" + BAD_EXPTIME.repeat(3) },
  { name: "touch noreply", send: seed("ko-t7") + "touch ko-t7 -1 noreply\r\ntouch ko-t7 x noreply\r\ntouch ko-t8 1 noreply\r\nget ko-t7\r\n", expect: "STORED\r\nEND\r\n" },
  { name: "touch word counts", send: "touch ko-t9\r\ntouch\r\ntouch ko-t9 1 noreply x\r\n", expect: "ERROR\r\n".repeat(3) },
  { name: "touch with an ignored third word", send: seed("ko-t10") + "touch ko-t10 10 x\r\n", expect: "STORED\r\nTOUCHED\r\n" },
  { name: "touch with a 251-byte key", send: `touch ${K251} 1\r\ntouch ${K251} x\r\n`, expect: BAD_FORMAT.repeat(2) },
];

describeCorpus("text protocol: delete, incr/decr, touch", cases, TEXT);
