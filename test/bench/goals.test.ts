// Issue 17's targets, judged from a server section built by hand: which rounds they read and
// where the limits are.
import { expect } from "chai";
import { evaluateGoals, HOST_GOAL_KEYS, type Goal } from "../../bench/goals.js";
import type { RoundResult, ServerSection, WorkloadResult } from "../../bench/server.js";

const latency = (p50: number, p99: number) => ({ count: 1, p50, p99, p999: p99, max: p99 });

function round(i: number, rps: number, cpuUsPerReq: number, p50 = 100, p99 = 1000): RoundResult {
  return { round: i, ok: true, rps, reqPerCpuS: 1e6 / cpuUsPerReq, latencyUs: latency(p50, p99) };
}

function workload(name: string, rounds: Record<string, RoundResult[]>, rate?: number): WorkloadResult {
  return { name, label: name, minRatio: 0, rate, rounds, summary: {}, vsBaseline: {} };
}

function section(keys: number, workloads: WorkloadResult[]): ServerSection {
  return {
    config: { targets: [], workloads: [], rounds: 3, warmupS: 0, durationS: 1, wasmcachedCmd: "", connections: 32, keys,
      valueLength: 100, memoryMb: 1024, setPct: 10 },
    baseline: "memcached", targets: [], workloads,
  };
}

function judged(s: ServerSection): Goal[] {
  return evaluateGoals({ quick: false, engine: null, server: s, timeline: null, memory: null });
}

const find = (goals: Goal[], words: string) => goals.find((g) => g.name.includes(words));

describe("bench: issue 17's targets", () => {
  // wasmcached against the floor: CPU per request 1.05×, 1.08×, 1.30×; req/s 0.95× each round
  const depth1 = workload("depth1", {
    "node-floor": [round(0, 100, 20), round(1, 100, 20), round(2, 100, 20)],
    wasmcached: [round(0, 95, 21), round(1, 95, 21.6), round(2, 95, 26)],
  });

  it("CPU per request: the median of per-round ratios, and no round far above it", () => {
    const cpu = find(judged(section(HOST_GOAL_KEYS, [depth1])), "server CPU per request")!;
    expect(cpu.measured).to.match(/^1\.08× \(rounds 1\.05, 1\.08, 1\.30/);
    expect(cpu.met, "one round at 1.30× is not steady").to.equal(false);
    const steady = workload("depth1", { ...depth1.rounds, wasmcached: depth1.rounds.wasmcached.slice(0, 2) });
    expect(find(judged(section(HOST_GOAL_KEYS, [steady])), "server CPU per request")!.met).to.equal(true);
    expect(find(judged(section(HOST_GOAL_KEYS, [depth1])), "depth-1 req/s")!.met).to.equal(true);
  });

  it("is judged only on a run with 100k keys or more", () => {
    expect(find(judged(section(HOST_GOAL_KEYS - 1, [depth1])), "server CPU per request")).to.equal(undefined);
  });

  it("paced latency: per-round ratios, so one saturated round does not decide", () => {
    const paced = workload("paced", {
      memcached: [round(0, 50, 10, 50, 800), round(1, 50, 10, 50, 800), round(2, 50, 10, 50, 800)],
      wasmcached: [round(0, 40, 25, 200_000, 900_000), round(1, 50, 20, 60, 1000), round(2, 50, 20, 55, 900)],
    }, 50);
    const goals = judged(section(HOST_GOAL_KEYS, [paced]));
    const p50 = find(goals, "p50 latency")!;
    expect(p50.measured).to.match(/^1\.20× /);
    expect(p50.met).to.equal(true);
    expect(find(goals, "p99 latency")!.met).to.equal(true);
  });
});
