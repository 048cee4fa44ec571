// A real-world text-protocol client, the `memcached` npm package, against an in-process
// server: what an application using it would do.
import { expect } from "chai";
import Memcached from "memcached";
import { TestServer, roundTrip } from "../helpers/in-process.js";

type Callback<T> = (err: unknown, result: T) => void;

// The client's methods take node-style callbacks; this turns one call into a promise.
function call<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result))));
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the call to fail");
}

describe("client: memcached npm package", function () {
  let srv: TestServer;
  let mc: Memcached;

  before(async () => {
    srv = await TestServer.start();
    // No retries or failover: an error must surface as an error, not as a slow miss.
    mc = new Memcached(`127.0.0.1:${srv.port}`, { retries: 0, timeout: 3000, poolSize: 2, failures: 0, remove: false });
  });
  after(async () => {
    mc.end();
    await srv.close();
  });

  it("parses the version reply", async () => {
    const versions = await call<Memcached.VersionData[]>((cb) => mc.version(cb));
    expect(versions).to.have.length(1);
    expect(versions[0].version).to.equal("1.6.18");
    expect([versions[0].major, versions[0].minor, versions[0].bugfix].map(String)).to.deep.equal(["1", "6", "18"]);
  });

  it("set and get strings, numbers, JSON and Buffers (the client's flags round-trip)", async () => {
    expect(await call<boolean>((cb) => mc.set("np-str", "hello world", 0, cb))).to.equal(true);
    expect(await call<boolean>((cb) => mc.set("np-num", 42, 0, cb))).to.equal(true);
    expect(await call<boolean>((cb) => mc.set("np-json", { a: [1, 2], b: "x" }, 0, cb))).to.equal(true);
    const bin = Buffer.from([0, 1, 2, 250, 255, 13, 10]);
    expect(await call<boolean>((cb) => mc.set("np-bin", bin, 0, cb))).to.equal(true);
    expect(await call<unknown>((cb) => mc.get("np-str", cb))).to.equal("hello world");
    expect(await call<unknown>((cb) => mc.get("np-num", cb))).to.equal(42);
    expect(await call<unknown>((cb) => mc.get("np-json", cb))).to.deep.equal({ a: [1, 2], b: "x" });
    const back = await call<unknown>((cb) => mc.get("np-bin", cb));
    expect(Buffer.isBuffer(back) ? back : Buffer.from(String(back), "binary")).to.deep.equal(bin);
    expect(await call<unknown>((cb) => mc.get("np-missing", cb))).to.equal(undefined);
  });

  it("a large value", async () => {
    const big = "L".repeat(900 * 1024);
    expect(await call<boolean>((cb) => mc.set("np-large", big, 0, cb))).to.equal(true);
    expect(await call<unknown>((cb) => mc.get("np-large", cb))).to.equal(big);
  });

  it("getMulti returns the hits only", async () => {
    await call<boolean>((cb) => mc.set("np-m1", "one", 0, cb));
    await call<boolean>((cb) => mc.set("np-m2", "two", 0, cb));
    const got = await call<Record<string, unknown>>((cb) => mc.getMulti(["np-m1", "np-nope", "np-m2"], cb));
    expect(got).to.deep.equal({ "np-m1": "one", "np-m2": "two" });
  });

  it("add and replace", async () => {
    expect(await call<boolean>((cb) => mc.add("np-add", "first", 0, cb))).to.equal(true);
    // The client turns NOT_STORED into an error.
    expect(await failure(call<boolean>((cb) => mc.add("np-add", "second", 0, cb)))).to.equal("Item is not stored");
    expect(await failure(call<boolean>((cb) => mc.replace("np-nope2", "x", 0, cb)))).to.equal("Item is not stored");
    expect(await call<boolean>((cb) => mc.replace("np-add", "third", 0, cb))).to.equal(true);
    expect(await call<unknown>((cb) => mc.get("np-add", cb))).to.equal("third");
  });

  it("gets and cas", async () => {
    await call<boolean>((cb) => mc.set("np-cas", "v1", 0, cb));
    const g = await call<{ [key: string]: unknown; cas: string }>((cb) => mc.gets("np-cas", cb));
    expect(g["np-cas"]).to.equal("v1");
    expect(g.cas).to.match(/^\d+$/);
    expect(await call<boolean>((cb) => mc.cas("np-cas", "v2", g.cas, 0, cb))).to.equal(true);
    // The unique changed with that store: the old one no longer matches.
    expect(await call<boolean>((cb) => mc.cas("np-cas", "v3", g.cas, 0, cb))).to.equal(false);
    expect(await call<unknown>((cb) => mc.get("np-cas", cb))).to.equal("v2");
  });

  it("incr and decr", async () => {
    await call<boolean>((cb) => mc.set("np-ctr", "10", 0, cb));
    expect(await call<number | boolean>((cb) => mc.incr("np-ctr", 5, cb))).to.equal(15);
    expect(await call<number | boolean>((cb) => mc.decr("np-ctr", 3, cb))).to.equal(12);
    expect(await call<number | boolean>((cb) => mc.decr("np-ctr", 100, cb))).to.equal(0);
    expect(await call<number | boolean>((cb) => mc.incr("np-ctr-missing", 1, cb))).to.equal(false);
  });

  it("delete", async () => {
    await call<boolean>((cb) => mc.set("np-del", "x", 0, cb));
    expect(await call<boolean>((cb) => mc.del("np-del", cb))).to.equal(true);
    expect(await call<unknown>((cb) => mc.get("np-del", cb))).to.equal(undefined);
  });

  it("touch changes the expiry", async () => {
    await call<boolean>((cb) => mc.set("np-touch", "x", 0, cb));
    await call<unknown>((cb) => mc.touch("np-touch", 100, (err) => cb(err, undefined)));
    expect(await call<unknown>((cb) => mc.get("np-touch", cb))).to.equal("x");
    // A negative lifetime expires it at once: proof the touch reached the server.
    await call<unknown>((cb) => mc.touch("np-touch", -1, (err) => cb(err, undefined)));
    expect(await call<unknown>((cb) => mc.get("np-touch", cb))).to.equal(undefined);
  });

  it("what the client stored is what a raw connection sees", async () => {
    await call<boolean>((cb) => mc.set("np-raw", 7, 0, cb));
    const c = await srv.connect();
    // FLAG_NUMERIC is 1 << 3 in the client.
    expect(await roundTrip(c, "get np-raw\r\n")).to.equal("VALUE np-raw 8 1\r\n7\r\nEND\r\n");
  });
});
