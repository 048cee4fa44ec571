// Worker threads over one shared core (-t 4), hammered by many clients at once, on the checked
// core (its lock-rank and lock-held assertions trap on misuse, and a trap closes a client).
// Every value checks itself; arithmetic, CAS and add races have exactly one right outcome; the
// invariant checker walks everything at the end (with every lock held: locks/locks.ts
// worldLock). Small memory, a small hash table and varied sizes make evictions, slab page moves
// and hash table expansion run under the load.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { TestServer } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { StderrCatcher } from "../helpers/traps.js";

const THREADS = 4;
const CLIENTS = 16;
const KEYS = 3000;
// Sizes across many slab classes, one chunked (above the 512 KiB slab chunk maximum).
const SIZES = [10, 90, 700, 3000, 20_000, 600_000];
const MIX_OPS = 600;
// Enough small items to grow the 2^13-bucket table (past 1.5 items per bucket) mid-run.
const HASHPOWER = 13;
const FILL_PER_CLIENT = 1000;
const COUNTERS = 4;
const INCRS_PER_CLIENT = 150;
const CAS_ROUNDS = 60;
const APPENDS_PER_CLIENT = 40;

// A value names its key and carries its own digest: whatever a get returns must verify.
function value(key: string, writer: number, seq: number, size: number): string {
  const head = `${key}|${writer}|${seq}|`;
  const body = "x".repeat(Math.max(0, size - head.length - 16)) + String(seq % 10);
  return head + body + digest(head + body);
}

function digest(s: string): string {
  return createHash("sha1").update(s, "latin1").digest("hex").slice(0, 16);
}

function verify(key: string, v: string): void {
  const body = v.slice(0, -16);
  expect(body.startsWith(`${key}|`), `value of ${key} names its key`).to.equal(true);
  expect(digest(body), `value of ${key} is whole`).to.equal(v.slice(-16));
}

// One reply to a get: the value, or undefined on a miss.
async function get(c: SocketClient, key: string): Promise<string | undefined> {
  await c.send(`get ${key}\r\n`);
  const line = await c.readLine();
  if (line === "END\r\n") return undefined;
  const m = /^VALUE (\S+) 0 (\d+)\r\n$/.exec(line);
  if (!m || m[1] !== key) throw new Error(`bad VALUE line for ${key}: ${JSON.stringify(line)}`);
  const data = (await c.readBytes(Number(m[2]) + 2)).toString("latin1");
  expect(await c.readLine()).to.equal("END\r\n");
  return data.slice(0, -2);
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

// Pipelined small sets, checked afterwards like any other value.
async function fill(c: SocketClient, id: number): Promise<void> {
  const sets: string[] = [];
  for (let i = 0; i < FILL_PER_CLIENT; i++) {
    const key = `f${id}-${i}`;
    const v = value(key, id, i, 40);
    sets.push(`set ${key} 0 0 ${v.length} noreply\r\n${v}\r\n`);
  }
  expect(await c.request(sets.join("") + "version\r\n")).to.match(/^VERSION /);
  for (let i = 0; i < FILL_PER_CLIENT; i += 97) {
    const v = await get(c, `f${id}-${i}`);
    if (v !== undefined) verify(`f${id}-${i}`, v);
  }
}

async function mix(c: SocketClient, id: number): Promise<void> {
  const r = rng(id * 7919 + 1);
  for (let seq = 0; seq < MIX_OPS; seq++) {
    const key = `k${Math.floor(r() * KEYS)}`;
    const op = r();
    if (op < 0.45) {
      const v = await get(c, key);
      if (v !== undefined) verify(key, v);
    } else if (op < 0.85) {
      const v = value(key, id, seq, SIZES[Math.floor(r() * r() * SIZES.length)]);
      // Memory is small: a large value may find no room (SERVER_ERROR), never a wrong answer.
      expect(await c.request(`set ${key} 0 0 ${v.length}\r\n${v}\r\n`)).to.match(/^(STORED|SERVER_ERROR out of memory storing object)\r\n$/);
    } else if (op < 0.95) {
      expect(await c.request(`delete ${key}\r\n`)).to.match(/^(DELETED|NOT_FOUND)\r\n$/);
    } else {
      expect(await c.request(`touch ${key} 1000\r\n`)).to.match(/^(TOUCHED|NOT_FOUND)\r\n$/);
    }
  }
}

async function incrs(c: SocketClient, id: number): Promise<number[]> {
  const added = new Array<number>(COUNTERS).fill(0);
  for (let i = 0; i < INCRS_PER_CLIENT; i++) {
    const j = (id + i) % COUNTERS;
    const delta = 1 + ((id * 31 + i) % 7);
    const r = await c.request(`incr ctr${j} ${delta}\r\n`);
    if (r === "NOT_FOUND\r\n") { const s = await stats(c); console.log([...s].filter(([k]) => /evict|reassign|moves|expired|reclaimed|curr_items|hash/.test(k)).map(x=>x.join("=")).join(" ")); }
    expect(r).to.match(/^\d+\r\n$/);
    added[j] += delta;
  }
  return added;
}

async function gets(c: SocketClient, key: string): Promise<string> {
  const reply = await c.request(`gets ${key}\r\n`, "END\r\n");
  const m = /^VALUE \S+ 0 \d+ (\d+)\r\n/.exec(reply);
  if (!m) throw new Error(`no value for ${key}: ${JSON.stringify(reply)}`);
  return m[1];
}

describe("threads: many clients on -t 4 (checked core)", function () {
  this.timeout(180_000);
  let srv: TestServer;
  let clients: SocketClient[];
  let stderr: StderrCatcher;

  before(async () => {
    stderr = new StderrCatcher();
    srv = await TestServer.start({
      threads: THREADS, memoryLimitMb: 24, hashpower: HASHPOWER, slabReassign: true, slabAutomove: 2,
    }, undefined, "debug");
    clients = await Promise.all(Array.from({ length: CLIENTS }, () => srv.connect()));
  });
  after(async () => {
    stderr.restore();
    await srv.close();
  });
  afterEach(function () {
    // A failed assertion or lock check in the core traps and shows here first.
    expect(stderr.lines().filter((l) => l.includes("trap")), "trap reports").to.deep.equal([]);
  });

  it("the clients' connections are spread over every worker", () => {
    const perWorker = srv.server.connectionsPerWorker!();
    expect(perWorker).to.have.length(THREADS);
    expect(perWorker.reduce((a, b) => a + b)).to.equal(CLIENTS);
    // Each worker takes one while it serves fewer than the others (host/threads/worker.ts).
    expect(Math.max(...perWorker) - Math.min(...perWorker), perWorker.join(" ")).to.be.at.most(2);
  });

  it("self-checking values survive sets, gets, deletes and touches from every client at once", async () => {
    await Promise.all(clients.map(async (c, id) => {
      await fill(c, id);
      await mix(c, id);
    }));
    const s = await stats(clients[0]);
    expect(Number(s.get("threads"))).to.equal(THREADS);
    // The small table grew while the clients ran.
    expect(Number(s.get("hash_power_level"))).to.be.above(HASHPOWER);
    expect(Number(s.get("evictions"))).to.be.above(0);
  });

  it("every acknowledged incr counts: each counter ends at the sum of its deltas", async () => {
    for (let j = 0; j < COUNTERS; j++) expect(await clients[0].request(`set ctr${j} 0 0 1\r\n0\r\n`)).to.equal("STORED\r\n");
    const added = await Promise.all(clients.map((c, id) => incrs(c, id)));
    for (let j = 0; j < COUNTERS; j++) {
      const want = added.reduce((sum, a) => sum + a[j], 0);
      expect((await get(clients[0], `ctr${j}`))?.trim(), `ctr${j}`).to.equal(String(want));
    }
  });

  it("one cas wins each round, and an add of a missing key stores once", async () => {
    for (let round = 0; round < CAS_ROUNDS; round++) {
      const key = `race${round}`;
      expect(await clients[0].request(`set ${key} 0 0 1\r\n-\r\n`)).to.equal("STORED\r\n");
      const uniques = await Promise.all(clients.map((c) => gets(c, key)));
      const replies = await Promise.all(clients.map((c, id) => c.request(`cas ${key} 0 0 2 ${uniques[id]}\r\n${id % 10}${id % 10}\r\n`)));
      expect(replies.filter((r) => r === "STORED\r\n"), `round ${round}`).to.have.length(1);
      expect(replies.filter((r) => r === "EXISTS\r\n")).to.have.length(CLIENTS - 1);
      const adds = await Promise.all(clients.map((c) => c.request(`add fresh${round} 0 0 1\r\nx\r\n`)));
      expect(adds.filter((r) => r === "STORED\r\n"), `add round ${round}`).to.have.length(1);
    }
  });

  it("appends from every client all land, none torn", async () => {
    expect(await clients[0].request("set log 0 0 0\r\n\r\n")).to.equal("STORED\r\n");
    await Promise.all(clients.map(async (c, id) => {
      for (let i = 0; i < APPENDS_PER_CLIENT; i++) {
        const token = `<${String(id).padStart(2, "0")}>`;
        expect(await c.request(`append log 0 0 ${token.length}\r\n${token}\r\n`)).to.equal("STORED\r\n");
      }
    }));
    const log = (await get(clients[0], "log"))!;
    expect(log).to.have.length(CLIENTS * APPENDS_PER_CLIENT * 4);
    for (let id = 0; id < CLIENTS; id++) {
      expect(log.split(`<${String(id).padStart(2, "0")}>`).length - 1, `client ${id}'s appends`).to.equal(APPENDS_PER_CLIENT);
    }
  });

  it("leaves every structure whole: the invariant checker finds nothing", () => {
    srv.server.engine.checkInvariants();
  });
});
