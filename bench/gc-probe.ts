// Preloaded into the Node servers under test (`node --import dist/bench/gc-probe.js`): appends
// every GC pause to the file BENCH_GC_LOG names, as "<wall-clock start ms> <duration ms> <kind>"
// lines, so the timeline can set the server's pauses beside the latencies the load generator
// saw. The file is opened here, before the server drops to its -u user.
import { openSync, writeSync } from "node:fs";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { gcKindName } from "./gc-monitor.js";

const file = process.env.BENCH_GC_LOG;
if (file) {
  const fd = openSync(file, "a");
  const observer = new PerformanceObserver((list) => {
    let text = "";
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      text += `${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(3)} ${gcKindName(kind)}\n`;
    }
    writeSync(fd, text);
  });
  observer.observe({ entryTypes: ["gc"] });
}
