// Retrieval commands: get/gets/gat/gats/bget (reference §1.3).
import { describeCorpus, TEXT, type Case } from "../helpers/differential.js";

const K250 = "k".repeat(250);
const K251 = "l".repeat(251);
const BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";
const BAD_EXPTIME = "CLIENT_ERROR invalid exptime argument\r\n";
const seed = (key: string, flags = 0, value = "x") => `set ${key} ${flags} 0 ${value.length}\r\n${value}\r\n`;

const cases: Case[] = [
  // --- get / gets / bget
  { name: "get miss", send: "get rt-m1\r\n", expect: "END\r\n", bytewise: true },
  { name: "get hit", send: seed("rt-h1", 3, "hello") + "get rt-h1\r\n", expect: "STORED\r\nVALUE rt-h1 3 5\r\nhello\r\nEND\r\n" },
  { name: "multi-get with misses and duplicates", send: seed("rt-h2") + seed("rt-h3", 1, "yy") + "get rt-h2 rt-nope rt-h3 rt-h2 rt-nope\r\n", expect: "STORED\r\nSTORED\r\nVALUE rt-h2 0 1\r\nx\r\nVALUE rt-h3 1 2\r\nyy\r\nVALUE rt-h2 0 1\r\nx\r\nEND\r\n", bytewise: true },
  { name: "get with no key", send: "get\r\nget \r\ngets\r\nbget\r\n", expect: "ERROR\r\n".repeat(4) },
  { name: "gets shows the unique", send: seed("rt-g1") + seed("rt-g2") + "gets rt-g1 rt-g2 rt-g1\r\n", expect: "STORED\r\nSTORED\r\nVALUE rt-g1 0 1 <cas1>\r\nx\r\nVALUE rt-g2 0 1 <cas2>\r\nx\r\nVALUE rt-g1 0 1 <cas1>\r\nx\r\nEND\r\n" },
  { name: "bget is get", send: seed("rt-b1") + "bget rt-b1 rt-b2\r\n", expect: "STORED\r\nVALUE rt-b1 0 1\r\nx\r\nEND\r\n" },
  { name: "get of an expired item", send: "set rt-x1 0 -1 1\r\nx\r\nget rt-x1\r\ngets rt-x1\r\n", expect: "STORED\r\nEND\r\nEND\r\n" },
  { name: "100 keys in one get", send: seed("rt-many-50") + "get " + Array.from({ length: 100 }, (_, i) => `rt-many-${i}`).join(" ") + "\r\n", expect: "STORED\r\nVALUE rt-many-50 0 1\r\nx\r\nEND\r\n" },
  { name: "24 keys: the tokenizer continues past 23 words", send: seed("rt-t23") + "get " + Array.from({ length: 23 }, (_, i) => `rt-t${i}`).join(" ") + " rt-t23\r\n", expect: "STORED\r\nVALUE rt-t23 0 1\r\nx\r\nEND\r\n" },

  // --- key length
  { name: "250-byte key", send: seed(K250) + `get ${K250}\r\n`, expect: `STORED\r\nVALUE ${K250} 0 1\r\nx\r\nEND\r\n` },
  { name: "251-byte key", send: `get ${K251}\r\n`, expect: BAD_FORMAT },
  // The void drops every reply not yet sent on the connection, so the seeding set is sent
  // (and its reply flushed) first.
  { name: "251-byte key voids the hits before it", send: [seed("rt-v1"), `get rt-v1 rt-v1 ${K251} rt-v1\r\nget rt-v1\r\n`], pauseMs: 50, expect: "STORED\r\n" + BAD_FORMAT + "VALUE rt-v1 0 1\r\nx\r\nEND\r\n" },
  { name: "251-byte key in gets", send: [seed("rt-v2"), `gets rt-v2 ${K251}\r\n`], pauseMs: 50, expect: "STORED\r\n" + BAD_FORMAT },
  { name: "251-byte key as the 30th key", send: [seed("rt-v3"), "get " + "rt-v3 ".repeat(29) + K251 + "\r\n"], pauseMs: 50, expect: "STORED\r\n" + BAD_FORMAT },
  { name: "251-byte key also voids earlier pipelined replies", send: seed("rt-v4") + "version\r\ndelete rt-nothing\r\n" + `get rt-v4 ${K251}\r\nget rt-v4\r\n`, expect: BAD_FORMAT + "VALUE rt-v4 0 1\r\nx\r\nEND\r\n" },
  { name: "replies flushed before the void survive", send: [seed("rt-v5") + "version\r\n", `get rt-v5 ${K251}\r\n`], pauseMs: 50, expect: "STORED\r\nVERSION 1.6.18\r\n" + BAD_FORMAT },
  // memcached transmits at the end of every get, so what a finished get answered, and every
  // reply queued before it, is out of the void's reach; only what came after it is voided.
  { name: "a finished get is sent before the void", send: `get rt-v6\r\nversion\r\nget ${K251}\r\n`, expect: "END\r\n" + BAD_FORMAT },
  { name: "the void takes only replies queued since the last get", send: `version\r\ngets rt-v7\r\nversion\r\nget rt-v7 ${K251}\r\n`, expect: "VERSION 1.6.18\r\nEND\r\n" + BAD_FORMAT },
  // -R 20: memcached serves a read 21 commands before it yields (and transmits), each later
  // turn 20, so a void reaches back only to the last yield: here the 21st command voids the
  // 20 before it, the next turn's 20 versions go out, and the one after them is voided.
  { name: "the void reaches back to the last -R yield", send: "version\r\n".repeat(20) + `get ${K251}\r\n` + "version\r\n".repeat(21) + `get ${K251}\r\n`, expect: BAD_FORMAT + "VERSION 1.6.18\r\n".repeat(20) + BAD_FORMAT },
  // An mn sends what is queued but the turn goes on: the 21 commands before the yield count
  // the mn, so the void after them reaches back to the yield, not to the mn.
  { name: "an mn does not restart the -R count", send: "mn\r\n" + "version\r\n".repeat(20) + `get ${K251}\r\n`, expect: "MN\r\n" + "VERSION 1.6.18\r\n".repeat(20) + BAD_FORMAT },
  // --- gat / gats
  { name: "gat hit, miss and duplicate", send: seed("rt-a1", 3, "hi") + "gat 0 rt-a1 rt-a1 rt-none\r\n", expect: "STORED\r\nVALUE rt-a1 3 2\r\nhi\r\nVALUE rt-a1 3 2\r\nhi\r\nEND\r\n", bytewise: true },
  { name: "gats shows an unchanged unique", send: seed("rt-a2") + "gets rt-a2\r\ngats 100 rt-a2\r\n", expect: "STORED\r\nVALUE rt-a2 0 1 <cas1>\r\nx\r\nEND\r\nVALUE rt-a2 0 1 <cas1>\r\nx\r\nEND\r\n" },
  { name: "gat with a negative exptime expires the item", send: seed("rt-a3") + "gat -1 rt-a3\r\nget rt-a3\r\n", expect: "STORED\r\nVALUE rt-a3 0 1\r\nx\r\nEND\r\nEND\r\n" },
  { name: "gat 0 makes an expiring item permanent", send: "set rt-a4 0 2592001 1\r\nx\r\ngat 0 rt-a4\r\nset rt-a5 0 100 1\r\ny\r\ngat 0 rt-a5\r\nget rt-a5\r\n", expect: "STORED\r\nEND\r\nSTORED\r\nVALUE rt-a5 0 1\r\ny\r\nEND\r\nVALUE rt-a5 0 1\r\ny\r\nEND\r\n" },
  { name: "gat with a bad exptime", send: seed("rt-a6") + "gat abc rt-a6\r\ngats 1.5 rt-a6\r\ngat 99999999999999999999 rt-a6\r\nget rt-a6\r\n", expect: "STORED\r\n" + BAD_EXPTIME.repeat(3) + "VALUE rt-a6 0 1\r\nx\r\nEND\r\n" },
  { name: "gat exptime 2^32 truncates to 0", send: seed("rt-a7") + "gat 4294967296 rt-a7\r\nget rt-a7\r\n", expect: "STORED\r\nVALUE rt-a7 0 1\r\nx\r\nEND\r\nVALUE rt-a7 0 1\r\nx\r\nEND\r\n" },
  { name: "gat with an exptime and no key", send: "gat 0\r\ngats 0   \r\ngat abc\r\n", expect: "END\r\nEND\r\n" + BAD_EXPTIME },
  { name: "gat with no arguments", send: "gat\r\ngats\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "gat with a 251-byte key still touches the earlier keys", send: [seed("rt-a8"), `gat -1 rt-a8 ${K251}\r\nget rt-a8\r\n`], pauseMs: 50, expect: "STORED\r\n" + BAD_FORMAT + "END\r\n" },
  { name: "gat on an expired item", send: "set rt-a9 0 -1 1\r\nx\r\ngat 100 rt-a9\r\n", expect: "STORED\r\nEND\r\n" },
];

describeCorpus("text protocol: retrieval commands", cases, TEXT);
