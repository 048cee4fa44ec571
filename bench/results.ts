// The suite's result file: one JSON document with a section per part (null when the part was
// not run), the goals judged from them, and what they were measured on.
import type { EngineSection } from "./engine.js";
import type { Goal } from "./goals.js";
import type { MachineInfo, SourceInfo } from "./machine.js";
import type { MemorySection } from "./memory.js";
import type { ServerSection } from "./server.js";
import type { TimelineSection } from "./timeline.js";

export const PARTS = ["engine", "server", "timeline", "memory"] as const;
export type PartName = typeof PARTS[number];

export interface Results {
  suite: "wasmcached-bench";
  version: 1;
  quick: boolean;
  date: string;
  command: string;
  machine: MachineInfo;
  source: SourceInfo;
  /** wall time of each part that ran */
  seconds: Partial<Record<PartName, number>>;
  goals: Goal[];
  engine: EngineSection | null;
  server: ServerSection | null;
  timeline: TimelineSection | null;
  memory: MemorySection | null;
}
