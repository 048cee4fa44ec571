// Server processes for tests that talk to real servers over TCP: Debian's memcached (the
// reference) and our own CLI (dist/host/cli.js), started on ephemeral ports and stopped.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { canConnect } from "./socket-client.js";

// dist/test/helpers/servers.js → repository root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const WASMCACHED_CLI = join(REPO_ROOT, "dist/host/cli.js");
export const MEMCACHED_BIN = process.env.MEMCACHED_BIN ?? "/usr/bin/memcached";

const START_TIMEOUT_MS = 15000;
const START_POLL_MS = 10;
const STOP_TIMEOUT_MS = 3000;

export interface RunningServer {
  readonly name: string;
  readonly port: number;
  /** Every TCP port, in -l order (`port` is the first). */
  readonly ports: number[];
  readonly proc: ChildProcess;
  /** Resolves when the process has exited (for whatever reason). */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A crashed or interrupted mocha run must not leave servers listening behind it.
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Both servers refuse to run as root without -u (as memcached does); others need no -u. */
function userArgs(args: readonly string[]): string[] {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  return isRoot && !args.includes("-u") ? ["-u", "root"] : [];
}

export function startMemcached(args: readonly string[] = []): Promise<RunningServer> {
  return startServer("memcached", MEMCACHED_BIN, [...userArgs(args), ...args]);
}

export function startWasmcached(args: readonly string[] = []): Promise<RunningServer> {
  return startServer("wasmcached", process.execPath, [WASMCACHED_CLI, ...userArgs(args), ...args], REPO_ROOT);
}

/** The runtimes wasmcached runs on, each with its entry point. */
export const RUNTIMES = ["node", "deno", "bun"] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** wasmcached on one runtime, started as its npm start script starts it (less -u nobody). */
export function startWasmcachedOn(runtime: RuntimeName, args: readonly string[] = []): Promise<RunningServer> {
  const bin = (name: string) => join(REPO_ROOT, "node_modules/.bin", name);
  const all = [...userArgs(args), ...args];
  if (runtime === "node") return startWasmcached(args);
  if (runtime === "deno") {
    return startServer("wasmcached-deno", bin("deno"), ["run", "-A", join(REPO_ROOT, "dist/host/deno/main.js"), ...all], REPO_ROOT,
      { DENO_NO_UPDATE_CHECK: "1" });
  }
  return startServer("wasmcached-bun", bin("bun"), [join(REPO_ROOT, "dist/host/bun/main.js"), ...all], REPO_ROOT);
}

/**
 * Both servers are told `-p -1 -U 0` (ephemeral TCP port, no UDP) and report the
 * port they got through MEMCACHED_PORT_FILENAME, so no port is ever guessed.
 */
export async function startServer(
  name: string,
  cmd: string,
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-port-`));
  const portFile = join(dir, "ports");
  const fullArgs = [...args];
  if (!args.includes("-p")) fullArgs.push("-p", "-1");
  if (!args.includes("-U")) fullArgs.push("-U", "0");
  const proc = spawn(cmd, fullArgs, {
    cwd,
    env: { ...process.env, ...env, MEMCACHED_PORT_FILENAME: portFile },
    stdio: ["ignore", "ignore", "pipe"],
  });
  live.add(proc);
  // A server left behind by a failed hook must not keep mocha from exiting; the
  // exit handler above still kills it.
  proc.unref();
  let err = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  (proc.stderr as unknown as { unref?: () => void }).unref?.();
  const exited = new Promise<number | null>((res) => {
    proc.once("exit", (code) => {
      live.delete(proc);
      res(code);
    });
    proc.once("error", (e) => {
      err += String(e);
      live.delete(proc);
      res(null);
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const starting: Starting = { gone: () => gone, describe: () => `${name} (${[cmd, ...fullArgs].join(" ")})`, stderr: () => err };

  try {
    const ports = await startedWhen(starting, () => portsInFile(portFile), `wrote no "TCP INET: <port>" line to MEMCACHED_PORT_FILENAME`);
    const port = ports[0];
    await startedWhen(starting, async () => (await canConnect(port)) || undefined, `never accepted a connection on port ${port}`);
    return {
      name,
      port,
      ports,
      proc,
      exited,
      stderr: () => err,
      stop: () => stopProcess(proc, exited),
    };
  } catch (e) {
    await stopProcess(proc, exited);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A process on its way up, as the start-up waits report it. */
interface Starting {
  gone(): boolean;
  describe(): string;
  stderr(): string;
}

/**
 * Polls `ready` until it gives a value; fails when the process exits first, or when
 * START_TIMEOUT_MS pass (`never` says what did not happen).
 */
async function startedWhen<T>(s: Starting, ready: () => T | undefined | Promise<T | undefined>, never: string): Promise<T> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (s.gone()) throw new Error(`${s.describe()} exited during start-up:\n${s.stderr()}`);
    const value = await ready();
    if (value !== undefined) return value;
    await sleep(START_POLL_MS);
  }
  throw new Error(`${s.describe()} ${never}:\n${s.stderr()}`);
}

function portsInFile(file: string): number[] | undefined {
  // The server renames <file>.lck to <file> once complete, so a present file is whole.
  if (!existsSync(file)) return undefined;
  const ports = [...readFileSync(file, "utf8").matchAll(/^TCP INET: (\d+)$/gm)].map((m) => Number(m[1]));
  return ports.length > 0 ? ports : undefined;
}

async function stopProcess(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
  if (timedOut) {
    proc.kill("SIGKILL");
    await exited;
  }
}
