// Warm restarts over real sockets (-e and SIGUSR1): a server's items come back in the next
// one, on one thread and on the default four, and from each runtime's file under each runtime.
import { expect } from "chai";
import { startWasmcached, startWasmcachedOn, RUNTIMES, type RuntimeName, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { entries, EXPIRING, SHORT_TTL, fill, fetch, snapshot, gracefulStop, imageDir, type Entry, type Fetched } from "./contents.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MS = 1000;

function expectSame(after: Map<string, Fetched | undefined>, before: Map<string, Fetched | undefined>, list: Entry[]): void {
  for (const e of list) {
    const got = after.get(e.key);
    expect(got, e.key).to.not.equal(undefined);
    expect(got!.value.equals(e.value), `${e.key}'s value`).to.equal(true);
    expect(got!.flags, `${e.key}'s flags`).to.equal(e.flags);
    expect(got!.cas, `${e.key}'s CAS`).to.equal(before.get(e.key)!.cas);
  }
}

async function withClient<T>(server: RunningServer, fn: (c: SocketClient) => Promise<T>): Promise<T> {
  const c = await SocketClient.connect(server.port);
  try {
    return await fn(c);
  } finally {
    c.socket.destroy();
  }
}

describe("warm restart over sockets (-e, SIGUSR1)", function () {
  this.timeout(240_000);

  for (const threads of ["1", "4"]) {
    it(`-t ${threads}: values of every size class, chunked ones, flags and CAS come back; an item that expired meanwhile does not`, async () => {
      const { file, cleanup } = imageDir();
      const list = entries();
      try {
        const first = await startWasmcached(["-t", threads, "-e", file]);
        await fill(first.port, [...list, EXPIRING]);
        const expiresAt = Date.now() + SHORT_TTL * MS;
        const before = await snapshot(first.port, list.map((e) => e.key));
        expect(await gracefulStop(first)).to.equal(0);
        expect(first.stderr()).to.include("Gracefully stopping\n");
        await sleep(Math.max(0, expiresAt - Date.now() + MS));
        const second = await startWasmcached(["-t", threads, "-e", file]);
        try {
          expect(second.stderr()).to.not.include("[restart]");
          expectSame(await snapshot(second.port, list.map((e) => e.key)), before, list);
          await withClient(second, async (c) => {
            expect(await fetch(c, EXPIRING.key)).to.equal(undefined);
            const s = await stats(c);
            // memcached counts every item it links back in; the expired one may have been
            // reclaimed before the save, or counted and then found dead by the get above.
            expect(Number(s.get("total_items"))).to.be.oneOf([list.length, list.length + 1]);
            expect(Number(s.get("curr_items"))).to.equal(list.length);
          });
        } finally {
          await second.stop();
        }
      } finally {
        cleanup();
      }
    });
  }

  it("a delayed flush_all scheduled before the restart still happens after it, on time", async () => {
    const { file, cleanup } = imageDir();
    const delay = 8;
    try {
      const first = await startWasmcached(["-t", "1", "-e", file]);
      await fill(first.port, [{ key: "doomed", value: Buffer.from("x"), flags: 0, ttl: 0 }]);
      const flushAt = Date.now() + delay * MS;
      await withClient(first, async (c) => expect(await c.request(`flush_all ${delay}\r\n`)).to.equal("OK\r\n"));
      expect(await gracefulStop(first)).to.equal(0);
      const second = await startWasmcached(["-t", "1", "-e", file]);
      try {
        await withClient(second, async (c) => {
          // Whole seconds on both sides: only a restart that left ample time is asked for the item.
          if (Date.now() < flushAt - 2 * MS) expect(await fetch(c, "doomed")).to.not.equal(undefined);
          await sleep(Math.max(0, flushAt - Date.now() + 2 * MS));
          expect(await fetch(c, "doomed")).to.equal(undefined);
        });
      } finally {
        await second.stop();
      }
    } finally {
      cleanup();
    }
  });

  it("`shutdown graceful` (with -A) saves the cache as SIGUSR1 does, and `stats settings` names the file", async () => {
    const { file, cleanup } = imageDir();
    try {
      const first = await startWasmcached(["-t", "1", "-A", "-e", file]);
      await fill(first.port, [{ key: "kept", value: Buffer.from("yes"), flags: 3, ttl: 0 }]);
      await withClient(first, async (c) => {
        expect((await stats(c, "settings")).get("memory_file")).to.equal(file);
        await c.send("shutdown graceful\r\n");
      });
      expect(await first.exited).to.equal(0);
      expect(first.stderr()).to.include("Gracefully stopping\n");
      const second = await startWasmcached(["-t", "1", "-A", "-e", file]);
      try {
        await withClient(second, async (c) => expect((await fetch(c, "kept"))?.value.toString()).to.equal("yes"));
      } finally {
        await second.stop();
      }
    } finally {
      cleanup();
    }
  });

  it("keeps each item's place in its LRU (stats cachedump order, flat LRU)", async () => {
    const { file, cleanup } = imageDir();
    const args = ["-t", "1", "-o", "no_lru_maintainer,no_lru_crawler", "-e", file];
    const list = Array.from({ length: 50 }, (_, i) => ({ key: `lru-${i}`, value: Buffer.from(`v${i}`), flags: 0, ttl: 0 }));
    try {
      const first = await startWasmcached(args);
      await fill(first.port, list);
      await withClient(first, async (c) => { await fetch(c, "lru-10"); await fetch(c, "lru-3"); });
      const dump = (s: RunningServer) => withClient(s, (c) => c.request("stats cachedump 1 0\r\n", "END\r\n"));
      const order = await dump(first);
      expect(await gracefulStop(first)).to.equal(0);
      const second = await startWasmcached(args);
      try {
        expect(await dump(second)).to.equal(order);
      } finally {
        await second.stop();
      }
    } finally {
      cleanup();
    }
  });

  // Every ordered pair of runtimes, self included, in one chain of restarts: each server adopts
  // the last one's file, checks everything stored so far, adds an item and saves in turn.
  const CHAIN: RuntimeName[] = ["node", "node", "deno", "deno", "bun", "bun", "node", "bun", "deno", "node"];

  it(`a file saved under any runtime restores under any other (${CHAIN.join(" → ")})`, async () => {
    expect(new Set(CHAIN.slice(1).map((to, i) => `${CHAIN[i]}>${to}`)).size).to.equal(RUNTIMES.length ** 2);
    const { file, cleanup } = imageDir();
    const stored = entries(100_000);
    try {
      let server = await startWasmcachedOn(CHAIN[0], ["-t", "2", "-e", file]);
      await fill(server.port, stored);
      let before = await snapshot(server.port, stored.map((e) => e.key));
      for (const [hop, runtime] of CHAIN.slice(1).entries()) {
        expect(await gracefulStop(server), `${CHAIN[hop]} saving`).to.equal(0);
        server = await startWasmcachedOn(runtime, ["-t", "2", "-e", file]);
        expect(server.stderr(), `${CHAIN[hop]} → ${runtime}`).to.not.include("[restart]");
        expectSame(await snapshot(server.port, stored.map((e) => e.key)), before, stored);
        const added = { key: `from-${hop}-${runtime}`, value: Buffer.from(runtime), flags: hop, ttl: 0 };
        await fill(server.port, [added]);
        stored.push(added);
        before = await snapshot(server.port, stored.map((e) => e.key));
      }
      await server.stop();
    } finally {
      cleanup();
    }
  });
});
