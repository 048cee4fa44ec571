// What the restart tests store before a restart and expect after it: a value in every slab
// class (1 byte to past slab_chunk_max, so chunked ones too), client flags, CAS values, and
// items that expire while the server is down or long after it is back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SocketClient, patternBytes } from "../helpers/socket-client.js";
import type { RunningServer } from "../helpers/servers.js";

export interface Entry { key: string; value: Buffer; flags: number; ttl: number }

const GROWTH = 1.25;          // -f's default: one value per class
const LARGEST_CHUNKED = 1_000_000; // under -I 1m with its header
export const SHORT_TTL = 2;    // gone by the time a restarted server answers
const LONG_TTL = 3600;

export function entries(largest = LARGEST_CHUNKED): Entry[] {
  const out: Entry[] = [];
  for (let n = 1; n <= largest; n = Math.ceil(n * GROWTH) + 1) {
    out.push({ key: `size-${n}`, value: patternBytes(n, n), flags: n % 65536, ttl: 0 });
  }
  out.push({ key: "chunked-600k", value: patternBytes(600_000, 7), flags: 7, ttl: 0 });
  out.push({ key: "chunked-largest", value: patternBytes(largest, 9), flags: 9, ttl: 0 });
  out.push({ key: "long-ttl", value: Buffer.from("stays"), flags: 1, ttl: LONG_TTL });
  return out;
}

export const EXPIRING: Entry = { key: "short-ttl", value: Buffer.from("gone"), flags: 2, ttl: SHORT_TTL };

export async function store(c: SocketClient, e: Entry): Promise<void> {
  const reply = await c.request(Buffer.concat([
    Buffer.from(`set ${e.key} ${e.flags} ${e.ttl} ${e.value.length}\r\n`), e.value, Buffer.from("\r\n"),
  ]));
  if (reply !== "STORED\r\n") throw new Error(`set ${e.key}: ${reply}`);
}

export interface Fetched { value: Buffer; flags: number; cas: string }

/** `gets` one key: undefined on a miss. */
export async function fetch(c: SocketClient, key: string): Promise<Fetched | undefined> {
  await c.send(`gets ${key}\r\n`);
  const line = await c.readLine();
  if (line === "END\r\n") return undefined;
  const m = /^VALUE (\S+) (\d+) (\d+) (\d+)\r\n$/.exec(line);
  if (!m) throw new Error(`gets ${key}: ${line}`);
  const data = await c.readBytes(Number(m[3]) + 2);
  const end = await c.readLine();
  if (end !== "END\r\n") throw new Error(`gets ${key}: ended with ${end}`);
  return { value: data.subarray(0, Number(m[3])), flags: Number(m[2]), cas: m[4] };
}

/** Every key's value, flags and CAS, as a restarted server must give them back. */
export async function snapshot(port: number, keys: string[]): Promise<Map<string, Fetched | undefined>> {
  const c = await SocketClient.connect(port);
  try {
    const out = new Map<string, Fetched | undefined>();
    for (const k of keys) out.set(k, await fetch(c, k));
    return out;
  } finally {
    c.socket.destroy();
  }
}

export async function fill(port: number, list: Entry[]): Promise<void> {
  const c = await SocketClient.connect(port);
  try {
    for (const e of list) await store(c, e);
  } finally {
    c.socket.destroy();
  }
}

const STOP_LIMIT_MS = 60_000;

/** SIGUSR1, and the exit code once the server has saved and gone. */
export async function gracefulStop(server: RunningServer): Promise<number | null> {
  server.proc.kill("SIGUSR1");
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${server.name} still running ${STOP_LIMIT_MS} ms after SIGUSR1:\n${server.stderr()}`)), STOP_LIMIT_MS).unref());
  return Promise.race([server.exited, timer]);
}

/** A directory of its own for one test's -e file; `cleanup` removes it. */
export function imageDir(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "wasmcached-restart-"));
  return { file: join(dir, "cache"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
