// The fuzzers' reply validator (test/helpers/reply-validator.ts) accepts memcached's reply forms
// and refuses what a broken server could send: a test of the test, so a fuzz pass means something.
import { expect } from "chai";
import { validateTextReplies, validateBinaryReplies, ReplyError } from "../helpers/reply-validator.js";
import { packet, Op } from "../helpers/binary.js";

const b = (s: string) => Buffer.from(s, "latin1");

describe("fuzz: the reply validator", () => {
  it("accepts every text reply form", () => {
    const good = [
      "STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\nOK\r\nRESET\r\nERROR\r\n",
      "VALUE k 0 3\r\nabc\r\nVALUE a\rb 4294967295 0 18446744073709551615\r\n\r\nEND\r\n",
      "VALUE k 1 4\r\n\r\n\r\n\r\nEND\r\n", // a data block holding \r\n
      "18446744073709551615\r\n0\r\nVERSION 1.6.18\r\nSTAT pid 42\r\nSTAT stat_key_prefix :\r\nEND\r\n",
      "HD\r\nHD c5 t-1 kfoo Oxyz b\r\nVA 2 f0\r\nhi\r\nEN\r\nNF\r\nNS\r\nEX c3\r\nMN\r\n",
      "ME k exp=-1 la=3 cas=2 fetch=no cls=1 size=63\r\nME c\rr exp=-1 la=0 cas=1 fetch=no cls=1 size=63\r\n",
      "key=k%20 exp=-1 la=1700000000 cas=2 fetch=no cls=1 size=63\nEND\r\n",
      "OK\r\nts=1700000000.123 gid=4 type=item_get key=a status=not_found\n",
      "ITEM k [3 b; 0 s]\r\nPREFIX k get 1 hit 0 set 0 del 0\r\n",
      "CLIENT_ERROR bad data chunk\r\nSERVER_ERROR out of memory storing object\r\nERROR: shutdown not enabled\r\n",
      "BADCLASS invalid class id\r\nMEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n",
    ];
    for (const g of good) expect(() => validateTextReplies(b(g)), JSON.stringify(g)).to.not.throw();
  });

  it("refuses malformed text replies", () => {
    const bad = [
      "STORED", "STORED\n", "STOREDX\r\n", "VALUE k 0 3\r\nab\r\n", "VALUE k 0 3\r\nabcd\r\nEND\r\n",
      "VALUE k 0\r\nEND\r\n", "VALUE k 4294967296 1\r\nx\r\n", "VALUE k 0 1 18446744073709551616\r\nx\r\n",
      "VA 3\r\nab\r\n", "VA x\r\n", "HD 5\r\n", "HD  c1\r\n", "CLIENT_ERROR something new\r\n",
      "SERVER_ERROR\r\n", "ERROR oops\r\n", "18446744073709551616\r\n", "-1\r\n", "\r\n", "garbage\x00\r\n",
      "key=k exp=1\n",
    ];
    for (const s of bad) expect(() => validateTextReplies(b(s)), JSON.stringify(s)).to.throw(ReplyError);
  });

  it("accepts whole 0x81 packets and refuses anything else", () => {
    const reply = (p: Buffer) => { const r = Buffer.from(p); r[0] = 0x81; return r; };
    const ok = Buffer.concat([reply(packet(Op.GET, { extras: Buffer.alloc(4), value: "v" })), reply(packet(Op.NOOP))]);
    expect(() => validateBinaryReplies(ok)).to.not.throw();
    expect(() => validateBinaryReplies(ok.subarray(0, ok.length - 1)), "cut short").to.throw(ReplyError);
    expect(() => validateBinaryReplies(packet(Op.NOOP)), "request magic").to.throw(ReplyError);
    const badStatus = reply(packet(Op.NOOP));
    badStatus.writeUInt16BE(0x7f, 6);
    expect(() => validateBinaryReplies(badStatus), "unknown status").to.throw(ReplyError);
    const badLengths = reply(packet(Op.GET, { key: "abc" }));
    badLengths.writeUInt32BE(2, 8);
    expect(() => validateBinaryReplies(badLengths), "key longer than body").to.throw(ReplyError);
  });
});
