// What the results were measured on: the machine, the tools and the source.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { round } from "./format.js";

export interface MachineInfo {
  hostname: string;
  platform: string;
  kernel: string;
  cpuModel: string;
  nproc: number;
  totalMemGiB: number;
  node: string;
  v8: string;
  memcached: string | null;
  gcc: string | null;
  /** 1-minute load average when the suite started: above ~1 on 2 cores, something else ran */
  loadAvg: number;
}

export interface SourceInfo {
  commit: string | null;
  /** `git status --porcelain` of the files that decide the numbers */
  dirty: string[];
  coreWasmSha256: string;
}

function sh(cmd: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    cpuModel: cpus[0]?.model ?? "unknown",
    nproc: os.availableParallelism?.() ?? cpus.length,
    totalMemGiB: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    v8: process.versions.v8,
    memcached: sh("memcached", ["-V"]),
    gcc: sh("gcc", ["-dumpversion"]),
    loadAvg: round(os.loadavg()[0], 2),
  };
}

export function sourceInfo(root: string, wasmPath: URL): SourceInfo {
  const status = sh("git", ["status", "--porcelain", "--", "assembly", "host", "bench", "asconfig.json"], root);
  return {
    commit: sh("git", ["rev-parse", "HEAD"], root),
    dirty: status ? status.split("\n").filter(Boolean) : [],
    coreWasmSha256: createHash("sha256").update(readFileSync(wasmPath)).digest("hex"),
  };
}
