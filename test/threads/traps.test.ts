// Traps with worker threads (host/threads/recovery.ts, host/README.md "Traps"), at -t 4 on the
// checked core: a thread traps while others are busy — waiting on a lock it held, in the middle
// of their own calls, idle, halfway through a command — and nobody deadlocks. The trapped
// thread's connection is closed; every other client is served or, if its call was stopped or
// the cache reset under it, closed or re-opened as on one thread; the server serves on every
// worker afterwards, with whole structures and sane stats.
//
// Waiting is made certain, not left to timing: a `stats detail` lookup is made to loop on its
// table while it holds the prefix lock (test/helpers/traps.ts PrefixLoop), so the other
// workers' text commands queue on that lock (its word shows a sleeper), and then to read
// outside memory: a real trap, holding the lock they wait on. The last test instead traps one
// delete on a broken LRU link, repeatedly, amid a mixed load on every worker.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { TestServer, roundTrip } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import {
  StderrCatcher, GlobalLock, globalLockState, PrefixLoop, breakLruLink, recoveryRaised,
} from "../helpers/traps.js";
import { TextClient, MetaClient, BinaryClient, type CacheClient } from "../helpers/cache-clients.js";
import { Rng } from "../helpers/rng.js";
import { fuzzSeed } from "../helpers/fuzz-config.js";
import { MixedLoad, type LoadShape } from "./mixed-load.js";
import { until, placeClients, type Placed } from "./server-state.js";

const THREADS = 4;
const SEED = fuzzSeed("threads: traps");
// Thread blocks: 0 the control thread, then the workers (host/threads/control.ts); a lock word
// names its owner's block + 1.
const lockOwner = (worker: number) => worker + 2;

// A trap report's parts (host/trap_report.ts).
const KEPT = /; invariants hold \(checked in \d+\.\d ms\): cache kept; \d+ closed$/;
const RESET = /; invariants broken \((.+)\): cache reset in \d+\.\d ms; \d+ connections re-opened; \d+ closed$/;
const OTHER_THREAD = "another thread trapped and the cache was reset";
const OUT_OF_BOUNDS = "RuntimeError: memory access out of bounds";
const STOPPED = "RuntimeError: unreachable";

function reportFor(lines: string[], p: Placed): string | undefined {
  return lines.find((l) => l.includes(` serving ${p.peer}: `));
}

// What a client sees when the server closes its connection under a request: EOF or a reset
// while reading, or a write after the server's FIN.
function closedUnder(err: unknown): boolean {
  return err instanceof Error && /^connection (closed|failed)|ended by the other party|EPIPE|ECONNRESET/.test(err.message);
}

// A request's reply, or "closed" if the server closed the connection instead.
function replyOrClosed(c: SocketClient, request: string, terminator: string): Promise<string> {
  return c.request(request, terminator).catch((err: unknown) => {
    if (closedUnder(err)) return "closed";
    throw err;
  });
}

const VALUE = "VALUE kept 0 4\r\ndata\r\nEND\r\n";

// Every worker serves a fresh connection: `get` answers `want` on each.
async function everyWorkerServes(srv: TestServer, get: string, want: string): Promise<void> {
  const fresh = await placeClients(srv, 1);
  for (const [{ client }] of fresh) expect(await roundTrip(client, get)).to.equal(want);
}

// What the stats say after the traps: the items stored since, every thread, every open connection.
async function expectSaneStats(srv: TestServer, c: SocketClient, items: number): Promise<void> {
  const s = await stats(c);
  expect(s.get("curr_items")).to.equal(String(items));
  expect(s.get("threads")).to.equal(String(THREADS));
  const open = srv.server.connectionsPerWorker!().reduce((a, b) => a + b, 0);
  expect(s.get("curr_connections")).to.equal(String(open));
}

describe("threads: traps while other threads work (-t 4, checked core)", function () {
  this.timeout(60_000);
  let srv: TestServer;
  let stderr: StderrCatcher;
  let pool: Placed[][];
  let loop: PrefixLoop | undefined;

  beforeEach(async () => {
    stderr = new StderrCatcher();
    // No maintainer or crawler: nothing but the tests' own requests walks a broken link.
    srv = await TestServer.start({ threads: THREADS, lruMaintainer: false, lruCrawler: false }, undefined, "debug");
    pool = await placeClients(srv, 3);
    loop = undefined;
  });
  afterEach(async () => {
    // A loop left armed would keep its worker inside the core, and the server from closing.
    loop?.spring();
    stderr.restore();
    await srv.close();
  });

  // Worker 0's culprit loops holding the prefix lock; returns once it does.
  async function loopHoldingThePrefixLock(): Promise<Placed> {
    const culprit = pool[0][0];
    expect(await roundTrip(culprit.client, "stats detail on\r\nget trapprefix:first\r\n")).to.equal("OK\r\nEND\r\n");
    loop = PrefixLoop.arm(srv.server.engine, "trapprefix");
    await culprit.client.send("get trapprefix:loops\r\n");
    await until("the culprit to hold the prefix lock", () => globalLockState(srv.server.engine, GlobalLock.PREFIXES).owner === lockOwner(0));
    return culprit;
  }

  it("a trap that leaves every structure whole, while threads wait on the lock it held: the cache is kept, nobody deadlocks", async () => {
    const engine = srv.server.engine;
    expect(await roundTrip(pool[3][1].client, "set kept 0 0 4\r\ndata\r\n")).to.equal("STORED\r\n");
    const culprit = await loopHoldingThePrefixLock();

    // Workers 1 and 2 each take a get that waits on the lock; worker 0's queues behind its loop.
    const waiters = [pool[1][0], pool[2][0]];
    const waiting = waiters.map((w) => replyOrClosed(w.client, "get kept\r\n", "END\r\n"));
    const queued = pool[0][1].client.request("get kept\r\n", "END\r\n");
    await until("a waiter to sleep on the prefix lock", () => globalLockState(engine, GlobalLock.PREFIXES).waiters);
    // Worker 3 serves meta commands (no prefix lock) throughout, the recovery included.
    let served = 0;
    let hammering = true;
    const meta = new MetaClient(pool[3][0].client);
    const hammer = (async () => {
      while (hammering) {
        expect(await meta.get("kept")).to.deep.equal({ value: "data", cas: 0n });
        served++;
      }
    })();
    await until("worker 3 to serve while worker 0 is stuck", () => served > 10);

    loop!.spring();
    expect(await culprit.client.waitClosed()).to.equal("");
    const outcomes = await Promise.all(waiting);
    for (const o of outcomes) expect(o, "a waiter is served or closed").to.be.oneOf([VALUE, "closed"]);
    expect(await queued, "queued behind the culprit on its worker").to.equal(VALUE);
    hammering = false;
    await hammer;
    loop!.restore();
    loop = undefined;

    // One report per trapped call: the culprit's, and each waiter's whose call was stopped.
    const stopped = waiters.filter((_, i) => outcomes[i] === "closed");
    await until("every trap report", () => stderr.lines().length === 1 + stopped.length, 10_000, () => stderr.lines().join("\n"));
    const lines = stderr.lines();
    expect(reportFor(lines, culprit)).to.include(`${OUT_OF_BOUNDS}; input "get trapprefix:loops\\r\\n"`).and.match(KEPT);
    for (const w of stopped) expect(reportFor(lines, w)).to.include(`${STOPPED}; input "get kept\\r\\n"`).and.match(KEPT);

    await everyWorkerServes(srv, "get kept\r\n", VALUE);
    engine.checkInvariants();
    await expectSaneStats(srv, pool[3][1].client, 1);
    expect(await roundTrip(pool[3][1].client, "stats detail dump\r\n")).to.match(/^PREFIX trapprefix get \d+ hit 0 set 0 del 0\r\nEND\r\n$/);
  });

  it("a trap that breaks an LRU while threads wait, and a second trap during its recovery: one reset, every connection reconciled", async () => {
    const engine = srv.server.engine;
    expect(await roundTrip(pool[1][1].client, "set victim 0 0 5\r\nhello\r\nset other 0 0 5\r\nworld\r\n")).to.equal("STORED\r\nSTORED\r\n");
    // Halfway through a command (re-opened after the reset, its line parsed afresh), and
    // discarding a refused value (closed: the count lived in the cache).
    const midLine = pool[2][1].client;
    await midLine.send("get oth");
    // One on the worker that resets, one on a worker that learns of it afterwards.
    const swallowing = [pool[1][1].client, pool[3][2].client];
    for (const c of swallowing) await c.send(`set big 0 0 ${2 * 1024 * 1024}\r\n${"b".repeat(1000)}`);
    const culprit = await loopHoldingThePrefixLock();
    const waiters = [pool[2][0], pool[3][0]];
    const waiting = waiters.map((w) => replyOrClosed(w.client, "get other\r\n", "END\r\n"));
    await until("a waiter to sleep on the prefix lock", () => globalLockState(engine, GlobalLock.PREFIXES).waiters);

    // Worker 1 traps on the broken link (md records no prefix: it does not wait on the lock).
    const breaker = pool[1][0];
    breakLruLink(engine, "victim");
    await breaker.client.send("md victim\r\n");
    await until("the breaker's trap to stop the others", () => recoveryRaised(engine));
    // The recovery waits for the looping culprit to leave the core: it traps too.
    loop!.spring();
    expect(await breaker.client.waitClosed()).to.equal("");
    expect(await culprit.client.waitClosed()).to.equal("");
    for (const c of swallowing) expect(await c.waitClosed()).to.equal("");
    for (const o of await Promise.all(waiting)) expect(o, "a waiter, stopped mid-command").to.equal("closed");
    await until("the recovery to end", () => !recoveryRaised(engine));
    loop = undefined; // the reset cleared the prefix table

    await until("every trap report", () => stderr.lines().length === 2 + waiters.length, 10_000, () => stderr.lines().join("\n"));
    const lines = stderr.lines();
    const all = lines.join("\n");
    const breakerReport = reportFor(lines, breaker);
    expect(breakerReport, all).to.include(`${OUT_OF_BOUNDS}; input "md victim\\r\\n"`).and.match(RESET);
    expect(RESET.exec(breakerReport!)![1]).to.match(/^the check trapped: /);
    expect(reportFor(lines, culprit), all).to.include(`${OUT_OF_BOUNDS}; input "get trapprefix:loops\\r\\n"; invariants broken (${OTHER_THREAD})`);
    for (const w of waiters) expect(reportFor(lines, w), all).to.include(`${STOPPED}; input "get other\\r\\n"; invariants broken (${OTHER_THREAD})`);

    // Every other connection stood between two commands: re-opened on a blank record.
    await midLine.send("er\r\n");
    expect(await midLine.readUntilText("END\r\n")).to.equal("END\r\n");
    const idle = [pool[0][1], pool[3][1], pool[0][2], pool[1][2], pool[2][2]];
    for (const { client } of idle) {
      expect(await roundTrip(client, "get victim other\r\n")).to.equal("END\r\n");
    }
    expect(await roundTrip(pool[3][1].client, "set after 0 0 1\r\na\r\n")).to.equal("STORED\r\n");
    await everyWorkerServes(srv, "get after\r\n", "VALUE after 0 1\r\na\r\nEND\r\n");
    engine.checkInvariants();
    await expectSaneStats(srv, pool[3][1].client, 1);
  });

  it("traps on a broken link amid a mixed load on every worker: each client is served or closed, none hangs", async () => {
    const rounds = 3;
    const protocols = [TextClient, MetaClient, BinaryClient];
    const loaders = pool.flatMap((cs) => cs.slice(1)).map((p, i) => ({ ...p, speaker: new protocols[i % protocols.length](p.client) as CacheClient }));
    let stop = false;
    const loads = loaders.map(async ({ speaker }, id) => {
      const load = new MixedLoad(speaker, id, new Rng(SEED + id), LOAD);
      try {
        while (!stop) await load.step();
      } catch (err) {
        // Stopped mid-command by a trap: closed, as on one thread. Anything else fails.
        if (!closedUnder(err)) throw err;
      }
      return load.tally.ops;
    });
    for (let round = 0; round < rounds; round++) {
      // A value size no loader uses: the victim is alone in its LRU, so no other change
      // touches the link about to break. A key of its own each round: a reset leaves the
      // earlier victims' bytes in pages not yet taken again, headers and all.
      const culprit = pool[round % THREADS][0];
      const victim = `victim${round}`;
      expect(await roundTrip(culprit.client, `set ${victim} 0 0 ${VICTIM_SIZE}\r\n${"v".repeat(VICTIM_SIZE)}\r\n`)).to.equal("STORED\r\n");
      breakLruLink(srv.server.engine, victim);
      await culprit.client.send(`delete ${victim}\r\n`);
      expect(await culprit.client.waitClosed()).to.equal("");
      await until(`round ${round}'s report`, () => reportFor(stderr.lines(), culprit) !== undefined);
    }
    stop = true;
    const ops = await Promise.all(loads);
    expect(ops.reduce((a, b) => a + b, 0), "the load ran").to.be.above(0);

    const lines = stderr.lines();
    const culprits = lines.filter((l) => /input "delete victim\d+\\r\\n"/.test(l));
    expect(culprits, lines.join("\n")).to.have.length(rounds);
    for (const r of culprits) expect(r).to.include(OUT_OF_BOUNDS).and.match(RESET);
    // Any other report is a call another thread's trap stopped, told the cache was reset.
    for (const r of lines.filter((l) => !culprits.includes(l))) expect(r).to.include(OTHER_THREAD);
    await everyWorkerServes(srv, "get victim\r\n", "END\r\n");
    srv.server.engine.checkInvariants();
  });
});

const VICTIM_SIZE = 5000;
const LOAD: LoadShape = { sharedKeys: 200, counters: 4, ownedKeys: 20, ownedSize: 300, mayEvict: true, sizes: [10, 90, 700, 3000] };

// -Y on worker threads: the login lives in the shared core, so a reset ends every login; the
// credentials' bytes carry over only if they are still the file's (any thread may be the one
// that resets, so every thread knows the file's checksum).
describe("threads: a reset with logins (-Y, -t 4, checked core)", function () {
  this.timeout(60_000);
  const LOGIN = "set auth 0 0 9\r\nuser pass\r\n";
  const DAMAGED_LOGIN = "set auth 0 0 9\r\nuser Pass\r\n";
  const FAILED = "CLIENT_ERROR authentication failure\r\n";
  const MAX_TRIES = 20;
  let dir: string;
  let srv: TestServer;
  let stderr: StderrCatcher;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-thread-traps-"));
    writeFileSync(join(dir, "auth"), "user:pass\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    stderr = new StderrCatcher();
    srv = await TestServer.start({
      threads: THREADS, authFile: join(dir, "auth"), bindingProtocol: "ascii", lruMaintainer: false, lruCrawler: false,
    }, undefined, "debug");
  });
  afterEach(async () => {
    stderr.restore();
    await srv.close();
  });

  // A logged-in client on every worker; worker 1's traps on a broken link and resets.
  async function resetByTrap(damage: () => void): Promise<Placed[]> {
    const pool = await placeClients(srv, 1);
    for (const [{ client }] of pool) expect(await client.request(LOGIN)).to.equal("STORED\r\n");
    const culprit = pool[1][0].client;
    expect(await culprit.request("set victim 0 0 1\r\nv\r\n")).to.equal("STORED\r\n");
    damage();
    breakLruLink(srv.server.engine, "victim");
    await culprit.send("delete victim\r\n");
    expect(await culprit.waitClosed()).to.equal("");
    await until("the trap report", () => stderr.lines().length > 0);
    return pool.map(([p]) => p).filter((p) => p.worker !== 1);
  }

  it("closes every logged-in client, each at its worker's next call; new connections log in on every worker", async () => {
    const others = await resetByTrap(() => {});
    expect(stderr.lines()[0]).to.match(RESET).and.not.include("credentials");
    const [last, ...rest] = others.reverse();
    for (const { client } of rest) expect(await replyOrClosed(client, "get victim\r\n", "END\r\n")).to.equal("closed");
    // Worker `last` has not looked since the reset: the connection it takes next makes it
    // look, which closes its logged-in client, and then opens blank (not closed with it).
    for (let tries = 0; !last.client.serverEnded; tries++) {
      expect(tries, "a new connection reaching the worker that has not looked").to.be.below(MAX_TRIES);
      const fresh = await srv.connect();
      expect(await fresh.request(LOGIN)).to.equal("STORED\r\n");
      fresh.destroy();
    }
    expect(await last.client.waitClosed()).to.equal("");
    await until("the fresh connections to be let go", () => srv.server.connectionsPerWorker!().every((n) => n === 0));
    for (const [{ client }] of await placeClients(srv, 1)) {
      expect(await client.request(LOGIN)).to.equal("STORED\r\n");
      expect(await roundTrip(client, "get victim\r\n")).to.equal("END\r\n");
    }
  });

  it("damaged credentials are not carried over, whichever thread resets: every login fails on every worker", async () => {
    const others = await resetByTrap(() => {
      const mem = Buffer.from(srv.server.engine.memory().buffer);
      mem[mem.indexOf("user:pass", 0, "latin1") + "user:".length] = "P".charCodeAt(0);
    });
    expect(stderr.lines()[0]).to.include("the credentials were damaged: every login fails until a restart");
    for (const { client } of others) expect(await replyOrClosed(client, "get victim\r\n", "END\r\n")).to.equal("closed");
    await until("the closed connections to be let go", () => srv.server.connectionsPerWorker!().every((n) => n === 0));
    for (const [{ client }] of await placeClients(srv, 1)) {
      expect(await client.request(LOGIN)).to.equal(FAILED);
      expect(await client.request(DAMAGED_LOGIN)).to.equal(FAILED);
    }
  });
});
