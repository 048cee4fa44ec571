// Storage commands over a real socket (reference §1.2, §1.6): every reply, noreply, the
// parse errors that do not swallow the data block and the allocation failures that do.
import { expect } from "chai";
import { TestServer, roundTrip, serverPerSuite } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";

const MB = 1024 * 1024;

describe("protocol: storage commands", function () {
  let c: SocketClient;

  serverPerSuite((x) => (c = x));

  describe("set", () => {
    it("stores a value with its flags and returns it on get", async () => {
      expect(await roundTrip(c, "set st-a 5 0 3\r\nabc\r\nget st-a\r\n"))
        .to.equal("STORED\r\nVALUE st-a 5 3\r\nabc\r\nEND\r\n");
    });

    it("replaces an existing value", async () => {
      expect(await roundTrip(c, "set st-b 0 0 3\r\nold\r\nset st-b 1 0 4\r\nnewv\r\nget st-b\r\n"))
        .to.equal("STORED\r\nSTORED\r\nVALUE st-b 1 4\r\nnewv\r\nEND\r\n");
    });

    it("noreply stores silently", async () => {
      expect(await roundTrip(c, "set st-c 0 0 3 noreply\r\nabc\r\nget st-c\r\n"))
        .to.equal("VALUE st-c 0 3\r\nabc\r\nEND\r\n");
    });

    it("an extra word that is not exactly noreply is ignored and the set replies", async () => {
      expect(await roundTrip(c, "set st-d 0 0 1 norepl\r\nx\r\nset st-d 0 0 1 NOREPLY\r\ny\r\n"))
        .to.equal("STORED\r\nSTORED\r\n");
    });

    it("keeps flags up to 2^32-1 and wraps larger ones like a 32-bit C variable", async () => {
      expect(await roundTrip(c, "set st-f 4294967295 0 1\r\nx\r\nget st-f\r\nset st-f 4294967296 0 1\r\ny\r\nget st-f\r\n"))
        .to.equal("STORED\r\nVALUE st-f 4294967295 1\r\nx\r\nEND\r\nSTORED\r\nVALUE st-f 0 1\r\ny\r\nEND\r\n");
    });

    it("accepts a 250-byte key and refuses a 251-byte one without swallowing the data", async () => {
      const k250 = "k".repeat(250);
      const k251 = "k".repeat(251);
      expect(await roundTrip(c, `set ${k250} 0 0 1\r\nx\r\nget ${k250}\r\n`))
        .to.equal(`STORED\r\nVALUE ${k250} 0 1\r\nx\r\nEND\r\n`);
      expect(await roundTrip(c, `set ${k251} 0 0 1\r\nx\r\n`))
        .to.equal("CLIENT_ERROR bad command line format\r\nERROR\r\n");
    });

    it("wrong word counts are a plain ERROR and the data line is read as a command", async () => {
      expect(await roundTrip(c, "set st-e 0 0\r\n")).to.equal("ERROR\r\n");
      expect(await roundTrip(c, "set st-e 0 0 1 noreply extra\r\nx\r\n")).to.equal("ERROR\r\nERROR\r\n");
    });

    for (const [what, line] of [
      ["negative flags", "set st-n -1 0 1"],
      ["non-numeric flags", "set st-n abc 0 1"],
      ["non-numeric exptime", "set st-n 0 abc 1"],
      ["non-numeric length", "set st-n 0 0 abc"],
      ["negative length", "set st-n 0 0 -1"],
      ["length above INT_MAX-2", "set st-n 0 0 2147483646"],
      ["length with trailing garbage", "set st-n 0 0 1x"],
    ] as const) {
      it(`${what}: CLIENT_ERROR bad command line format, data not swallowed`, async () => {
        expect(await roundTrip(c, `${line}\r\nx\r\nget st-n\r\n`))
          .to.equal("CLIENT_ERROR bad command line format\r\nERROR\r\nEND\r\n");
      });
    }

    it("a format error with noreply is silent", async () => {
      expect(await roundTrip(c, "set st-nr abc 0 1 noreply\r\n")).to.equal("");
    });
  });

  describe("bad data chunk", () => {
    it("a data block not ending in CRLF is refused and the old value survives", async () => {
      expect(await roundTrip(c, "set bd-a 0 0 3\r\nold\r\nset bd-a 0 0 3\r\nabcd\r\nget bd-a\r\n"))
        .to.equal("STORED\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nVALUE bd-a 0 3\r\nold\r\nEND\r\n");
    });

    it("reads exactly <bytes>+2: the bytes after them are the next command", async () => {
      expect(await roundTrip(c, "set bd-b 0 0 3\r\nab\r\n\r\nget bd-b\r\n"))
        .to.equal("CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
    });

    it("noreply suppresses the bad data chunk reply but not the leftover's ERROR", async () => {
      expect(await roundTrip(c, "set bd-c 0 0 3 noreply\r\nabcde\r\n")).to.equal("ERROR\r\n");
    });

    it("a bare LF does not end a data block", async () => {
      expect(await roundTrip(c, "set bd-d 0 0 2\r\nab\n\r\n"))
        .to.equal("CLIENT_ERROR bad data chunk\r\nERROR\r\n");
    });

    it("counts the block it read in cmd_set", async () => {
      const before = Number((await stats(c)).get("cmd_set"));
      await roundTrip(c, "set bd-e 0 0 1\r\nxyz\r\n");
      expect(Number((await stats(c)).get("cmd_set"))).to.equal(before + 1);
    });
  });

  describe("add / replace / append / prepend", () => {
    it("add stores only a missing key", async () => {
      expect(await roundTrip(c, "add ad-a 0 0 1\r\nx\r\nadd ad-a 0 0 1\r\ny\r\nget ad-a\r\n"))
        .to.equal("STORED\r\nNOT_STORED\r\nVALUE ad-a 0 1\r\nx\r\nEND\r\n");
    });

    it("replace stores only an existing key", async () => {
      expect(await roundTrip(c, "replace rp-a 0 0 1\r\nx\r\nget rp-a\r\nset rp-a 0 0 1\r\nx\r\nreplace rp-a 7 0 2\r\nyy\r\nget rp-a\r\n"))
        .to.equal("NOT_STORED\r\nEND\r\nSTORED\r\nSTORED\r\nVALUE rp-a 7 2\r\nyy\r\nEND\r\n");
    });

    it("append and prepend need the key and keep the old flags", async () => {
      expect(await roundTrip(c,
        "append ap-a 0 0 1\r\nx\r\nprepend ap-a 0 0 1\r\nx\r\nset ap-a 3 0 2\r\nmm\r\n" +
        "append ap-a 9 0 2\r\n>>\r\nprepend ap-a 9 0 2\r\n<<\r\nget ap-a\r\n"))
        .to.equal("NOT_STORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nVALUE ap-a 3 6\r\n<<mm>>\r\nEND\r\n");
    });

    it("append still parses the ignored flags", async () => {
      expect(await roundTrip(c, "set ap-b 0 0 1\r\nm\r\nappend ap-b x 0 1\r\nx\r\nget ap-b\r\n"))
        .to.equal("STORED\r\nCLIENT_ERROR bad command line format\r\nERROR\r\nVALUE ap-b 0 1\r\nm\r\nEND\r\n");
    });

    it("append can grow a value past one slab chunk", async () => {
      const piece = "p".repeat(300 * 1024);
      const line = `append ap-c 0 0 ${piece.length}\r\n${piece}\r\n`;
      expect(await roundTrip(c, `set ap-c 0 0 1\r\n<\r\n${line}${line}`)).to.equal("STORED\r\nSTORED\r\nSTORED\r\n");
      const reply = await roundTrip(c, "get ap-c\r\n");
      expect(reply).to.equal(`VALUE ap-c 0 ${1 + 2 * piece.length}\r\n<${piece}${piece}\r\nEND\r\n`);
    });

    it("noreply silences NOT_STORED as well as STORED", async () => {
      expect(await roundTrip(c,
        "add nr-a 0 0 1 noreply\r\nx\r\nadd nr-a 0 0 1 noreply\r\ny\r\nreplace nr-b 0 0 1 noreply\r\nx\r\n" +
        "append nr-b 0 0 1 noreply\r\nx\r\nprepend nr-a 0 0 1 noreply\r\n<\r\nget nr-a nr-b\r\n"))
        .to.equal("VALUE nr-a 0 2\r\n<x\r\nEND\r\n");
    });
  });

  describe("cas", () => {
    async function casOf(key: string): Promise<string> {
      const reply = await roundTrip(c, `gets ${key}\r\n`);
      const m = new RegExp(`^VALUE ${key} \\d+ \\d+ (\\d+)\r\n`).exec(reply);
      expect(m, reply).to.not.equal(null);
      return m![1];
    }

    it("NOT_FOUND for a missing key, EXISTS for a stale unique, STORED for the current one", async () => {
      expect(await roundTrip(c, "cas cs-a 0 0 1 1\r\nx\r\n")).to.equal("NOT_FOUND\r\n");
      await roundTrip(c, "set cs-a 0 0 1\r\nx\r\n");
      const unique = await casOf("cs-a");
      expect(await roundTrip(c, `cas cs-a 0 0 1 ${BigInt(unique) + 1n}\r\ny\r\n`)).to.equal("EXISTS\r\n");
      expect(await roundTrip(c, `cas cs-a 4 0 1 ${unique}\r\nz\r\nget cs-a\r\n`))
        .to.equal("STORED\r\nVALUE cs-a 4 1\r\nz\r\nEND\r\n");
      expect(await casOf("cs-a")).to.not.equal(unique);
      expect(await roundTrip(c, `cas cs-a 0 0 1 ${unique}\r\nw\r\n`)).to.equal("EXISTS\r\n");
    });

    it("a unique of 0 never matches", async () => {
      expect(await roundTrip(c, "set cs-b 0 0 1\r\nx\r\ncas cs-b 0 0 1 0\r\ny\r\n")).to.equal("STORED\r\nEXISTS\r\n");
    });

    it("every store takes a new unique", async () => {
      await roundTrip(c, "set cs-c 0 0 1\r\nx\r\n");
      const a = await casOf("cs-c");
      await roundTrip(c, "append cs-c 0 0 1\r\ny\r\n");
      const b = await casOf("cs-c");
      expect(BigInt(b) > BigInt(a), `${b} > ${a}`).to.equal(true);
    });

    it("counts cas_misses, cas_hits and cas_badval", async () => {
      const before = await stats(c);
      await roundTrip(c, "cas cs-d 0 0 1 5\r\nx\r\nset cs-d 0 0 1\r\nx\r\ncas cs-d 0 0 1 0\r\nx\r\n");
      await roundTrip(c, `cas cs-d 0 0 1 ${await casOf("cs-d")}\r\ny\r\n`);
      const after = await stats(c);
      for (const name of ["cas_misses", "cas_hits", "cas_badval"]) {
        expect(Number(after.get(name)) - Number(before.get(name)), name).to.equal(1);
      }
    });

    it("wrong word counts and a bad unique", async () => {
      expect(await roundTrip(c, "cas cs-e 0 0 1\r\nx\r\n")).to.equal("ERROR\r\nERROR\r\n");
      expect(await roundTrip(c, "cas cs-e 0 0 1 abc\r\nx\r\n")).to.equal("CLIENT_ERROR bad command line format\r\nERROR\r\n");
      expect(await roundTrip(c, "cas cs-e 0 0 1 -1\r\nx\r\n")).to.equal("CLIENT_ERROR bad command line format\r\nERROR\r\n");
    });

    it("noreply silences EXISTS and NOT_FOUND", async () => {
      expect(await roundTrip(c, "cas cs-f 0 0 1 1 noreply\r\nx\r\nset cs-f 0 0 1\r\nx\r\ncas cs-f 0 0 1 0 noreply\r\ny\r\nget cs-f\r\n"))
        .to.equal("STORED\r\nVALUE cs-f 0 1\r\nx\r\nEND\r\n");
    });
  });

  describe("too large", () => {
    // 1 MiB -I, key "tl-a" (4 bytes), flags 0, CAS on: 48 + 4 + 1 + 8 + n + 2 <= 1048576.
    const LIMIT_4 = MB - 48 - 4 - 1 - 8 - 2;

    it("is refused with the data swallowed, and a failed set deletes the old value", async () => {
      const big = "x".repeat(LIMIT_4 + 1);
      expect(await roundTrip(c, `set tl-a 0 0 3\r\nold\r\nset tl-a 0 0 ${big.length}\r\n${big}\r\nget tl-a\r\n`))
        .to.equal("STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n");
    });

    it("a failed add, replace or append leaves the old value alone", async () => {
      const big = "x".repeat(2 * MB);
      for (const op of ["add", "replace", "append", "prepend"]) {
        expect(await roundTrip(c, `set tl-b 0 0 3\r\nold\r\n${op} tl-b 0 0 ${big.length}\r\n${big}\r\nget tl-b\r\n`), op)
          .to.equal("STORED\r\nSERVER_ERROR object too large for cache\r\nVALUE tl-b 0 3\r\nold\r\nEND\r\n");
      }
    });

    it("swallows a block that arrives later in many pieces, replying only once it is gone", async () => {
      const n = 3 * MB;
      await c.send(`set tl-c 0 0 3\r\nold\r\nset tl-c 0 0 ${n}\r\n`);
      // The block contains lines that would be commands if they were parsed.
      const block = Buffer.alloc(n + 2, "get tl-c\r\n");
      block.write("\r\n", n);
      await c.sendPieces(block.subarray(0, n + 1), 64 * 1024);
      // memcached sends nothing from conn_swallow, not even the replies queued before it.
      expect(await c.quietFor(100), c.peek()).to.equal(true);
      expect(await roundTrip(c, Buffer.concat([block.subarray(n + 1), Buffer.from("get tl-c\r\n")])))
        .to.equal("STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n");
    });

    it("with noreply: silent, still swallowed, still deletes", async () => {
      const big = "y".repeat(LIMIT_4 + 1);
      expect(await roundTrip(c, `set tl-a 0 0 3\r\nold\r\nset tl-a 0 0 ${big.length} noreply\r\n${big}\r\nget tl-a\r\n`))
        .to.equal("STORED\r\nEND\r\n");
    });

    it("counts store_too_large", async () => {
      const before = Number((await stats(c)).get("store_too_large"));
      await roundTrip(c, `set tl-d 0 0 ${2 * MB}\r\n${"z".repeat(2 * MB)}\r\n`);
      expect(Number((await stats(c)).get("store_too_large"))).to.equal(before + 1);
    });
  });
});

describe("protocol: out of memory with evictions off (-M)", function () {
  let srv: TestServer;
  let c: SocketClient;
  const VALUE = "v".repeat(10000);

  before(async () => {
    srv = await TestServer.start({ memoryLimitMb: 2, evictions: false });
    c = await srv.connect();
  });
  after(() => srv.close());

  it("fills up, then refuses with SERVER_ERROR out of memory storing object", async () => {
    let fill = "";
    for (let i = 0; i < 400; i++) fill += `set oom-${i} 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`;
    expect(await roundTrip(c, fill)).to.equal("");
    expect(await roundTrip(c, `set oom-new 0 0 ${VALUE.length}\r\n${VALUE}\r\nget oom-new\r\n`))
      .to.equal("SERVER_ERROR out of memory storing object\r\nEND\r\n");
    const s = await stats(c);
    expect(Number(s.get("store_no_memory"))).to.be.greaterThan(0);
    expect(s.get("evictions")).to.equal("0");
    expect(Number(s.get("curr_items"))).to.be.within(100, 399);
  });

  it("swallows the refused block: a command hidden in it is not run", async () => {
    const block = `${"x".repeat(VALUE.length - 13)}\r\nversion\r\nab`;
    expect(block.length).to.equal(VALUE.length);
    expect(await roundTrip(c, `set oom-new2 0 0 ${block.length}\r\n${block}\r\n`))
      .to.equal("SERVER_ERROR out of memory storing object\r\n");
  });

  it("a failed set deletes the key's old value", async () => {
    expect(await roundTrip(c, "get oom-0\r\n")).to.match(/^VALUE oom-0 0 10000\r\n/);
    // Same size as the rest: its slab class is the full one.
    expect(await roundTrip(c, `set oom-0 0 0 ${VALUE.length}\r\n${VALUE}\r\nget oom-0\r\n`))
      .to.equal("SERVER_ERROR out of memory storing object\r\nEND\r\n");
  });

  it("noreply silences the error", async () => {
    // The delete above freed one chunk: take it back first.
    await roundTrip(c, `set oom-refill 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`);
    const before = Number((await stats(c)).get("store_no_memory"));
    expect(await roundTrip(c, `set oom-new3 0 0 ${VALUE.length} noreply\r\n${VALUE}\r\n`)).to.equal("");
    expect(Number((await stats(c)).get("store_no_memory"))).to.equal(before + 1);
  });

  it("small items still fit in their own class and the server keeps working", async () => {
    expect(await roundTrip(c, "set oom-small 0 0 1\r\nx\r\nget oom-small\r\n"))
      .to.equal("STORED\r\nVALUE oom-small 0 1\r\nx\r\nEND\r\n");
  });
});
