// The thread stress on every runtime's own server: Node, Deno and Bun each spawned at -t 4 as
// their start scripts start them (release core), since what differs between them is how worker
// threads are made and how they share the listening socket. First a small server (-m 8, a
// small table, automove, the crawler) under the mixed load of test/threads/mixed-load.ts from
// text, meta and binary clients with crawls and dumps beside it; then a server with room for
// the races with one right answer (incr sums, one cas winner). Each ends with curr_items equal
// to the items a metadump reaches and no trap report on stderr. The checked core's lock
// assertions run in stress.test.ts and hammer.test.ts (Node, in process).
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { startWasmcachedOn, RUNTIMES, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { Rng } from "../helpers/rng.js";
import { TextClient, MetaClient, BinaryClient, type CacheClient } from "../helpers/cache-clients.js";
import { checkedValue } from "../helpers/checked-values.js";
import { fuzzSeed, fuzzOps, fuzzTimeout } from "../helpers/fuzz-config.js";
import { runLoad, sumTally, UNDER_PRESSURE, WITH_ROOM } from "./mixed-load.js";
import { census, crawlAndDumpUntil } from "./server-state.js";

const THREADS = 4;
const HASHPOWER = 13;
const PER_PROTOCOL = 4;
const KINDS = [TextClient, MetaClient, BinaryClient] as const;
const MIX_OPS = 400;
const INCRS_PER_CLIENT = 100;
const CAS_ROUNDS = 20;
const TIMEOUT_MS = 180_000;
const SEED = fuzzSeed("threads: runtimes");
const STDERR_FD = 2;
const O_NONBLOCK = 0o4000;

async function clientsOf(server: RunningServer, opened: SocketClient[]): Promise<CacheClient[]> {
  const sockets = await Promise.all(Array.from({ length: PER_PROTOCOL * KINDS.length }, () => SocketClient.connect(server.port)));
  opened.push(...sockets);
  return sockets.map((s, i) => new KINDS[i % KINDS.length](s));
}



// The open flags of one of a process's descriptors, as /proc prints them (octal).
function fdFlags(pid: number, fd: number): number {
  const line = readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").split("\n").find((l) => l.startsWith("flags:"));
  return parseInt(line!.slice("flags:".length).trim(), 8);
}

function trapLines(server: RunningServer): string[] {
  return server.stderr().split("\n").filter((l) => l.includes("trap"));
}

for (const runtime of RUNTIMES) {
  describe(`threads: -t 4 on ${runtime}, every protocol under load`, function () {
    this.timeout(fuzzTimeout(TIMEOUT_MS));
    let server: RunningServer | undefined;
    const opened: SocketClient[] = [];

    afterEach(async () => {
      for (const c of opened.splice(0)) c.destroy();
      await server?.stop();
      server = undefined;
    });

    // The pipe is shared with whoever started the server (memcached's t/ suite: prove's pipe).
    // Nothing on stderr either: memcached prints nothing unless asked (-v), and sharing the
    // UDP socket's descriptor once printed Node's deprecation warning for dgram's _handle.
    it("leaves the pipe it was given for stderr blocking, and silent, while it serves TCP and UDP from every worker", async () => {
      server = await startWasmcachedOn(runtime, ["-t", String(THREADS), "-U", "-1"]);
      const c = await SocketClient.connect(server.port);
      opened.push(c);
      expect(await c.request("version\r\n")).to.match(/^VERSION /);
      expect(fdFlags(server.proc.pid!, STDERR_FD) & O_NONBLOCK, "O_NONBLOCK on stderr").to.equal(0);
      expect(server.stderr()).to.equal("");
    });

    it("under memory pressure: self-checking values, evictions, curr_items exact, no trap", async () => {
      server = await startWasmcachedOn(runtime, ["-t", String(THREADS), "-m", "8",
        "-o", `hashpower=${HASHPOWER},slab_reassign,slab_automove=2,lru_crawler`]);
      const clients = await clientsOf(server, opened);
      const admin = await SocketClient.connect(server.port);
      opened.push(admin);
      let done = false;
      const [tallies] = await Promise.all([
        runLoad(clients, UNDER_PRESSURE, SEED, 0, fuzzOps(MIX_OPS)).finally(() => { done = true; }),
        crawlAndDumpUntil(admin, () => done),
      ]);
      expect(sumTally(tallies, "ops")).to.be.above(0);
      const s = await stats(admin);
      expect(s.get("threads")).to.equal(String(THREADS));
      expect(Number(s.get("evictions")), "evictions").to.be.above(0);
      expect((await census(admin)).currItems).to.be.above(0);
      expect(trapLines(server)).to.deep.equal([]);
    });

    it("with room: incr from every client sums exactly, one cas wins each round", async () => {
      server = await startWasmcachedOn(runtime, ["-t", String(THREADS), "-m", "64"]);
      const clients = await clientsOf(server, opened);
      expect(await clients[0].store("set", "n", "0")).to.equal("STORED");
      const sums = await Promise.all(clients.map(async (c, id) => {
        const rng = new Rng(SEED + id);
        let sum = 0n;
        for (let i = 0; i < INCRS_PER_CLIENT; i++) {
          const delta = BigInt(rng.range(1, 9));
          expect(typeof (await c.arith("n", true, delta))).to.equal("bigint");
          sum += delta;
        }
        return sum;
      }));
      expect((await clients[1].get("n"))?.value.trimEnd()).to.equal(String(sums.reduce((a, b) => a + b, 0n)));
      for (let round = 0; round < CAS_ROUNDS; round++) {
        const key = `race${round}`;
        expect(await clients[0].store("set", key, checkedValue(key, 0, round, 20))).to.equal("STORED");
        const cas = (await clients[0].get(key, true))!.cas;
        const replies = await Promise.all(clients.map((c, id) => c.cas(key, checkedValue(key, id, round, 20), cas)));
        expect(replies.filter((r) => r === "STORED"), `round ${round}: ${replies.join(" ")}`).to.have.length(1);
      }
      const admin = await SocketClient.connect(server.port);
      opened.push(admin);
      await runLoad(clients, WITH_ROOM, SEED, 0, fuzzOps(MIX_OPS) / 4);
      await census(admin);
      expect(trapLines(server)).to.deep.equal([]);
    });
  });
}
