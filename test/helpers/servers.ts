// Process and socket helpers for tests that talk to real servers over TCP:
// Debian's memcached (the reference) and our own CLI (dist/host/cli.js).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// dist/test/helpers/servers.js → repository root
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const WASMCACHED_CLI = join(REPO_ROOT, "dist/host/cli.js");
export const MEMCACHED_BIN = process.env.MEMCACHED_BIN ?? "/usr/bin/memcached";

const START_TIMEOUT_MS = 15000;
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

export function wasmcachedBuilt(): boolean {
  return existsSync(WASMCACHED_CLI);
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
  const describe = () => `${name} (${[cmd, ...fullArgs].join(" ")})`;

  try {
    const ports = await waitForPorts(portFile, () => gone, describe, () => err);
    const port = ports[0];
    await waitUntilAccepting(port, () => gone, describe, () => err);
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

async function waitForPorts(
  file: string,
  gone: () => boolean,
  describe: () => string,
  stderr: () => string,
): Promise<number[]> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    // The server renames <file>.lck to <file> once complete, so a present file is whole.
    if (existsSync(file)) {
      const ports = [...readFileSync(file, "utf8").matchAll(/^TCP INET: (\d+)$/gm)].map((m) => Number(m[1]));
      if (ports.length > 0) return ports;
    }
    if (gone()) throw new Error(`${describe()} exited during start-up:\n${stderr()}`);
    await sleep(10);
  }
  throw new Error(`${describe()} wrote no "TCP INET: <port>" line to MEMCACHED_PORT_FILENAME:\n${stderr()}`);
}

async function waitUntilAccepting(
  port: number,
  gone: () => boolean,
  describe: () => string,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone()) throw new Error(`${describe()} exited during start-up:\n${stderr()}`);
    if (await canConnect(port)) return;
    await sleep(10);
  }
  throw new Error(`${describe()} never accepted a connection on port ${port}:\n${stderr()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
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

// ---------------------------------------------------------------------------
// Raw socket client

/** A piece of input; a function is called with everything received so far (e.g. to echo a CAS). */
export type Piece = string | Uint8Array | ((received: Buffer) => string | Uint8Array);

export interface ExchangeOptions {
  /** Pause after each piece, so the server sees the pieces in separate reads. */
  pauseMs?: number;
  /** The reply is complete after this much silence. */
  quietMs?: number;
  /** Stop early once this returns true (the quiet wait is then skipped). */
  until?: (received: Buffer) => boolean;
  /** Hard limit for the whole exchange. */
  maxMs?: number;
}

export interface Exchange {
  data: Buffer;
  /** The server ended or reset the connection. */
  closed: boolean;
}

/** Strings are sent as latin1 so that every char code below 256 is exactly one byte. */
export function toBytes(p: string | Uint8Array): Buffer {
  return typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p);
}

/** Every byte as its own piece, to exercise a server's handling of partial input. */
export function splitBytes(pieces: readonly Piece[]): Buffer[] {
  const all = pieces.map((p) => {
    if (typeof p === "function") throw new Error("computed pieces cannot be split into bytes");
    return toBytes(p);
  });
  return [...Buffer.concat(all)].map((b) => Buffer.of(b));
}

/** `until` predicates: the reply ends with a terminator, or has reached a length. */
export const endsWith = (suffix: string) => {
  const s = toBytes(suffix);
  return (b: Buffer) => b.length >= s.length && b.subarray(b.length - s.length).equals(s);
};
export const hasLength = (n: number) => (b: Buffer) => b.length >= n;

/** Opens a fresh connection, sends the pieces, collects the reply, and closes. */
export async function exchange(port: number, pieces: readonly Piece[], opts: ExchangeOptions = {}): Promise<Exchange> {
  const conn = await RawConnection.open(port);
  try {
    const quietMs = opts.quietMs ?? 200;
    for (const piece of pieces) {
      if (conn.closed) break;
      // A computed piece depends on the reply to what was sent before it.
      if (typeof piece === "function") await conn.waitQuiet(quietMs, opts.maxMs);
      conn.write(typeof piece === "function" ? piece(conn.received()) : piece);
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
    await conn.waitQuiet(quietMs, opts.maxMs, opts.until);
    return { data: conn.received(), closed: conn.closed };
  } finally {
    conn.destroy();
  }
}

/** A client socket that records everything it receives and whether the peer hung up. */
export class RawConnection {
  closed = false;
  private chunks: Buffer[] = [];
  private lastActivity = Date.now();
  private wake: (() => void) | null = null;

  private constructor(private readonly sock: net.Socket) {
    // Byte-by-byte tests need each write to leave as its own segment.
    sock.setNoDelay(true);
    sock.on("data", (d) => {
      this.chunks.push(d);
      this.touch();
    });
    const hangUp = () => {
      this.closed = true;
      this.touch();
    };
    sock.on("end", hangUp);
    sock.on("close", hangUp);
    // ECONNRESET/EPIPE: the server closed while data was in flight; that is a close too.
    sock.on("error", hangUp);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((res, rej) => {
      const s = net.connect({ port, host: "127.0.0.1" });
      s.once("connect", () => {
        s.removeListener("error", rej);
        res(new RawConnection(s));
      });
      s.once("error", rej);
    });
  }

  write(p: string | Uint8Array): void {
    // Silence is counted from when the kernel took the last byte: a large value can take
    // a while to leave, and the server cannot answer before it has all of it.
    if (!this.closed) this.sock.write(toBytes(p), () => this.touch());
    this.touch();
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Resolves after `quietMs` without traffic, on close, or once `until` holds. */
  async waitQuiet(quietMs: number, maxMs = 30000, until?: (b: Buffer) => boolean): Promise<void> {
    const deadline = Date.now() + maxMs;
    for (;;) {
      if (this.closed || (until && until(this.received()))) return;
      const now = Date.now();
      const quietAt = this.lastActivity + quietMs;
      if (now >= quietAt || now >= deadline) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(quietAt, deadline) - now);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = null;
    }
  }

  /** Reads until the buffer ends with `suffix` (for simple request/response helpers). */
  async readUntil(suffix: string, maxMs = 5000): Promise<Buffer> {
    const done = endsWith(suffix);
    await this.waitQuiet(maxMs, maxMs, done);
    if (!done(this.received())) {
      const why = this.closed ? "connection closed" : `nothing more within ${maxMs} ms`;
      throw new Error(`${why} while waiting for ${JSON.stringify(suffix)}; got ${JSON.stringify(this.received().toString("latin1"))}`);
    }
    const out = this.received();
    this.chunks = [];
    return out;
  }

  destroy(): void {
    this.sock.destroy();
  }

  private touch(): void {
    this.lastActivity = Date.now();
    // The waiter re-checks close/until and recomputes its quiet deadline.
    this.wake?.();
  }
}
