// Text protocol framing: tokenizer, line endings, unknown commands, the HTTP guard,
// long lines, pipelining and arbitrarily split input (reference §1.1).
import { describeCorpus, TEXT, type Case } from "../helpers/differential.js";

const keys = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
// Two-character words: a one-character first word would be rejected before the HTTP guard.
const words = (n: number) => keys(n, "w").join(" ");

// 2000 short keys make a ~12 KB line: more than 2048 bytes, less than the 16 KiB read buffer.
const LONG_GET = "get " + keys(2000, "fr-lg-").join(" ");
// ~21 KB: does not fit the first 16 KiB read.
const HUGE_GET = "get " + keys(3000, "fr-hg-").join(" ");
const HUGE_GAT = "gat 0 " + keys(3000, "fr-ha-").join(" ");

const cases: Case[] = [
  // --- empty and tiny lines
  { name: "empty line", send: "\r\n", expect: "ERROR\r\n", bytewise: true },
  { name: "bare LF line", send: "\n", expect: "ERROR\r\n" },
  { name: "spaces only", send: "   \r\n", expect: "ERROR\r\n" },
  { name: "three empty lines", send: "\r\n\r\n\n", expect: "ERROR\r\nERROR\r\nERROR\r\n" },
  { name: "one-character command", send: "x\r\n", expect: "ERROR\r\n" },
  { name: "one-character prefix of get", send: "g\r\n", expect: "ERROR\r\n" },
  { name: "bare LF ends commands and is accepted", send: "version\nversion\r\n", expect: "VERSION 1.6.18\r\nVERSION 1.6.18\r\n" },
  { name: "only one CR is stripped", send: "version\r\r\n", expect: "ERROR\r\n" },
  { name: "CR inside a key is part of the key", send: "get fr-cr\rx\r\n", expect: "END\r\n" },

  // --- unknown commands, case, separators
  { name: "unknown command", send: "bogus\r\n", expect: "ERROR\r\n" },
  { name: "unknown command with arguments", send: "bogus a b c\r\n", expect: "ERROR\r\n" },
  { name: "upper-case GET", send: "GET fr-uc\r\n", expect: "ERROR\r\n" },
  { name: "capitalised Set: line and data both rejected", send: "Set fr-uc 0 0 1\r\nx\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "command prefix is not a command", send: "ge fr-p\r\nversio\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "command with suffix is not a command", send: "gett fr-p\r\nversions\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "tab is not a separator (set)", send: "set\tfr-tab 0 0 1\r\nx\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "tab is not a separator (get)", send: "get\tfr-tab\r\n", expect: "ERROR\r\n" },
  { name: "tab inside a key is part of it", send: "set fr-t\tb 0 0 1\r\nx\r\nget fr-t\tb\r\nget fr-t\r\n", expect: "STORED\r\nVALUE fr-t\tb 0 1\r\nx\r\nEND\r\nEND\r\n" },
  { name: "trailing tab belongs to the key", send: "set fr-tt 0 0 1\r\nx\r\nget fr-tt\t\r\n", expect: "STORED\r\nEND\r\n" },
  { name: "runs of spaces between tokens", send: "set  fr-sp  0  0  1 \r\nx\r\nget   fr-sp   fr-sp  \r\n", expect: "STORED\r\nVALUE fr-sp 0 1\r\nx\r\nVALUE fr-sp 0 1\r\nx\r\nEND\r\n" },
  { name: "leading spaces", send: "   version\r\n", expect: "VERSION 1.6.18\r\n" },
  { name: "control and high bytes in keys", send: "set fr-\xff\x01\x7f 0 0 1\r\nx\r\nget fr-\xff\x01\x7f\r\n", expect: "STORED\r\nVALUE fr-\xff\x01\x7f 0 1\r\nx\r\nEND\r\n" },

  // --- NUL bytes: the line is a C string
  { name: "NUL ends the line (rest ignored)", send: "set fr-nul 0 0 1\r\nx\r\nget fr-nul\x00 zzz\r\n", expect: "STORED\r\nVALUE fr-nul 0 1\r\nx\r\nEND\r\n" },
  { name: "NUL inside a key truncates it", send: "set fr-nk 0 0 1\r\nx\r\nget fr-nk\x00other\r\n", expect: "STORED\r\nVALUE fr-nk 0 1\r\nx\r\nEND\r\n" },
  { name: "NUL at line start makes an empty command", send: "\x00get fr-nul\r\n", expect: "ERROR\r\n" },
  { name: "NUL in a set line cuts the token count", send: "set fr-n\x00ul 0 0 1\r\nx\r\n", expect: "ERROR\r\nERROR\r\n" },
  { name: "NUL bytes inside data are data", send: "set fr-nd 0 0 3\r\na\x00b\r\nget fr-nd\r\n", expect: "STORED\r\nVALUE fr-nd 0 3\r\na\x00b\r\nEND\r\n" },

  // --- HTTP guard: last token starting with HTTP/ on an unknown command
  { name: "HTTP request line closes silently", send: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", expect: "", closes: true, bytewise: true },
  { name: "HTTP/ as the only token", send: "HTTP/1.1\r\n", expect: "", closes: true },
  { name: "HTTP/ guard with trailing space", send: "foo HTTP/1.0 \r\n", expect: "", closes: true },
  { name: "HTTP/ guard discards queued replies", send: "version\r\nGET / HTTP/1.1\r\nversion\r\n", expect: "", closes: true },
  { name: "HTTP/ guard after replies were flushed", send: ["version\r\n", "GET / HTTP/1.1\r\n"], pauseMs: 50, expect: "VERSION 1.6.18\r\n", closes: true },
  { name: "HTTP/ not last: plain ERROR", send: "foo HTTP/1.1 bar\r\n", expect: "ERROR\r\n" },
  { name: "lower-case http/ is not the guard", send: "foo http/1.1\r\n", expect: "ERROR\r\n" },
  { name: "HTTP after a one-character command is just ERROR", send: "x HTTP/1.1\r\n", expect: "ERROR\r\n" },
  // The tokenizer stops after 23 words; the guard only sees tokenized words.
  { name: "HTTP/ as the 23rd word", send: words(22) + " HTTP/1.1\r\n", expect: "", closes: true },
  { name: "HTTP/ as the 24th word is beyond the tokenizer", send: words(23) + " HTTP/1.1\r\n", expect: "ERROR\r\n" },
  { name: "HTTP/ on known commands is an ordinary word", send: "get fr-http HTTP/1.1\r\nversion HTTP/1.1\r\nstats HTTP/1.1\r\n", expect: "END\r\nVERSION 1.6.18\r\nERROR\r\n" },
  { name: "HTTP/ as ignored extra word of set", send: "set fr-http2 0 0 1 HTTP/1.1\r\nx\r\nget fr-http2\r\n", expect: "STORED\r\nVALUE fr-http2 0 1\r\nx\r\nEND\r\n" },
  { name: "HTTP/ where set expects a number", send: "set fr-http3 0 0 HTTP/1.1\r\nx\r\n", expect: "CLIENT_ERROR bad command line format\r\nERROR\r\n" },

  // --- lines without a newline: more than 2048 buffered bytes close unless get/gets
  { name: "2048 bytes without newline: still open", send: "x".repeat(2048), expect: "" },
  { name: "2048 bytes then the newline", send: ["x".repeat(2048), "\r\nversion\r\n"], pauseMs: 50, expect: "ERROR\r\nVERSION 1.6.18\r\n" },
  { name: "2049 bytes without newline: closed", send: "x".repeat(2049), expect: "", closes: true },
  { name: "2049 bytes arriving in two reads: closed", send: ["x".repeat(2000), "y".repeat(49)], pauseMs: 50, expect: "", closes: true },
  { name: "2048 bytes in two reads then newline", send: ["x".repeat(2000), "y".repeat(48), "\r\nversion\r\n"], pauseMs: 50, expect: "ERROR\r\nVERSION 1.6.18\r\n" },
  { name: "partial set line over 2048 bytes: closed", send: "set " + "k".repeat(2100), expect: "", closes: true },
  { name: "partial get line over 2048 bytes: kept", send: "get " + "k".repeat(2100), expect: "" },
  { name: "partial gets line over 2048 bytes: kept", send: "gets " + "k".repeat(2100), expect: "" },
  { name: "partial gat line over 2048 bytes: closed", send: "gat 0 " + "k".repeat(2100), expect: "", closes: true },
  { name: "partial get after 100 spaces: kept", send: " ".repeat(100) + "get " + "k".repeat(2100), expect: "" },
  { name: "partial get after 101 spaces: closed", send: " ".repeat(101) + "get " + "k".repeat(2100), expect: "", closes: true },
  { name: "long get line split across reads", send: ["get " + "k".repeat(2100), " fr-lg\r\n"], pauseMs: 50, expect: "CLIENT_ERROR bad command line format\r\n" },
  { name: "complete 3 KB set line in one write is parsed", send: "set " + "k".repeat(3000) + " 0 0 1\r\nx\r\n", expect: "CLIENT_ERROR bad command line format\r\nERROR\r\n" },
  { name: "complete 10 KB line in one write is parsed", send: "set fr-10k 0 0 1 " + "z".repeat(10000) + "\r\nx\r\nget fr-10k\r\n", expect: "STORED\r\nVALUE fr-10k 0 1\r\nx\r\nEND\r\n" },
  { name: "20 KB set line in one write: closed", send: "set fr-20k 0 0 1 " + "z".repeat(20000) + "\r\nx\r\n", expect: "", closes: true },
  { name: "20 KB of trailing spaces: closed", send: "version" + " ".repeat(20000) + "\r\n", expect: "", closes: true },
  { name: "12 KB multi-get line", send: "set fr-lg-1999 0 0 2\r\nhi\r\n" + LONG_GET + "\r\n", expect: "STORED\r\nVALUE fr-lg-1999 0 2\r\nhi\r\nEND\r\n" },
  { name: "21 KB multi-get line", send: "set fr-hg-0 0 0 1\r\na\r\nset fr-hg-2999 0 0 1\r\nz\r\n" + HUGE_GET + " fr-hg-0\r\n", expect: "STORED\r\nSTORED\r\nVALUE fr-hg-0 0 1\r\na\r\nVALUE fr-hg-2999 0 1\r\nz\r\nVALUE fr-hg-0 0 1\r\na\r\nEND\r\n" },
  { name: "21 KB gat line: closed", send: HUGE_GAT + "\r\n", expect: "", closes: true },

  // --- pipelining and splitting
  {
    name: "many commands in one write",
    send:
      keys(30, "fr-pl-").map((k, i) => `set ${k} ${i} 0 ${String(i).length}\r\n${i}\r\n`).join("") +
      "get " + keys(30, "fr-pl-").join(" ") + "\r\n" +
      keys(30, "fr-pl-").map((k) => `delete ${k}\r\n`).join("") +
      "get fr-pl-0\r\nversion\r\n",
    expect:
      "STORED\r\n".repeat(30) +
      keys(30, "fr-pl-").map((k, i) => `VALUE ${k} ${i} ${String(i).length}\r\n${i}\r\n`).join("") + "END\r\n" +
      "DELETED\r\n".repeat(30) + "END\r\nVERSION 1.6.18\r\n",
  },
  {
    name: "mixed commands split at awkward places",
    send: ["se", "t fr-sp2 1 0 5\r", "\nhel", "lo\r", "\nget fr-sp2", "\r\nincr fr-sp2 1\r\nde", "lete fr-sp2\r\n"],
    pauseMs: 30,
    expect: "STORED\r\nVALUE fr-sp2 1 5\r\nhello\r\nEND\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nDELETED\r\n",
  },
  {
    name: "mixed session byte by byte",
    send: "set fr-bb 5 0 3\r\nabc\r\nappend fr-bb 0 0 2\r\nde\r\ngets fr-bb\r\nincr fr-bb 1\r\nbogus\r\ndelete fr-bb\r\nget fr-bb\r\n",
    bytewise: true,
    expect: "STORED\r\nSTORED\r\nVALUE fr-bb 5 5 <cas1>\r\nabcde\r\nEND\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nERROR\r\nDELETED\r\nEND\r\n",
  },
  { name: "command after an unterminated line waits", send: ["get fr-w", "ait\r\n"], pauseMs: 50, expect: "END\r\n" },
  { name: "unterminated last line gets no reply", send: "version\r\nversion", expect: "VERSION 1.6.18\r\n" },
];

describeCorpus("text protocol: framing", cases, TEXT);
