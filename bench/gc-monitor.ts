// GC pauses of this process, from perf_hooks `gc` entries.
import { PerformanceObserver, constants, type PerformanceEntry } from "node:perf_hooks";

export interface GcPause {
  /** start, on the performance.now() timeline */
  at: number;
  ms: number;
  kind: string;
}

const KIND_NAMES: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

export function gcKindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind${kind}`;
}

/**
 * Collects every GC pause perf_hooks reports, except the ones the benchmark forced itself.
 * Entries arrive asynchronously (after a synchronous loop yields), so a phase records its
 * [start, end] and asks for the pauses inside that window afterwards.
 */
export class GcMonitor {
  private events: GcPause[] = [];
  private readonly obs: PerformanceObserver;

  constructor() {
    this.obs = new PerformanceObserver((list) => this.add(list.getEntries()));
    this.obs.observe({ entryTypes: ["gc"] });
  }

  private add(entries: PerformanceEntry[]): void {
    for (const e of entries) {
      const detail = (e as { detail?: { kind?: number; flags?: number } }).detail ?? {};
      if (((detail.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0) continue;
      this.events.push({ at: e.startTime, ms: e.duration, kind: gcKindName(detail.kind ?? 0) });
    }
  }

  /** Lets pending observer callbacks run, then returns the pauses that began in [t0, t1]. */
  async pauses(t0: number, t1: number): Promise<GcPause[]> {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
    this.add(this.obs.takeRecords());
    return this.events.filter((e) => e.at >= t0 && e.at <= t1);
  }

  disconnect(): void { this.obs.disconnect(); }
}
