// Framing over a real socket (reference §1.1): the 2048-byte partial-line rule, pipelining,
// input split byte by byte or in large pieces, every value size up to -I, and input that is
// not the protocol at all.
import { expect } from "chai";
import { TestServer, roundTrip, VERSION_REPLY, serverPerSuite } from "../helpers/in-process.js";
import { SocketClient, patternBytes } from "../helpers/socket-client.js";

const MB = 1024 * 1024;
// memcached's size formula: 48-byte header + key + NUL + value + CRLF (+ 4 for flags, + 8 for CAS).
const valueLimit = (nkey: number, flags: boolean, cas: boolean) => MB - 48 - nkey - 1 - 2 - (flags ? 4 : 0) - (cas ? 8 : 0);

function setCommand(key: string, value: Buffer, flags = 0, noreply = false): Buffer {
  return Buffer.concat([Buffer.from(`set ${key} ${flags} 0 ${value.length}${noreply ? " noreply" : ""}\r\n`), value, Buffer.from("\r\n")]);
}

describe("protocol: framing", function () {
  let srv: TestServer;
  let c: SocketClient;

  serverPerSuite((x) => (c = x), {}, (s) => (srv = s));

  describe("the 2048-byte rule", () => {
    it("a partial line of 2048 bytes waits for its end", async () => {
      await c.send("set " + "x".repeat(2044));
      expect(await c.quietFor(100)).to.equal(true);
      expect(await roundTrip(c, "\r\n")).to.equal("ERROR\r\n");
    });

    it("a partial line of 2049 bytes that is not a get closes the connection", async () => {
      await c.send("set " + "x".repeat(2045));
      expect(await c.waitClosed()).to.equal("");
    });

    it("a complete line of 5 KB in one write is just parsed", async () => {
      expect(await roundTrip(c, `bogus ${"x".repeat(5000)}\r\n`)).to.equal("ERROR\r\n");
    });

    it("a 20 KB non-get line in one write is a disconnect", async () => {
      await c.send(`set ${"x".repeat(20000)} 0 0 1\r\nx\r\n`);
      expect(await c.waitClosed()).to.equal("");
    });

    it("a partial get line may be any length (after up to 100 leading spaces)", async () => {
      const ks = Array.from({ length: 600 }, (_, i) => `pg-${i}`).join(" ");
      await roundTrip(c, "set pg-599 0 0 1\r\nz\r\n");
      await c.send(`${" ".repeat(100)}get ${ks}`);
      expect(await c.quietFor(100)).to.equal(true);
      expect(await roundTrip(c, "\r\n")).to.equal("VALUE pg-599 0 1\r\nz\r\nEND\r\n");
      await c.send(`gets ${ks}`);
      expect(await c.quietFor(50)).to.equal(true);
      expect(await roundTrip(c, "\r\n")).to.match(/^VALUE pg-599 0 1 \d+\r\nz\r\nEND\r\n$/);
    });

    it("101 leading spaces before a long partial get line close the connection", async () => {
      await c.send(`${" ".repeat(101)}get ${"k ".repeat(1500)}`);
      expect(await c.waitClosed()).to.equal("");
    });
  });

  describe("pipelining", () => {
    it("hundreds of commands in one write are answered in order", async () => {
      let input = "";
      let expected = "";
      for (let i = 0; i < 300; i++) {
        input += `set pl-${i} ${i} 0 ${String(i).length}\r\n${i}\r\nget pl-${i}\r\nincr pl-${i} 1\r\n`;
        expected += `STORED\r\nVALUE pl-${i} ${i} ${String(i).length}\r\n${i}\r\nEND\r\n${i + 1}\r\n`;
      }
      input += "delete pl-0\r\ndelete pl-0\r\n";
      expected += "DELETED\r\nNOT_FOUND\r\n";
      expect(await roundTrip(c, input)).to.equal(expected);
    });

    it("every reply of a pipeline arrives when the client half-closes right after it", async () => {
      let input = "";
      for (let i = 0; i < 200; i++) input += `set hc-${i} 0 0 1\r\n${i % 10}\r\nget hc-${i}\r\n`;
      await c.end(input + "get hc-199\r\n");
      const reply = await c.waitClosed();
      expect(reply.split("STORED\r\n").length - 1).to.equal(200);
      expect(reply.endsWith("VALUE hc-199 0 1\r\n9\r\nEND\r\nVALUE hc-199 0 1\r\n9\r\nEND\r\n"), reply.slice(-80)).to.equal(true);
    });
  });

  describe("split input", () => {
    const SCRIPT =
      "set sp-a 3 0 5\r\nhe\r\nl\r\n" +         // a value holding CRLF
      "get sp-a\r\n" +
      "append sp-a 0 0 2 noreply\r\n!!\r\n" +
      "gets sp-a nope\r\n" +
      "set sp-n 0 0 2\r\n41\r\nincr sp-n 1\r\n" +
      "set sp-bad 0 0 1\r\nxyz\r\n" +           // bad data chunk, then ERROR for the leftover
      "delete sp-a\nget sp-a\n";                 // bare LF ends a command line
    const EXPECTED =
      "STORED\r\nVALUE sp-a 3 5\r\nhe\r\nl\r\nEND\r\n" +
      /VALUE sp-a 3 7 \d+\r\nhe\r\nl!!\r\nEND\r\n/.source +
      "STORED\r\n42\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nDELETED\r\nEND\r\n";

    it("one write", async () => {
      expect(await roundTrip(c, SCRIPT)).to.match(new RegExp(`^${EXPECTED}$`));
    });

    it("one byte per write", async () => {
      await c.sendBytewise(SCRIPT);
      expect(await roundTrip(c, "")).to.match(new RegExp(`^${EXPECTED}$`));
    });

    it("a 1 MB value arriving in 64 KB pieces", async () => {
      const value = patternBytes(MB - 200, 3);
      await c.sendPieces(setCommand("sp-big", value, 9), 64 * 1024, 2);
      expect(await c.readLine()).to.equal("STORED\r\n");
      await c.send("get sp-big\r\n");
      expect(await c.readLine()).to.equal(`VALUE sp-big 9 ${value.length}\r\n`);
      expect((await c.readBytes(value.length)).equals(value)).to.equal(true);
      expect(await c.readBytes(7)).to.deep.equal(Buffer.from("\r\nEND\r\n"));
    });

    it("a value split inside its CRLF and inside the next command", async () => {
      const value = patternBytes(100000, 5);
      const all = Buffer.concat([setCommand("sp-c", value), Buffer.from("get sp-c\r\n")]);
      const cut = all.length - "get sp-c\r\n".length - 1;
      await c.sendPieces(all, [10, cut - 10, 1, 4, 100]);
      expect(await c.readLine()).to.equal("STORED\r\n");
      expect(await c.readLine()).to.equal(`VALUE sp-c 0 ${value.length}\r\n`);
      expect((await c.readBytes(value.length)).equals(value)).to.equal(true);
    });
  });

  describe("value sizes", () => {
    const key = "sz-key";
    const limit = valueLimit(key.length, false, true);
    const sizes = [0, 1, 2, 47, 48, 100, 1000, 1023, 1024, 1025, 16383, 16384, 65535, 65536, 100000,
      524287, 524288, 524289, 1000000, limit - 1, limit];

    for (const n of sizes) {
      it(`stores and returns ${n} bytes`, async () => {
        const value = patternBytes(n, n + 1);
        await c.send(Buffer.concat([setCommand(key, value, 0), Buffer.from(`get ${key}\r\n`)]));
        expect(await c.readLine()).to.equal("STORED\r\n");
        expect(await c.readLine()).to.equal(`VALUE ${key} 0 ${n}\r\n`);
        const got = await c.readBytes(n + 7);
        expect(got.subarray(0, n).equals(value), "value bytes").to.equal(true);
        expect(got.subarray(n).toString()).to.equal("\r\nEND\r\n");
      });
    }

    it(`refuses ${limit + 1} bytes (one over -I) and keeps parsing after it`, async () => {
      const over = patternBytes(limit + 1, 11);
      expect(await roundTrip(c, Buffer.concat([setCommand(key, over), Buffer.from(`get ${key}\r\n`)])))
        .to.equal("SERVER_ERROR object too large for cache\r\nEND\r\n");
    });

    it("non-zero flags take 4 bytes of the limit", async () => {
      const atLimit = patternBytes(limit, 13);
      expect(await roundTrip(c, setCommand(key, atLimit, 1))).to.equal("SERVER_ERROR object too large for cache\r\n");
      expect(await roundTrip(c, setCommand(key, atLimit.subarray(0, limit - 4), 1))).to.equal("STORED\r\n");
    });
  });

  describe("input that is not the protocol", () => {
    it("binary-protocol bytes on one connection do not disturb the others", async () => {
      // A get request (magic 0x80, opcode 0) for a 1-byte key, then junk.
      const header = Buffer.alloc(24);
      header[0] = 0x80;
      header.writeUInt16BE(1, 2);
      header.writeUInt32BE(1, 8);
      await c.send(Buffer.concat([header, Buffer.from("k"), Buffer.from([0x80, 0xff, 0xff, 0xff])])).catch(() => undefined);
      const other = await srv.connect();
      expect(await roundTrip(other, "set bn-a 0 0 1\r\nb\r\nget bn-a\r\n")).to.equal("STORED\r\nVALUE bn-a 0 1\r\nb\r\nEND\r\n");
    });

    it("garbage on many connections leaves a working, consistent server", async function () {
      this.timeout(20000);
      const words = ["set", "get", "gets", "gat", "add", "cas", "incr", "decr", "delete", "touch", "append",
        "stats", "flush_all", "noreply", "0", "1", "-1", "5", "99999999999", "18446744073709551616",
        "gb-a", "gb-b", "\x00", "\xff\xfe", "HTTP/", "\t", "", " ", "mn", "lru_crawler", "slabs", "watch"];
      let seed = 12345;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      for (let conn = 0; conn < 30; conn++) {
        const g = await srv.connect();
        let input = "";
        for (let line = 0; line < 60; line++) {
          const n = rnd(8);
          const parts: string[] = [];
          for (let i = 0; i < n; i++) parts.push(words[rnd(words.length)]);
          input += parts.join(rnd(4) ? " " : "  ") + (rnd(5) ? "\r\n" : "\n");
          if (rnd(4) === 0) input += String.fromCharCode(...patternBytes(rnd(40), seed));
        }
        // Ignore what comes back: the point is what the server is like afterwards.
        await g.sendPieces(input, rnd(2) ? 1 + rnd(50) : input.length).catch(() => undefined);
        g.destroy();
      }
      const ok = await srv.connect();
      expect(await roundTrip(ok, "set gb-ok 0 0 2\r\nok\r\nget gb-ok\r\n")).to.equal("STORED\r\nVALUE gb-ok 0 2\r\nok\r\nEND\r\n");
      srv.server.engine.checkInvariants();
    });

    it("random bytes in random pieces never stop the server", async () => {
      for (let i = 0; i < 10; i++) {
        const g = await srv.connect();
        const junk = patternBytes(20000 + i * 5000, 100 + i);
        await g.sendPieces(junk, 997).catch(() => undefined);
        g.destroy();
      }
      const ok = await srv.connect();
      expect(await ok.request("version\r\n")).to.equal(VERSION_REPLY);
      srv.server.engine.checkInvariants();
    });
  });
});

describe("protocol: value sizes without CAS (-C)", function () {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ cas: false });
  });
  after(() => srv.close());

  it("the limit grows by the 8 bytes CAS would take", async () => {
    const c = await srv.connect();
    const limit = valueLimit(4, false, false);
    expect(await roundTrip(c, setCommand("nc-k", patternBytes(limit, 1)))).to.equal("STORED\r\n");
    expect(await roundTrip(c, setCommand("nc-k", patternBytes(limit + 1, 1)))).to.equal("SERVER_ERROR object too large for cache\r\n");
    // The failed set deleted it; gets reports 0 for a store without CAS.
    expect(await roundTrip(c, "gets nc-k\r\nset nc-k 0 0 1\r\nx\r\ngets nc-k\r\n")).to.equal("END\r\nSTORED\r\nVALUE nc-k 0 1 0\r\nx\r\nEND\r\n");
  });
});
