// -s <path> and -a <mask>: wasmcached on a UNIX domain socket, as PHP and Python deployments on
// one host use memcached. TCP and UDP are off, the socket file has the mask's mode, a real
// client (pymemcache) stores and fetches over it, and `stats conns` / `stats settings` print
// the socket as Debian's memcached does.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { MEMCACHED_BIN, WASMCACHED_CLI } from "../helpers/servers.js";

const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const USER_ARGS = IS_ROOT ? ["-u", "root"] : [];
// Debian's python3 with Debian's python3-pymemcache (.ci/run installs both).
const PYTHON = "/usr/bin/python3";
const START_TIMEOUT_MS = 10000;

interface UnixServer {
  proc: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

async function startOnSocket(cmd: string[], path: string, extra: string[] = []): Promise<UnixServer> {
  const [bin, ...pre] = cmd;
  const proc = spawn(bin, [...pre, ...USER_ARGS, "-s", path, ...extra], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((r) => proc.once("close", () => r()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await connects(path))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`${bin} never listened on ${path}: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    proc,
    stderr: () => err,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

function connects(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ path });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

// Sends `text` on a fresh connection to the socket and returns what arrives until `until`.
function ask(path: string, text: string, until = "END\r\n"): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path });
    let got = "";
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      got += d;
      if (got.endsWith(until)) {
        s.destroy();
        resolve(got);
      }
    });
    s.once("error", reject);
    s.write(text);
  });
}

// `stats conns` with a second client holding a half-sent set, file descriptors masked.
async function conns(path: string): Promise<string[]> {
  const holder = net.connect({ path });
  await new Promise((r) => holder.once("connect", r));
  holder.write("set held 0 0 6\r\n");
  await new Promise((r) => setTimeout(r, 100));
  try {
    const text = await ask(path, "stats conns\r\n");
    return text.split("\r\n").filter((l) => l.startsWith("STAT")).map((l) => l.replace(/^STAT \d+:/, "STAT <fd>:")
      .replace(/secs_since_last_cmd \d+$/, "secs_since_last_cmd <n>"));
  } finally {
    holder.destroy();
  }
}

describe("cli: UNIX domain socket (-s, -a)", function () {
  this.timeout(30000);
  let dir: string;
  let wasm: UnixServer;
  let socket: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-unix-"));
    socket = join(dir, "wasmcached.sock");
    wasm = await startOnSocket([process.execPath, WASMCACHED_CLI], socket, ["-a", "766"]);
  });
  after(async () => {
    await wasm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the socket file with the -a mode and listens on no TCP port", async () => {
    const st = statSync(socket);
    expect(st.isSocket()).to.equal(true);
    expect((st.mode & 0o777).toString(8)).to.equal("766");
    const settings = await ask(socket, "stats settings\r\n");
    expect(settings).to.include(`STAT domain_socket ${socket}\r\n`);
    expect(settings).to.include("STAT umask 766\r\n");
    const listeners = (await conns(socket)).filter((l) => l.includes("conn_listening"));
    expect(listeners).to.have.length(1);
  });

  (IS_ROOT ? it : it.skip)("creates the socket as the -u user, as memcached does", async () => {
    // A directory the dropped user may create the socket in.
    const shared = mkdtempSync(join(tmpdir(), "wasmcached-nobody-"));
    chmodSync(shared, 0o1777);
    const path = join(shared, "as-nobody.sock");
    const server = await startOnSocket([process.execPath, WASMCACHED_CLI], path, ["-u", "nobody"]);
    try {
      expect(statSync(path).uid).to.equal(Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim()));
    } finally {
      await server.stop();
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it("serves pymemcache over the socket: set, get, get_many, incr, delete", function () {
    const script = [
      "import sys",
      "from pymemcache.client.base import Client",
      "c = Client(sys.argv[1])",
      "c.set('greeting', b'hello')",
      "c.set('n', b'41')",
      "assert c.get('greeting') == b'hello', c.get('greeting')",
      "assert c.get_many(['greeting', 'n', 'absent']) == {'greeting': b'hello', 'n': b'41'}",
      "assert c.incr('n', 1) == 42",
      "assert c.delete('greeting') is True",
      "assert c.get('greeting') is None",
      "print('ok')",
    ].join("\n");
    const r = spawnSync(PYTHON, ["-c", script, socket], { encoding: "utf8" });
    expect(r.stderr).to.equal("");
    expect(r.stdout).to.equal("ok\n");
  });

  it("prints stats conns as Debian's memcached does on a UNIX socket", async () => {
    const mcSocket = join(dir, "memcached.sock");
    const mc = await startOnSocket([MEMCACHED_BIN], mcSocket);
    try {
      // Which client got the lower descriptor may differ: the lines are compared as a set.
      const [expected, got] = await Promise.all([conns(mcSocket), conns(socket)]);
      expect(got.sort()).to.deep.equal(expected.map((l) => l.replace(mcSocket, socket)).sort());
    } finally {
      await mc.stop();
    }
  });

  it("removes a socket file left by an earlier run, and refuses a path that is not a socket", async () => {
    const stale = join(dir, "stale.sock");
    const first = await startOnSocket([process.execPath, WASMCACHED_CLI], stale);
    first.proc.kill("SIGKILL");
    await new Promise((r) => first.proc.once("close", r));
    expect(existsSync(stale)).to.equal(true);
    const second = await startOnSocket([process.execPath, WASMCACHED_CLI], stale);
    expect(await ask(stale, "version\r\n", "\r\n")).to.equal("VERSION 1.6.18\r\n");
    await second.stop();
    const r = spawnSync(process.execPath, [WASMCACHED_CLI, ...USER_ARGS, "-s", join(dir)], { encoding: "utf8", timeout: 10000 });
    expect(r.status).to.equal(71);
    expect(r.stderr).to.include(`failed to listen on UNIX socket: ${dir}`);
  });
});
