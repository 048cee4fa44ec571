// Retrieval over a real socket (reference §1.3): get/gets/gat/gats/bget, multi-gets of any
// line length, and replies larger than the core's reply area.
import { expect } from "chai";
import { roundTrip, serverPerSuite } from "../helpers/in-process.js";
import { SocketClient, patternBytes, stats } from "../helpers/socket-client.js";

const keys = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("protocol: retrieval commands", function () {
  let c: SocketClient;

  serverPerSuite((x) => (c = x));

  it("get: hits in request order, misses silent, duplicates repeated", async () => {
    await roundTrip(c, "set rt-a 1 0 1\r\na\r\nset rt-b 2 0 2\r\nbb\r\n");
    expect(await roundTrip(c, "get rt-b nope rt-a rt-b\r\n"))
      .to.equal("VALUE rt-b 2 2\r\nbb\r\nVALUE rt-a 1 1\r\na\r\nVALUE rt-b 2 2\r\nbb\r\nEND\r\n");
    expect(await roundTrip(c, "get nope\r\n")).to.equal("END\r\n");
  });

  it("gets adds the CAS unique, which changes on every store", async () => {
    await roundTrip(c, "set rt-c 0 0 1\r\nx\r\n");
    const first = /^VALUE rt-c 0 1 (\d+)\r\nx\r\nEND\r\n$/.exec(await roundTrip(c, "gets rt-c\r\n"));
    expect(first).to.not.equal(null);
    await roundTrip(c, "set rt-c 0 0 1\r\ny\r\n");
    const second = /^VALUE rt-c 0 1 (\d+)\r\ny\r\nEND\r\n$/.exec(await roundTrip(c, "gets rt-c\r\n"));
    expect(second).to.not.equal(null);
    expect(second![1]).to.not.equal(first![1]);
  });

  it("bget is get", async () => {
    await roundTrip(c, "set rt-d 0 0 1\r\nd\r\n");
    expect(await roundTrip(c, "bget rt-d nope\r\n")).to.equal("VALUE rt-d 0 1\r\nd\r\nEND\r\n");
  });

  it("gat returns the value and sets a new exptime without changing the CAS", async () => {
    await roundTrip(c, "set rt-e 3 0 2\r\nee\r\n");
    const before = await roundTrip(c, "gets rt-e\r\n");
    expect(await roundTrip(c, "gat 100 rt-e nope\r\n")).to.equal("VALUE rt-e 3 2\r\nee\r\nEND\r\n");
    expect(await roundTrip(c, "gets rt-e\r\n")).to.equal(before);
    // A negative exptime expires the item right after this fetch.
    expect(await roundTrip(c, "gat -1 rt-e\r\nget rt-e\r\n")).to.equal("VALUE rt-e 3 2\r\nee\r\nEND\r\nEND\r\n");
  });

  it("gats returns the CAS unique", async () => {
    await roundTrip(c, "set rt-f 0 0 1\r\nf\r\n");
    const gets = await roundTrip(c, "gets rt-f\r\n");
    expect(await roundTrip(c, "gats 0 rt-f\r\n")).to.equal(gets);
  });

  it("gat counts as a touch, get as a get", async () => {
    await roundTrip(c, "set rt-g 0 0 1\r\ng\r\n");
    const a = await stats(c);
    await roundTrip(c, "gat 0 rt-g nope\r\nget rt-g\r\n");
    const b = await stats(c);
    const d = (name: string) => Number(b.get(name)) - Number(a.get(name));
    expect([d("cmd_touch"), d("touch_hits"), d("touch_misses")]).to.deep.equal([2, 1, 1]);
    expect([d("cmd_get"), d("get_hits"), d("get_misses")]).to.deep.equal([1, 1, 0]);
  });

  it("errors: no key, bad exptime, an over-long key discards everything before it", async () => {
    expect(await roundTrip(c, "get\r\n")).to.equal("ERROR\r\n");
    expect(await roundTrip(c, "gets\r\n")).to.equal("ERROR\r\n");
    expect(await roundTrip(c, "gat\r\n")).to.equal("ERROR\r\n");
    expect(await roundTrip(c, "bget\r\n")).to.equal("ERROR\r\n");
    expect(await roundTrip(c, "gat 0\r\n")).to.equal("END\r\n");
    expect(await roundTrip(c, "gats 10\r\n")).to.equal("END\r\n");
    expect(await roundTrip(c, "gat abc rt-a\r\n")).to.equal("CLIENT_ERROR invalid exptime argument\r\n");
    await roundTrip(c, "set rt-h 0 0 1\r\nh\r\n");
    expect(await roundTrip(c, `get rt-h ${"k".repeat(251)} rt-h\r\n`)).to.equal("CLIENT_ERROR bad command line format\r\n");
    expect(await roundTrip(c, `get ${"k".repeat(250)}\r\n`)).to.equal("END\r\n");
  });

  describe("long get lines", () => {
    for (const [what, n] of [["~12 KB (over 2048 bytes, one write)", 2000], ["~21 KB (over the 16 KiB read buffer)", 3000], ["~250 KB", 25000]] as const) {
      it(`answers a ${what} multi-get in key order`, async () => {
        const ks = keys(n, `lg${n}-`);
        let setup = "";
        for (let i = 0; i < n; i += 7) setup += `set ${ks[i]} ${i} 0 ${String(i).length} noreply\r\n${i}\r\n`;
        expect(await roundTrip(c, setup)).to.equal("");
        let expected = "";
        for (let i = 0; i < n; i += 7) expected += `VALUE ${ks[i]} ${i} ${String(i).length}\r\n${i}\r\n`;
        expect(await roundTrip(c, `get ${ks.join(" ")}\r\n`)).to.equal(expected + "END\r\n");
      });
    }

    it("a long get line split across many writes", async () => {
      const ks = keys(3000, "lgs-");
      await roundTrip(c, "set lgs-2999 0 0 4 noreply\r\nlast\r\n");
      await c.sendPieces(`get ${ks.join(" ")}\r\n`, 1000);
      expect(await c.readUntilText("END\r\n")).to.equal("VALUE lgs-2999 0 4\r\nlast\r\nEND\r\n");
    });

    it("gat with a line under the 16 KiB read buffer works; past it only get/gets may go", async () => {
      const ks = keys(1400, "lga-");
      await roundTrip(c, "set lga-0 0 0 1 noreply\r\n0\r\nset lga-1399 0 0 1 noreply\r\n9\r\n");
      const line = `gat 0 ${ks.join(" ")}\r\n`;
      expect(line.length).to.be.within(2049, 16383);
      expect(await roundTrip(c, line)).to.equal("VALUE lga-0 0 1\r\n0\r\nVALUE lga-1399 0 1\r\n9\r\nEND\r\n");
      await c.send(`gat 0 ${keys(3000, "lga-").join(" ")}\r\nversion\r\n`);
      expect(await c.waitClosed()).to.equal("");
    });
  });

  it("a multi-get far larger than the reply area arrives whole and in order", async () => {
    const a = patternBytes(1000 * 1000, 7);
    const b = patternBytes(700 * 1000, 9);
    await c.send(Buffer.concat([Buffer.from(`set big-a 0 0 ${a.length}\r\n`), a, Buffer.from(`\r\nset big-b 5 0 ${b.length}\r\n`), b, Buffer.from("\r\n")]));
    expect(await c.readBytes(16)).to.deep.equal(Buffer.from("STORED\r\nSTORED\r\n"));
    const order = ["big-a", "big-b", "nope", "big-a"];
    const line = `get ${Array.from({ length: 10 }, () => order.join(" ")).join(" ")}\r\n`;
    await c.send(line);
    for (let i = 0; i < 10; i++) {
      expect((await c.readLine()).toString()).to.equal(`VALUE big-a 0 ${a.length}\r\n`);
      expect((await c.readBytes(a.length + 2)).equals(Buffer.concat([a, Buffer.from("\r\n")]))).to.equal(true);
      expect(await c.readLine()).to.equal(`VALUE big-b 5 ${b.length}\r\n`);
      expect((await c.readBytes(b.length + 2)).equals(Buffer.concat([b, Buffer.from("\r\n")]))).to.equal(true);
      expect(await c.readLine()).to.equal(`VALUE big-a 0 ${a.length}\r\n`);
      expect((await c.readBytes(a.length + 2)).equals(Buffer.concat([a, Buffer.from("\r\n")]))).to.equal(true);
    }
    expect(await roundTrip(c, "")).to.equal("END\r\n");
  });
});
