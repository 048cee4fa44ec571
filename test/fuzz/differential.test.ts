// Differential fuzzing against Debian's memcached 1.6.18: random text and meta command
// sequences over five keys (test/helpers/differential-commands.ts, which lists the known
// differences it keeps clear of) go to both servers over sockets, on one connection each per
// run, pipelined in batches that each end with an mn (see differential-commands.ts). The replies
// must be the same once CAS values are labelled in order of first appearance and times allowed
// a second (test/helpers/normal-form.ts), and the run must move the same counters. A
// mismatch fails with the shrunk sequence (fast-check's counterexample) and both replies.
//
// Sizes and seeds: test/helpers/fuzz-config.ts (FUZZ_SEED, FUZZ_RUNS, FUZZ_SECONDS).
import fc from "fast-check";
import type { RunningServer } from "../helpers/servers.js";
import { SocketClient } from "../helpers/socket-client.js";
import { startPair } from "../helpers/differential.js";
import { normaliseMeta, mismatch, visible } from "../helpers/normal-form.js";
import { commandSequence, CAS_REF, type Command } from "../helpers/differential-commands.js";
import { fuzzParameters, fuzzTimeout } from "../helpers/fuzz-config.js";

const SENTINEL = Buffer.from("mn\r\n");
const QUIET_MS = 300;   // a batch whose MN never comes (a server still reading a value) ends after this
const MAX_MS = 10_000;
// memcached's LRU maintainer and crawler threads take references on items as they walk the
// LRUs; an incr/decr that meets such a reference allocates a new item instead of rewriting the
// number in place (another total_items, and no space padding). Without those threads memcached
// is deterministic; wasmcached gets the same flags.
const SERVER_ARGS = ["-o", "no_lru_maintainer,no_lru_crawler"];
// The counters a run moves deterministically on both (see differential-commands.ts for why
// get_expired, get_flushed and curr_items are not among them).
const COUNTERS = [
  "cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "get_hits", "get_misses", "delete_misses", "delete_hits",
  "incr_misses", "incr_hits", "decr_misses", "decr_hits", "cas_misses", "cas_hits", "cas_badval", "touch_hits",
  "touch_misses", "store_too_large", "store_no_memory", "total_items",
];
// The CAS a server showed last: a gets VALUE line's, or a meta reply's c flag.
const CAS_SHOWN = /^(?:VALUE \S+ \d+ \d+ (\d+)|(?:HD|VA|EN|NS|EX|NF)(?: \S+)*? c(\d+)(?: \S+)*)\r$/gm;

/** One server's side of a run: a connection and everything it received. */
class Side {
  private constructor(readonly server: RunningServer, private readonly conn: SocketClient) {}

  static async open(server: RunningServer): Promise<Side> {
    return new Side(server, await SocketClient.connect(server.port));
  }

  get closed(): boolean { return this.conn.hungUp; }

  received(): Buffer { return this.conn.received(); }

  /** Sends the commands (CAS_REF filled in from this server's replies) and an mn; waits for its MN. */
  async batch(commands: Command[]): Promise<void> {
    const cas = Buffer.from(this.lastCas(), "latin1");
    const bytes = commands.map((c) => replaceAll(c.bytes, CAS_REF, cas));
    const from = this.received().length;
    // Every mn in the batch answers MN too (and may reach the client first).
    const want = 1 + commands.filter((c) => c.bytes.equals(SENTINEL)).length;
    this.conn.write(Buffer.concat([...bytes, SENTINEL]));
    await this.conn.waitQuiet(QUIET_MS, MAX_MS, (b) => countMn(b.subarray(from)) >= want);
  }

  private lastCas(): string {
    const matches = [...this.received().toString("latin1").matchAll(CAS_SHOWN)];
    const last = matches[matches.length - 1];
    return last ? (last[1] ?? last[2]) : "0";
  }

  close(): void { this.conn.destroy(); }
}

// Replies never hold MN otherwise: values start with z or are digits, keys are lower case.
function countMn(b: Buffer): number {
  return b.toString("latin1").match(/^MN\r$/gm)?.length ?? 0;
}

function replaceAll(b: Buffer, what: string, by: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = b.indexOf(what); at >= 0; at = b.indexOf(what, from)) {
    parts.push(b.subarray(from, at), by);
    from = at + what.length;
  }
  parts.push(b.subarray(from));
  return Buffer.concat(parts);
}

async function counters(server: RunningServer): Promise<Map<string, number>> {
  const c = await SocketClient.connect(server.port);
  try {
    c.write("stats\r\n");
    const text = (await c.readUntil("END\r\n")).toString("latin1");
    return new Map([...text.matchAll(/^STAT (\S+) (\d+)\r$/gm)].map((m) => [m[1], Number(m[2])]));
  } finally {
    c.destroy();
  }
}

// Pipelined batches, each ending before a command that must start one.
function batches(commands: Command[]): Command[][] {
  const out: Command[][] = [[]];
  for (const c of commands) {
    if (c.startsBatch && out[out.length - 1].length) out.push([]);
    out[out.length - 1].push(c);
  }
  return out;
}

async function flushBoth(sides: Side[]): Promise<void> {
  await Promise.all(sides.map((s) => s.batch([{ bytes: Buffer.from("flush_all\r\n"), startsBatch: true }])));
}

async function runBoth(reference: RunningServer, candidate: RunningServer, commands: Command[]): Promise<void> {
  const sides = await Promise.all([Side.open(reference), Side.open(candidate)]);
  try {
    await flushBoth(sides);
    const start = sides.map((s) => s.received().length);
    const before = await Promise.all([counters(reference), counters(candidate)]);
    for (const b of batches(commands)) {
      if (sides.some((s) => s.closed)) break;
      await Promise.all(sides.map((s) => s.batch(b)));
    }
    const [ref, cand] = sides.map((s, i) => normaliseMeta(s.received().subarray(start[i])));
    const why = mismatch(cand, ref);
    if (why) {
      throw new Error(`replies differ (${why}):\n--- memcached\n${visible(ref.text)}\n--- wasmcached\n${visible(cand.text)}`);
    }
    if (sides[0].closed !== sides[1].closed) throw new Error(`memcached ${sides[0].closed ? "closed" : "kept"} the connection, wasmcached did not`);
    const after = await Promise.all([counters(reference), counters(candidate)]);
    const moved = (i: number) => COUNTERS.map((n) => `${n} ${after[i].get(n)! - before[i].get(n)!}`).join("\n");
    if (moved(0) !== moved(1)) throw new Error(`counters moved differently:\n--- memcached\n${moved(0)}\n--- wasmcached\n${moved(1)}`);
  } finally {
    sides.forEach((s) => s.close());
  }
}

describe("fuzz: random command sequences, wasmcached against memcached", function () {
  this.timeout(fuzzTimeout(90_000));
  let pair: Awaited<ReturnType<typeof startPair>> | undefined;

  before(async function () {
    this.timeout(30_000);
    pair = await startPair(SERVER_ARGS);
  });
  after(() => pair?.stop());

  const name = "the same replies and counters for text and meta sequences";
  it(name, () => fc.assert(
    fc.asyncProperty(commandSequence, (commands) => runBoth(pair!.reference, pair!.candidate, commands)),
    fuzzParameters(name, 5000),
  ));
});
