// Security defaults of the `wasmcached` command (README.md, "Deployment and security"): it
// listens on loopback only unless -l says otherwise, has UDP off unless -U turns it on, and
// touches no file but those its flags and MEMCACHED_PORT_FILENAME name, all at start-up.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { SocketClient } from "../helpers/socket-client.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(ROOT, "dist/host/cli.js");
const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const USER_ARGS = IS_ROOT ? ["-u", "root"] : [];
const START_TIMEOUT_MS = 10000;
const LOOPBACK_V4 = "0100007F"; // 127.0.0.1 as /proc/net/tcp writes it
const ANY_V4 = "00000000";
const TCP_LISTEN = "0A";

interface Server {
  proc: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

async function waitForFile(path: string): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return readFileSync(path, "utf8");
}

/** The CLI as a user runs it: only the flags given, the port learnt from the port file. */
async function start(dir: string, args: string[]): Promise<Server> {
  const portFile = join(dir, "ports");
  rmSync(portFile, { force: true });
  const proc = spawn(process.execPath, [CLI, ...USER_ARGS, ...args], {
    cwd: dir,
    env: { ...process.env, HOME: dir, TMPDIR: dir, MEMCACHED_PORT_FILENAME: portFile },
    stdio: ["ignore", "ignore", "ignore"],
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const port = Number(/^TCP INET: (\d+)$/m.exec(await waitForFile(portFile))![1]);
  return { proc, port, exited };
}

/** Where a descriptor points; "" when it was closed after its directory was listed. */
function linkOf(path: string): string {
  try {
    return readlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

/** The inodes of the sockets a process has open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(linkOf(`/proc/${pid}/fd/${fd}`));
    if (m) out.add(m[1]);
  }
  return out;
}

interface NetEntry { address: string; port: number; state: string }

/** The entries of /proc/net/<table> (tcp, tcp6, udp, udp6) that belong to process `pid`. */
function socketsOf(pid: number, table: string): NetEntry[] {
  const mine = socketInodes(pid);
  return readFileSync(`/proc/net/${table}`, "utf8").split("\n").slice(1).filter(Boolean)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => mine.has(f[9]))
    .map((f) => {
      const [address, port] = f[1].split(":");
      return { address, port: parseInt(port, 16), state: f[3] };
    });
}

describe("cli: security defaults", function () {
  this.timeout(20000);
  let dir: string;
  let server: Server | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-security-"));
  });
  afterEach(async () => {
    server?.proc.kill("SIGKILL");
    await server?.exited;
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 only, unless -l names another address", async () => {
    server = await start(dir, ["-p", "-1"]);
    const listening = [...socketsOf(server.proc.pid!, "tcp"), ...socketsOf(server.proc.pid!, "tcp6")]
      .filter((s) => s.state === TCP_LISTEN);
    expect(listening).to.deep.equal([{ address: LOOPBACK_V4, port: server.port, state: TCP_LISTEN }]);
    server.proc.kill("SIGKILL");
    await server.exited;

    server = await start(dir, ["-p", "-1", "-l", "0.0.0.0"]);
    expect(socketsOf(server.proc.pid!, "tcp").filter((s) => s.state === TCP_LISTEN).map((s) => s.address)).to.deep.equal([ANY_V4]);
  });

  it("opens no UDP socket unless -U asks for one", async () => {
    server = await start(dir, ["-p", "-1"]);
    expect([...socketsOf(server.proc.pid!, "udp"), ...socketsOf(server.proc.pid!, "udp6")]).to.deep.equal([]);
    server.proc.kill("SIGKILL");
    await server.exited;

    server = await start(dir, ["-p", "-1", "-U", "-1"]);
    expect(socketsOf(server.proc.pid!, "udp").map((s) => s.address)).to.deep.equal([LOOPBACK_V4]);
  });

  it("touches only the files its flags name, at start-up: no command reads or writes one", async () => {
    writeFileSync(join(dir, "authfile"), "user:pass\n");
    const pidFile = join(dir, "wasmcached.pid");
    server = await start(dir, ["-p", "-1", "-A", "-Y", join(dir, "authfile"), "-P", pidFile]);
    await waitForFile(pidFile);
    const c = await SocketClient.connect(server.port);
    expect(await c.request("set login 0 0 9\r\nuser pass\r\n")).to.equal("STORED\r\n");
    // Every command family, the admin ones that read or write state included.
    const session = [
      "set k 0 0 1\r\nv\r\n", "get k\r\n", "gets k\r\n", "append k 0 0 1\r\nw\r\n", "incr n 1\r\n", "touch k 10\r\n",
      "mg k v\r\n", "ms m 1\r\nx\r\n", "md m\r\n", "ma n\r\n", "me k\r\n", "mn\r\n",
      "stats\r\n", "stats settings\r\n", "stats items\r\n", "stats slabs\r\n", "stats sizes\r\n", "stats conns\r\n",
      "stats detail on\r\n", "stats detail dump\r\n", "stats cachedump 1 10\r\n", "stats reset\r\n",
      "lru_crawler metadump all\r\n", "lru_crawler crawl all\r\n", "lru mode flat\r\n", "slabs automove 1\r\n",
      "slabs reassign 1 2\r\n", "cache_memlimit 100\r\n", "verbosity 1\r\n", "flush_all\r\n", "delete k\r\n",
    ].join("");
    await c.send(session + "version\r\n");
    await c.readUntil("VERSION 1.6.18\r\n", 5000);
    const watcher = await SocketClient.connect(server.port);
    expect(await watcher.request("set login 0 0 9\r\nuser pass\r\n")).to.equal("STORED\r\n");
    expect(await watcher.request("watch\r\n")).to.equal("OK\r\n");
    expect(await c.request("get k\r\n", "END\r\n")).to.equal("END\r\n");

    // While serving, the process has no file open: only sockets, pipes, event fds and /dev/null.
    const open = readdirSync(`/proc/${server.proc.pid}/fd`).map((fd) => readlinkSync(`/proc/${server!.proc.pid}/fd/${fd}`));
    expect(open.filter((target) => !/^(socket|pipe|anon_inode):|^\/dev\/null$/.test(target))).to.deep.equal([]);

    await c.send("shutdown\r\n");
    expect(await server.exited).to.equal(0);
    expect(readdirSync(dir).sort()).to.deep.equal(["authfile", "ports", "wasmcached.pid"]);
  });
});

// The core is a WebAssembly module: it can reach nothing but what it imports: the shared memory
// every thread's instance works on (assembly/layout/thread.ts) and a clock that times lock
// waits (assembly/locks/wait_clock.ts).
describe("cli: what the core can reach", function () {
  it("the release core imports only its memory and a clock; the checked one those and abort", () => {
    const imports = (build: string) => {
      const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; imports(m: object): { module: string; name: string }[] } } }).WebAssembly;
      return wasm.Module.imports(new wasm.Module(readFileSync(join(ROOT, "build", build)))).map((i) => `${i.module}.${i.name}`);
    };
    expect(imports("core.wasm").sort()).to.deep.equal(["env.memory", "env.monotonicNs"]);
    expect(imports("core.debug.wasm").sort()).to.deep.equal(["env.abort", "env.memory", "env.monotonicNs"]);
  });
});
