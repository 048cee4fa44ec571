// One thread of the in-process hammer (test/threads/hammer.test.ts): its own instance of the
// shared checked core, calling the engine's API in a tight seeded loop. Roles:
//
//   background  maintenance steps back to back (hash expansion, the LRU maintainer, automove
//               and the page mover, the crawler), a crawl of every class now and then, the clock
//   load        the mixed workload of test/threads/mixed-load.ts, after filling many small items
//   race        rounds with one right answer, the racers meeting at a barrier between rounds:
//               incr/decr sums, one cas winner, one add, every append; the leader checks
//
// Not a test file (mocha's spec glob is *.test.js): the test starts it as a worker thread.
import { workerData, parentPort } from "node:worker_threads";
import { Engine, type CoreShare } from "../../host/wasm_engine.js";
import { EngineClient, type StoreReply } from "../helpers/cache-clients.js";
import { checkedValue } from "../helpers/checked-values.js";
import { Rng } from "../helpers/rng.js";
import { MixedLoad, type LoadShape, type LoadTally } from "./mixed-load.js";
import { HammerControl, Sum } from "./hammer-control.js";

export type Role = "background" | "load" | "race";

export interface HammerStart {
  share: CoreShare & { threadBlocks: number };
  thread: number;
  role: Role;
  control: SharedArrayBuffer;
  racers: number;
  seed: number;
  /** load: steps (MAX_SAFE_INTEGER: until stop) and the time limit. */
  ops: number;
  deadline: number;
  shape: LoadShape;
  /** load: small items each loader stores first. */
  fill: number;
  /** race: index among the racers (0 leads) and rounds of each kind. */
  racer: number;
  rounds: number;
}

export type HammerReport =
  | { kind: "done"; thread: number; tally?: LoadTally; steps?: number }
  | { kind: "failed"; thread: number; role: Role; message: string };

const CLOCK_MS = 1000;
const CRAWL_MS = 200;
const IDLE_MS = 1;
const FILL_SIZE = 40;
const MAX_DELTA = 7;
// The decr counter starts high enough never to reach 0 (decr stops there, and the sum would lie).
export const DECR_START = 10n ** 15n;
const RACE_VALUE_SIZE = 30;

const STORE_CODES: StoreReply[] = ["STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "NO_MEMORY", "TOO_LARGE"];

function background(engine: Engine, ctl: HammerControl): number {
  let steps = 0;
  let nextClock = 0;
  let nextCrawl = 0;
  while (!ctl.stopping() && !ctl.failed()) {
    ctl.safePoint();
    const now = Date.now();
    if (now >= nextClock) {
      engine.tick();
      nextClock = now + CLOCK_MS;
    }
    if (now >= nextCrawl) {
      engine.crawl(0);
      nextCrawl = now + CRAWL_MS;
    }
    steps++;
    if (!engine.maintain()) ctl.pause(IDLE_MS);
  }
  return steps;
}

async function load(engine: Engine, ctl: HammerControl, s: HammerStart): Promise<LoadTally> {
  const client = new EngineClient(engine);
  for (let i = 0; i < s.fill; i++) {
    ctl.safePoint();
    const key = `f${s.thread}-${i}`;
    const r = engine.set(key, checkedValue(key, s.thread, i, FILL_SIZE));
    if (r !== "STORED" && !(s.shape.mayEvict && r === "NO_MEMORY")) throw new Error(`fill: set ${key} answered ${r}`);
  }
  const mix = new MixedLoad(client, s.thread, new Rng(s.seed + s.thread), s.shape);
  for (let n = 0; n < s.ops && !ctl.stopping() && !ctl.failed() && Date.now() < s.deadline; n++) {
    ctl.safePoint();
    await mix.step();
  }
  return mix.tally;
}

class Racer {
  private readonly client: EngineClient;
  private readonly rng: Rng;
  private readonly leads: boolean;

  constructor(private readonly engine: Engine, private readonly ctl: HammerControl, private readonly s: HammerStart) {
    this.client = new EngineClient(engine);
    this.rng = new Rng(s.seed + s.thread);
    this.leads = s.racer === 0;
  }

  private check(ok: boolean, what: string): void {
    if (!ok) throw new Error(what);
  }

  // Every racer adds its deltas to two counters at once; the sums must come out exact.
  async arithmetic(): Promise<void> {
    if (this.leads) {
      this.check(this.engine.set("up", "0") === "STORED" && this.engine.set("down", String(DECR_START)) === "STORED", "setting the counters");
    }
    this.ctl.barrier();
    let up = 0n;
    let down = 0n;
    for (let i = 0; i < this.s.rounds; i++) {
      this.ctl.safePoint();
      const incr = this.rng.chance(0.5);
      const delta = BigInt(this.rng.range(1, MAX_DELTA));
      const r = await this.client.arith(incr ? "up" : "down", incr, delta);
      this.check(typeof r === "bigint", `${incr ? "incr up" : "decr down"} answered ${String(r)}`);
      if (incr) up += delta;
      else down += delta;
    }
    this.ctl.addSum(Sum.INCR, up);
    this.ctl.addSum(Sum.DECR, down);
    this.ctl.barrier();
    if (!this.leads) return;
    const got = [this.engine.get("up"), this.engine.get("down")].map((it) => it && new TextDecoder().decode(it.value).trimEnd());
    const want = [String(this.ctl.sum(Sum.INCR)), String(DECR_START - this.ctl.sum(Sum.DECR))];
    this.check(got[0] === want[0] && got[1] === want[1], `counters ${got.join(", ")}, deltas sum to ${want.join(", ")}`);
  }

  // Each round every racer reads the same CAS, then all try to replace the value with it.
  async cas(): Promise<void> {
    for (let round = 0; round < this.s.rounds; round++) {
      const key = `race${round}`;
      this.ctl.safePoint();
      if (this.leads) this.check(this.engine.set(key, checkedValue(key, 0, round, RACE_VALUE_SIZE)) === "STORED", `set ${key}`);
      this.ctl.barrier();
      const hit = this.engine.get(key);
      this.check(hit !== undefined, `${key} missing`);
      const value = checkedValue(key, this.s.racer, round, RACE_VALUE_SIZE + this.s.racer);
      this.ctl.barrier();
      this.ctl.setResult(this.s.racer, STORE_CODES.indexOf(await this.client.cas(key, value, hit!.cas)));
      this.ctl.barrier();
      if (!this.leads) continue;
      const replies = this.ctl.results().map((c) => STORE_CODES[c]);
      const winner = replies.indexOf("STORED");
      this.check(replies.filter((r) => r === "STORED").length === 1 && replies.filter((r) => r === "EXISTS").length === replies.length - 1,
        `${key}: ${replies.join(" ")}`);
      const stored = new TextDecoder().decode(this.engine.get(key)?.value);
      this.check(stored === checkedValue(key, winner, round, RACE_VALUE_SIZE + winner), `${key} holds ${stored}, not racer ${winner}'s value`);
    }
  }

  // Each round every racer adds the same missing key: one stores it.
  async add(): Promise<void> {
    for (let round = 0; round < this.s.rounds; round++) {
      const key = `fresh${round}`;
      this.ctl.safePoint();
      this.ctl.barrier();
      this.ctl.setResult(this.s.racer, STORE_CODES.indexOf(await this.client.store("add", key, checkedValue(key, this.s.racer, round, RACE_VALUE_SIZE))));
      this.ctl.barrier();
      if (!this.leads) continue;
      const replies = this.ctl.results().map((c) => STORE_CODES[c]);
      this.check(replies.filter((r) => r === "STORED").length === 1 && replies.filter((r) => r === "NOT_STORED").length === replies.length - 1,
        `${key}: ${replies.join(" ")}`);
    }
  }

  // Every racer appends its own token to one value: each lands once per append, none torn.
  async appends(): Promise<void> {
    if (this.leads) this.check(this.engine.set("log", "") === "STORED", "set log");
    this.ctl.barrier();
    const token = `<${this.s.racer}>`;
    for (let i = 0; i < this.s.rounds; i++) {
      this.ctl.safePoint();
      const r = await this.client.store("append", "log", token);
      this.check(r === "STORED", `append to log answered ${r}`);
    }
    this.ctl.barrier();
    if (!this.leads) return;
    const log = new TextDecoder().decode(this.engine.get("log")?.value);
    for (let racer = 0; racer < this.s.racers; racer++) {
      const n = log.split(`<${racer}>`).length - 1;
      this.check(n === this.s.rounds, `racer ${racer}'s token is in the log ${n} times, not ${this.s.rounds}`);
    }
    this.check(log.length === this.s.racers * this.s.rounds * token.length, `the log has ${log.length} bytes`);
  }
}

async function run(s: HammerStart, ctl: HammerControl): Promise<HammerReport> {
  const engine = Engine.attach(s.share, s.thread);
  switch (s.role) {
    case "background":
      return { kind: "done", thread: s.thread, steps: background(engine, ctl) };
    case "load":
      return { kind: "done", thread: s.thread, tally: await load(engine, ctl, s) };
    case "race": {
      const racer = new Racer(engine, ctl, s);
      await racer.arithmetic();
      await racer.cas();
      await racer.add();
      await racer.appends();
      return { kind: "done", thread: s.thread };
    }
  }
}

const start = workerData as HammerStart;
const ctl = new HammerControl(start.control, start.racers);
run(start, ctl).then((report) => {
  ctl.retire();
  parentPort!.postMessage(report);
}, (err: Error) => {
  ctl.fail();
  ctl.retire();
  parentPort!.postMessage({ kind: "failed", thread: start.thread, role: start.role, message: err.stack ?? String(err) });
});
