// The core's rooms and the one direction their imports may run (assembly/README.md draws it):
// protocols → operations → cache → memory → locks → layout, with the bookkeeping rooms
// (counters, logger) below the cache so that every layer can count and log. An import outside this table is a new edge
// between rooms; the test fails on it, and on any cycle between rooms.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export const ROOMS: Record<string, string[]> = {
  abi: [],
  util: [],
  layout: ["abi"],
  locks: ["layout", "abi"],
  memory: ["locks", "layout", "abi", "util"],
  counters: ["memory", "locks", "layout", "abi", "util"],
  logger: ["layout", "abi", "util"],
  cache: ["counters", "logger", "memory", "locks", "layout", "abi", "util"],
  background: ["cache", "counters", "logger", "memory", "locks", "layout", "abi", "util"],
  session: ["layout", "abi", "util"],
  operations: ["background", "cache", "session", "counters", "logger", "memory", "locks", "layout", "abi", "util"],
  stats: ["background", "cache", "session", "counters", "logger", "memory", "locks", "layout", "abi", "util"],
  protocols: ["operations", "stats", "session", "counters", "logger", "layout", "abi", "util"],
  checks: ["background", "cache", "counters", "memory", "locks", "layout", "abi", "util"],
  restart: ["background", "cache", "counters", "memory", "locks", "layout", "abi", "util"],
};

export interface Edge { from: string; to: string }

const IMPORT = /from "(\.[^"]+)"/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith(".ts") ? [p] : [];
  });
}

/** Every import between two files of the core, as paths relative to assembly/ without ".ts". */
export function coreImports(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of tsFiles(root)) {
    const from = path.relative(root, file).replace(/\.ts$/, "");
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const to = path.relative(root, path.resolve(path.dirname(file), m[1]));
      edges.push({ from, to });
    }
  }
  return edges;
}

export function roomOf(file: string): string {
  return file.includes("/") ? file.slice(0, file.indexOf("/")) : file;
}

/** Imports that the table does not allow (index.ts, the ABI, may import anything). */
export function forbidden(edges: Edge[]): Edge[] {
  return edges.filter(({ from, to }) => {
    const a = roomOf(from);
    const b = roomOf(to);
    if (a === "index" || a === b) return false;
    const allowed = ROOMS[a];
    if (!allowed) return true;
    return !allowed.some((r) => r === b || r === to);
  });
}

/** Cycles between rooms (each one listed once, as a path of room names). */
export function roomCycles(edges: Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = roomOf(from);
    const b = roomOf(to);
    if (a === b || a === "index") continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const walk = (room: string, stack: string[]): void => {
    const at = stack.indexOf(room);
    if (at >= 0) {
      const cycle = stack.slice(at);
      const key = [...cycle].sort().join(",");
      if (!seen.has(key)) {
        seen.add(key);
        cycles.push([...cycle, room]);
      }
      return;
    }
    for (const n of next.get(room) ?? []) walk(n, [...stack, room]);
  };
  for (const room of next.keys()) walk(room, []);
  return cycles;
}
