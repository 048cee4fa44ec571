// One in-process Cache shared by worker threads (host/cache.ts, host/sharing/): the load with
// exact answers on Node's worker_threads (test/sharing/runtimes.test.ts runs it on Deno and
// Bun), the lifetime (each thread's close gives its place back, the last closes the cache),
// the timer lease (clock and maintenance on one thread at a time, taken over when its holder
// leaves), and the mistakes a user can make, each with its message.
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { Cache, type CacheHandle } from "../../host/index.js";
import { Registry } from "../../host/sharing/registry.js";
import { runSharedLoad } from "./load.js";

const SEED = 20261206;
const LEASE_CHECK_MS = 1000;
// A lease not renewed for 3 s is stale (sharing/registry.ts): the next check after that.
const TAKEOVER_MS = 3000 + 2 * LEASE_CHECK_MS;

// A worker that attaches, runs `body` on the cache (a function's source: it gets `cache` and
// `data`), closes it unless told not to, posts the result and ends; settles once it has ended.
function inWorker(handle: CacheHandle, body: string, data: unknown = null, close = true): Promise<unknown> {
  const source = `
    const { workerData, parentPort } = require("node:worker_threads");
    import(${JSON.stringify(new URL("../../host/index.js", import.meta.url).href)}).then(async ({ Cache }) => {
      const { handle, data } = workerData;
      const cache = await Cache.attach(handle);
      const result = await (async (cache, data) => { ${body} })(cache, data);
      if (${close}) cache.close();
      parentPort.postMessage(result);
    }).catch((err) => parentPort.postMessage({ error: err.message }));`;
  const w = new Worker(source, { eval: true, workerData: { handle, data } });
  let result: unknown;
  w.once("message", (m) => { result = m; });
  return new Promise((resolve, reject) => {
    w.once("exit", () => resolve(result));
    w.once("error", reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(50);
  }
}

describe("sharing: one cache for an application's worker threads", () => {
  it("four workers race on the same keys: every value whole, the counter exact, the structures whole", async () => {
    const summary = await runSharedLoad("node", 4, 20_000, SEED);
    expect(summary.problems).to.deep.equal([]);
    expect(summary.counter).to.equal(String(summary.expected));
    expect(summary.expected).to.be.greaterThan(0);
    expect(summary.hits).to.be.greaterThan(0);
    expect(summary.invariants).to.equal("ok");
    expect(summary.attachedAfter).to.equal(1);
  });

  it("a worker sees what the main thread stored, and the other way round; stats count every thread", async () => {
    const cache = await Cache.create({ threads: 2 });
    try {
      cache.set("from-main", "hello", { flags: 7 });
      const seen = await inWorker(cache.share(), `
        const e = cache.gets("from-main");
        cache.set("from-worker", "hi");
        return { value: new TextDecoder().decode(e.value), flags: e.flags };`);
      expect(seen).to.deep.equal({ value: "hello", flags: 7 });
      expect(cache.getString("from-worker")).to.equal("hi");
      const stats = cache.stats();
      expect(stats.cmd_set).to.equal("2");
      expect(stats.curr_items).to.equal("2");
    } finally {
      cache.close();
    }
  });

  it("the main thread may close first: the others keep the cache", async () => {
    const main = await Cache.create({ threads: 3 });
    main.set("k", "v");
    const handle = main.share();
    const registry = new Registry(handle.registry);
    const other = await Cache.attach(handle);
    main.close();
    expect(() => main.get("k")).to.throw("this Cache is closed");
    expect(registry.closed()).to.equal(false);
    const seen = await inWorker(handle, `return cache.getString("k");`);
    expect(seen).to.equal("v");
    expect(other.getString("k")).to.equal("v");
    other.close();
    expect(registry.closed()).to.equal(true);
  });

  it("a worker that ends without close() gives its place back as it exits", async () => {
    const cache = await Cache.create({ threads: 2 });
    try {
      const registry = new Registry(cache.share().registry);
      expect(await inWorker(cache.share(), `return cache.set("w", "1");`, null, false)).to.equal(true);
      expect(registry.attached()).to.equal(1);
      expect(cache.getString("w")).to.equal("1");
    } finally {
      cache.close();
    }
  });

  it("after the last close, attaching is refused", async () => {
    const cache = await Cache.create({ threads: 2 });
    const handle = cache.share();
    const other = await Cache.attach(handle);
    other.close();
    cache.close();
    expect(new Registry(handle.registry).closed()).to.equal(true);
    let message = "";
    await Cache.attach(handle).catch((err: Error) => { message = err.message; });
    expect(message).to.match(/closed by every thread that had it/);
  });

  it("a closed thread's place is handed to the next thread that attaches", async () => {
    const cache = await Cache.create({ threads: 2 });
    try {
      const handle = cache.share();
      for (let i = 0; i < 3; i++) {
        const worker = await Cache.attach(handle);
        expect(worker.incr("n", 1) ?? worker.add("n", "1")).to.not.equal(false);
        worker.close();
      }
      expect(cache.getString("n")).to.equal("3");
      let message = "";
      const a = await Cache.attach(handle);
      await Cache.attach(handle).catch((err: Error) => { message = err.message; });
      a.close();
      expect(message).to.match(/all 2 threads of this cache are in use/);
    } finally {
      cache.close();
    }
  });

  it("the clock and the maintenance run on one thread at a time, and move when it closes", async function () {
    this.timeout(TAKEOVER_MS * 3);
    const main = await Cache.create({ threads: 3 });
    const handle = main.share();
    const registry = new Registry(handle.registry);
    const a = await Cache.attach(handle);
    const b = await Cache.attach(handle);
    try {
      expect(registry.leaseHolder()).to.equal(0);
      await sleep(LEASE_CHECK_MS * 1.5);
      expect(registry.leaseHolder()).to.equal(0);
      // The holder leaves: one of the others takes the lease at its next check, and the
      // clock goes on (an item set to expire in 1 s expires).
      main.close();
      a.set("short", "lived", { ttl: 1 });
      const before = Number(a.stats().time);
      await sleep(LEASE_CHECK_MS * 2.5);
      expect([1, 2]).to.include(registry.leaseHolder());
      expect(Number(b.stats().time)).to.be.greaterThan(before);
      expect(b.get("short")).to.equal(undefined);
    } finally {
      a.close();
      b.close();
    }
  });

  it("a lease whose holder stopped renewing it (its thread was terminated) is taken over", async function () {
    this.timeout(TAKEOVER_MS * 4);
    const main = await Cache.create({ threads: 2 });
    const handle = main.share();
    const registry = new Registry(handle.registry);
    const worker = new Worker(`
      const { workerData, parentPort } = require("node:worker_threads");
      import(${JSON.stringify(new URL("../../host/index.js", import.meta.url).href)}).then(async ({ Cache }) => {
        globalThis.cache = await Cache.attach(workerData);
        parentPort.postMessage("attached");
        setInterval(() => {}, 1000);
      });`, { eval: true, workerData: handle });
    await new Promise((r) => worker.once("message", r));
    // The main thread leaves: the worker (block 1) takes the lease at its next check.
    main.close();
    await until(() => registry.leaseHolder() === 1, TAKEOVER_MS);
    const standBy = await Cache.attach(handle);
    try {
      await sleep(LEASE_CHECK_MS * 1.5);
      expect(registry.leaseHolder()).to.equal(1);
      // Terminated without closing: its place stays held, its lease goes stale and moves.
      await worker.terminate();
      await until(() => registry.leaseHolder() === 0, TAKEOVER_MS);
      const t0 = Number(standBy.stats().time);
      await sleep(LEASE_CHECK_MS * 2.5);
      expect(Number(standBy.stats().time)).to.be.greaterThan(t0);
    } finally {
      standBy.close();
    }
  });

  describe("mistakes, each with a clear message", () => {
    it("share() on a cache made for one thread", async () => {
      const cache = await Cache.create();
      expect(() => cache.share()).to.throw(/created for one thread: Cache.create\(\{ threads: n \}\)/);
      cache.close();
    });

    it("threads out of range", async () => {
      for (const threads of [0, 1.5, 65]) {
        let message = "";
        await Cache.create({ threads }).catch((err: Error) => { message = err.message; });
        expect(message).to.match(/threads must be an integer from 1 to 64/);
      }
    });

    it("use after close", async () => {
      const cache = await Cache.create({ threads: 2 });
      cache.close();
      for (const call of [() => cache.get("k"), () => cache.set("k", "v"), () => cache.incr("k"), () => cache.stats(), () => cache.share()]) {
        expect(call).to.throw("wasmcached: this Cache is closed");
      }
      cache.close(); // a second close does nothing
    });

    it("a handle from another version of wasmcached, a handle sent through JSON, something else", async () => {
      const cache = await Cache.create({ threads: 2 });
      try {
        const handle = cache.share();
        const attempts: [unknown, RegExp][] = [
          [{ ...handle, coreId: (handle.coreId + 1) >>> 0 }, /another version of wasmcached/],
          [{ ...handle, format: handle.format + 1 }, /another version of wasmcached/],
          [JSON.parse(JSON.stringify(handle)), /lost its shared memory on the way/],
          [{ nope: true }, /takes the handle cache.share\(\) returned/],
          [undefined, /takes the handle cache.share\(\) returned/],
        ];
        for (const [h, expected] of attempts) {
          let message = "";
          await Cache.attach(h as CacheHandle).catch((err: Error) => { message = err.message; });
          expect(message).to.match(expected);
        }
      } finally {
        cache.close();
      }
    });

    it("a key too long is the caller's mistake, not a trap: the cache is not checked or reset", async () => {
      const cache = await Cache.create({ threads: 2 });
      try {
        cache.set("k", "v");
        expect(() => cache.set("x".repeat(251), "v")).to.throw(RangeError);
        expect(cache.getString("k")).to.equal("v");
      } finally {
        cache.close();
      }
    });
  });
});
