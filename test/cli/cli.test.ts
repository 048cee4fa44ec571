// The `wasmcached` command line as a user or an init script meets it: help and version,
// refused arguments, the root check, the port file, the pid file and SIGTERM.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { SocketClient } from "../helpers/socket-client.js";

// dist/test/cli/cli.test.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CLI = join(ROOT, "dist/host/cli.js");
const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
// As root the CLI, like memcached, insists on -u; as anyone else -u is not needed.
const USER_ARGS = IS_ROOT ? ["-u", "root"] : [];
const EXIT_TIMEOUT_MS = 10000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; exited: Promise<Exit> } {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<Exit>((res) => proc.once("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return { proc, exited };
}

// A command expected to exit on its own.
async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  const { proc, exited } = start(args, env);
  const timer = setTimeout(() => proc.kill("SIGKILL"), EXIT_TIMEOUT_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

async function waitForFile(path: string, timeoutMs = EXIT_TIMEOUT_MS): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return readFileSync(path, "utf8");
}

describe("cli: wasmcached", function () {
  this.timeout(20000);
  let dir: string;
  const running = new Set<ChildProcess>();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-cli-"));
  });
  afterEach(() => {
    for (const p of running) p.kill("SIGKILL");
    running.clear();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("-h prints the options and exits 0", async () => {
    const r = await run(["-h"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^wasmcached \S+ \(memcached 1\.6\.18 compatible\)\n/);
    for (const flag of ["-p, --port=<num>", "-m, --memory-limit=<num>", "-c, --conn-limit=<num>", "-I, --max-item-size=<num>",
      "-s, --unix-socket=<value>", "-a, --unix-mask=<mask>", "-o, --extended", "   - slab_automove:", "   - no_modern:"]) {
      expect(r.stdout).to.include(flag);
    }
  });

  it("-V prints the version and exits 0", async () => {
    const r = await run(["-V"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^wasmcached \d+\.\d+\.\d+ \(memcached 1\.6\.18 compatible\)\n$/);
  });

  it("an unknown flag exits 1 with a message", async () => {
    const r = await run([...USER_ARGS, "--bogus"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("unknown option '--bogus'");
  });

  it("a flag missing its argument exits 1 with a message", async () => {
    const r = await run([...USER_ARGS, "-m"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("argument missing");
  });

  it("an illegal -o suboption exits non-zero naming it", async () => {
    const r = await run([...USER_ARGS, "-p", "0", "-o", "hashpower=16,xyz"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('Illegal suboption "xyz"\n');
  });

  // Message and exit code as Debian's memcached 1.6.18 gives them.
  for (const [args, message, code] of [
    [["-m", "1", "-I", "1m"], "Cannot set item size limit higher than 1/2 of memory max.", 64],
    [["-I", "64k"], "slab_chunk_max (bytes: 524288) cannot be larger than -I (item_size_max 65536)", 64],
    [["-I", "1100k"], "-I (item_size_max: 1126400) must be evenly divisible by slab_chunk_max (bytes: 524288)", 64],
    [["-c", "0"], "Maximum connections must be greater than 0", 1],
    [["-o", "hot_lru_pct=70,warm_lru_pct=40"], "hot_lru_pct + warm_lru_pct cannot be more than 80% combined", 64],
  ] as const) {
    it(`refuses ${args.join(" ")} with memcached's message and exit code ${code}`, async () => {
      const r = await run([...USER_ARGS, "-p", "0", ...args]);
      expect(r.stderr).to.equal(`${message}\n`);
      expect(r.code).to.equal(code);
    });
  }

  (IS_ROOT ? it : it.skip)("as root without -u it refuses to run", async () => {
    const r = await run(["-p", "0"]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include("can't run as root without the -u switch");
  });

  it("with -p -1 it writes the port to MEMCACHED_PORT_FILENAME, serves it, writes -P and exits 0 on SIGTERM", async () => {
    const portFile = join(dir, "ports");
    const pidFile = join(dir, "wasmcached.pid");
    const { proc, exited } = start([...USER_ARGS, "-p", "-1", "-l", "127.0.0.1", "-P", pidFile], { MEMCACHED_PORT_FILENAME: portFile });
    running.add(proc);
    const text = await waitForFile(portFile);
    expect(text).to.match(/^TCP INET: \d+\n$/);
    const port = Number(/TCP INET: (\d+)/.exec(text)![1]);
    expect(port).to.be.within(1, 65535);
    // The temporary name is renamed into place: a reader never sees a half-written file.
    expect(existsSync(`${portFile}.lck`)).to.equal(false);

    const c = await SocketClient.connect(port);
    expect(await c.request("set cli-a 0 0 2\r\nhi\r\nget cli-a\r\n", "END\r\n")).to.equal("STORED\r\nVALUE cli-a 0 2\r\nhi\r\nEND\r\n");
    const stats = await c.request("stats\r\n", "END\r\n");
    expect(stats).to.include(`STAT pid ${proc.pid}\r\n`);
    c.destroy();

    expect(Number((await waitForFile(pidFile)).trim())).to.equal(proc.pid);

    proc.kill("SIGTERM");
    const r = await exited;
    running.delete(proc);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.signal).to.equal(null);
  });

  it("SIGTERM with clients connected still exits 0 and closes them", async () => {
    const portFile = join(dir, "ports2");
    const { proc, exited } = start([...USER_ARGS, "-p", "-1"], { MEMCACHED_PORT_FILENAME: portFile });
    running.add(proc);
    const port = Number(/TCP INET: (\d+)/.exec(await waitForFile(portFile))![1]);
    const c = await SocketClient.connect(port);
    expect(await c.request("version\r\n")).to.equal("VERSION 1.6.18\r\n");
    proc.kill("SIGTERM");
    const r = await exited;
    running.delete(proc);
    expect(r.code, r.stderr).to.equal(0);
    await c.waitClosed();
  });

  it("`shutdown` with -A stops the process with exit code 0", async () => {
    const portFile = join(dir, "ports3");
    const { proc, exited } = start([...USER_ARGS, "-p", "-1", "-A"], { MEMCACHED_PORT_FILENAME: portFile });
    running.add(proc);
    const port = Number(/TCP INET: (\d+)/.exec(await waitForFile(portFile))![1]);
    const c = await SocketClient.connect(port);
    await c.send("shutdown\r\n");
    expect(await c.waitClosed()).to.equal("");
    const r = await exited;
    running.delete(proc);
    expect(r.code, r.stderr).to.equal(0);
  });
});
