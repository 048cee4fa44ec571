// A worker of a shared in-process cache terminated in the middle of a call (host/cache.ts,
// "Lifetime"): an application can terminate its workers whenever it likes, and one inside the
// core holds what it held. Made certain, not left to timing: the worker's lookup of a `stats
// detail` prefix is made to loop while it holds the prefix lock (test/helpers/traps.ts
// PrefixLoop), the worker is terminated there, and the main thread's next lookup waits on that
// lock. The wait traps after LOCK_STALE_MS; the recovery finds the dead worker still "inside",
// counts it gone after as long again, checks the cache and releases every lock. Then workers
// terminated at whatever moment of a busy load, which may hold no lock yet have a change half
// made: the lease holder's watchdog finds them.
import { Worker } from "node:worker_threads";
import { expect } from "chai";
import { Cache } from "../../host/index.js";
import type { Engine } from "../../host/wasm_engine.js";
import { Setting } from "../../assembly/abi/settings.js";
import { Registry } from "../../host/sharing/registry.js";
import { SharedHost } from "../../host/threads/shared_host.js";
import { PrefixLoop, GlobalLock, globalLockState, recoveryRaised } from "../helpers/traps.js";
import { engineOf } from "./load.js";

const MAIN_CONN = 1;
const WORKER_CONN = 2;
// The worker's thread block (the main thread has 0): lock words name their owner as block + 1.
const WORKER_BLOCK = 1;
const LOCK_STALE_MS = 2000;
// Stale for 2 s at a lease check (every second), then 2 s more for it to come out.
const DEAD_FOUND_MS = 15_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One command through the core's text protocol on connection `id`; the reply. */
function command(engine: Engine, id: number, text: string): string {
  const bytes = encoder.encode(text);
  engine.memory().set(bytes, engine.inAddr);
  engine.process(id, bytes.length);
  return decoder.decode(engine.memory().subarray(engine.outAddr, engine.outAddr + engine.outLength()));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sharing: a worker terminated inside a call", () => {
  it("leaves a lock held until the next thread to wait on it counts the worker gone; then the cache goes on", async function () {
    this.timeout(30_000);
    const cache = await Cache.create({ threads: 2 });
    const engine = engineOf(cache);
    const handle = cache.share();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => { warnings.push(args.join(" ")); };
    try {
      cache.set("kept", "value");
      engine.connOpen(MAIN_CONN);
      engine.setSetting(Setting.DETAIL_ENABLED, 1);
      expect(command(engine, MAIN_CONN, "get p:first\r\n")).to.equal("END\r\n");
      const loop = PrefixLoop.arm(engine, "p");
      const worker = new Worker(`
        const { workerData } = require("node:worker_threads");
        import(${JSON.stringify(new URL("../../host/index.js", import.meta.url).href)}).then(async ({ Cache }) => {
          const engine = (await Cache.attach(workerData)).engine;
          engine.connOpen(${WORKER_CONN});
          const bytes = new TextEncoder().encode("get p:looping\\r\\n");
          engine.memory().set(bytes, engine.inAddr);
          engine.process(${WORKER_CONN}, bytes.length);
        });`, { eval: true, workerData: handle });
      const deadline = Date.now() + 10_000;
      while (globalLockState(engine, GlobalLock.PREFIXES).owner !== WORKER_BLOCK + 1) {
        if (Date.now() > deadline) throw new Error("the worker never took the prefix lock");
        await sleep(10);
      }
      await worker.terminate();
      loop.restore();
      expect(globalLockState(engine, GlobalLock.PREFIXES).owner).to.equal(WORKER_BLOCK + 1);

      const started = Date.now();
      expect(() => command(engine, MAIN_CONN, "get p:second\r\n")).to.throw();
      expect(Date.now() - started).to.be.at.least(LOCK_STALE_MS - 100);
      expect(engine.recover(true).outcome).to.equal("intact");

      expect(warnings.join("\n")).to.match(/block 1\) stopped inside a call and is counted gone/);
      expect(globalLockState(engine, GlobalLock.PREFIXES).owner).to.equal(0);
      expect(recoveryRaised(engine)).to.equal(false);
      expect(command(engine, MAIN_CONN, "get p:third\r\n")).to.equal("END\r\n");
      expect(cache.getString("kept")).to.equal("value");
      expect(cache.set("after", "1")).to.equal(true);
      engine.checkInvariants();
      // Its place is not handed out again (a thread counted gone might yet come back out).
      const registry = new Registry(handle.registry);
      expect(registry.attached()).to.equal(1);
      let message = "";
      await Cache.attach(handle).catch((err: Error) => { message = err.message; });
      expect(message).to.match(/all 2 threads of this cache are in use/);
    } finally {
      console.warn = warn;
      cache.close();
    }
  });

  it("a worker terminated at any moment of a busy load: the others' calls all complete and the cache stays whole", async function () {
    this.timeout(120_000);
    const ROUNDS = 6;
    const cache = await Cache.create({ threads: ROUNDS + 1, memoryLimitMb: 8 });
    const warn = console.warn;
    console.warn = () => {};
    try {
      const handle = cache.share();
      // Each round's worker takes the next block: terminated, it never gives its own back.
      const host = new SharedHost(handle.recovery, 0);
      cache.set("n", "0");
      for (let round = 0; round < ROUNDS; round++) {
        const worker = new Worker(`
          const { workerData, parentPort } = require("node:worker_threads");
          import(${JSON.stringify(new URL("../../host/index.js", import.meta.url).href)}).then(async ({ Cache }) => {
            const cache = await Cache.attach(workerData);
            const big = "x".repeat(200000);
            parentPort.postMessage("busy");
            for (let i = 0; ; i++) {
              cache.set("big" + (i % 8), big);
              cache.incr("n", 1);
              cache.get("big" + ((i + 3) % 8));
            }
          });`, { eval: true, workerData: handle });
        await new Promise((r) => worker.once("message", r));
        await sleep(20 + round * 15);
        await worker.terminate();
        // Every call from here completes: at worst one fails, saying what the recovery found.
        for (let i = 0; i < 50; i++) {
          try {
            cache.set(`big${i % 8}`, "small");
            // A worker terminated half-way through a change leaves the cache broken, and the
            // recovery resets it: the counter may be gone.
            if (cache.incr("n", 1) === undefined) cache.add("n", "1");
          } catch (err) {
            expect((err as Error).message).to.match(/failed inside the core .*; the cache (was checked and is whole|was reset)/);
          }
        }
        // A worker that died inside a call holding no lock is found by the lease holder's
        // watchdog (sharing/watchdog.ts) within a few seconds; its recovery then runs.
        const deadline = Date.now() + DEAD_FOUND_MS;
        while (Atomics.load(host.i32, host.insideIndex(round + 1)) !== 0) {
          if (Date.now() > deadline) throw new Error(`the worker of round ${round} was never found dead inside its call`);
          await sleep(50);
        }
        engineOf(cache).checkInvariants();
      }
      expect(cache.set("after", "1")).to.equal(true);
      expect(cache.getString("after")).to.equal("1");
    } finally {
      console.warn = warn;
      cache.close();
    }
  });
});
