// The background thread: memcached's mc-lrumaint, mc-itemcrawler, mc-slabmaint and
// mc-assocmaint in one loop, and the clock. It never serves a connection, so the workers'
// event loops never wait on maintenance: it runs a bounded step, sleeps (1 ms while work is
// waiting, 100 ms otherwise, or until the server stops), and feeds the clock once a second.
import { workerData, parentPort } from "node:worker_threads";
import { Engine } from "../wasm_engine.js";
import { HostStat } from "../../assembly/abi/host_stats.js";
import { LogType } from "../../assembly/abi/log.js";
import { SharedHost } from "./shared_host.js";
import { gateFor } from "./gate.js";
import { RecoveryPending } from "./recovery.js";
import { trapReport } from "../trap_report.js";
import type { ThreadStart } from "./messages.js";

const BUSY_MS = 1;
const IDLE_MS = 100;
const CLOCK_MS = 1000;
const encoder = new TextEncoder();

function run(start: ThreadStart): void {
  const shared = new SharedHost(start.shared, start.thread);
  const engine = Engine.attach(start.share, start.thread, gateFor(shared));
  let traps = 0;
  // Evictions the maintainer or the page mover made: for the workers' watchers.
  engine.onLog = (entries) => {
    const now = Date.now();
    for (const e of entries) {
      if (e.type === LogType.VERBOSE) continue;
      shared.publish(e.type, encoder.encode(`ts=${Math.floor(now / 1000)}.${(now % 1000) * 1000} gid=${e.gid} ${e.text}\n`));
    }
  };
  const guarded = (where: string, call: () => void): boolean => {
    try {
      call();
      return true;
    } catch (err) {
      const pending = err instanceof RecoveryPending;
      const recovery = engine.recover(!pending);
      if (!pending) {
        traps++;
        process.stderr.write(trapReport({ count: traps, where, error: err, recovery, closed: 0, reopened: 0 }) + "\n");
      }
      return false;
    }
  };
  let nextClock = 0;
  while (!shared.stopping()) {
    const now = Date.now();
    if (now >= nextClock) {
      nextClock = now + CLOCK_MS;
      guarded("clock", () => engine.tick());
      const cpu = process.cpuUsage();
      engine.setHostStat(HostStat.RUSAGE_USER_US, cpu.user);
      engine.setHostStat(HostStat.RUSAGE_SYSTEM_US, cpu.system);
    }
    let more = false;
    guarded("maintain", () => {
      more = engine.maintain();
      engine.drainLog();
    });
    shared.sleep(more ? BUSY_MS : IDLE_MS);
  }
  shared.close();
  parentPort!.postMessage({ kind: "closed" });
}

run(workerData as ThreadStart);
