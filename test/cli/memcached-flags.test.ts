// memcached's command line as its own test suite and deployments use it, each side by side with
// Debian's memcached: what -h advertises, which -o names start a server and which are refused
// (and with what), what -o no_modern sets, and a -m beyond one WebAssembly memory.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { MEMCACHED_BIN, WASMCACHED_CLI, startServer, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";

const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const USER_ARGS = IS_ROOT ? ["-u", "root"] : [];
const START_WAIT_MS = 8000;
const STARTS_AT_ONCE = 4;

interface Outcome {
  started: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

const SERVERS = {
  memcached: [MEMCACHED_BIN],
  wasmcached: [process.execPath, WASMCACHED_CLI],
} as const;

// Starts a server with `args`: it either writes its port file (started; then it is stopped) or
// exits first, saying why.
function tryStart(server: keyof typeof SERVERS, args: string[]): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "flags-"));
  const portFile = join(dir, "ports");
  const [cmd, ...pre] = SERVERS[server];
  const proc = spawn(cmd, [...pre, ...USER_ARGS, "-l", "127.0.0.1", "-p", "-1", "-U", "0", ...args], {
    env: { ...process.env, MEMCACHED_PORT_FILENAME: portFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const deadline = Date.now() + START_WAIT_MS;
    const done = (started: boolean, code: number | null) => {
      clearInterval(poll);
      rmSync(dir, { recursive: true, force: true });
      resolve({ started, code, stdout, stderr });
    };
    proc.once("close", (code) => done(false, code));
    const poll = setInterval(() => {
      if (!existsSync(portFile) && Date.now() < deadline) return;
      proc.removeAllListeners("close");
      proc.once("close", () => done(existsSync(portFile), null));
      proc.kill("SIGKILL");
    }, 20);
  });
}

describe("cli: memcached's flags, side by side with memcached", function () {
  this.timeout(60000);

  it("-h advertises what memcached's test harness looks for, and only what is served", async () => {
    const help = (await runHelp()).toLowerCase();
    expect(help).to.include("unix-socket"); // -s
    expect(help).to.include("sasl"); // -S
    for (const absent of ["ext_path", "proxy_config", "no_drop_privileges"]) expect(help).to.not.include(absent);
    expect(help).to.not.match(/^memcached 1\.1\./); // the harness takes that for a server without UDP
  });

  // Accepted by both, or refused by both with the same words and exit code.
  const SUBOPTIONS = [
    "no_modern", "modern", "slab_automove", "slab_automove=2", "no_slab_automove", "lru_crawler", "no_lru_crawler",
    "lru_maintainer", "no_lru_maintainer", "slab_reassign", "no_slab_reassign", "track_sizes", "no_hashexpand",
    "maxconns_fast", "no_maxconns_fast", "slab_automove_window=3", "read_buf_mem_limit=1", "watcher_logbuf_size=8",
    "lru_crawler=0",
    "hashexpand", "lru_segmented", "no_lru_segmented", "no_track_sizes", "slab_automove=3", "slab_automove_window=2",
    "hashpower", "read_buf_mem_limit", "relaxed_privileges", "no_such_thing",
  ];
  it(`-o ${SUBOPTIONS.length} suboption forms: the same accepted, the same refused with the same message`, async () => {
    // A few at a time: each wasmcached starts a thread per worker, and 2 cores starting
    // dozens of them at once would take longer than a start may.
    const pairs: Outcome[][] = [];
    for (let i = 0; i < SUBOPTIONS.length; i += STARTS_AT_ONCE) {
      pairs.push(...await Promise.all(SUBOPTIONS.slice(i, i + STARTS_AT_ONCE).map((sub) =>
        Promise.all([tryStart("memcached", ["-o", sub]), tryStart("wasmcached", ["-o", sub])]))));
    }
    SUBOPTIONS.forEach((sub, i) => {
      const [mc, wc] = pairs[i];
      expect(wc.started, `${sub}: ${wc.stdout}${wc.stderr}`).to.equal(mc.started);
      if (mc.started) return;
      expect({ code: wc.code, stdout: wc.stdout, stderr: wc.stderr }, sub)
        .to.deep.equal({ code: mc.code, stdout: mc.stdout, stderr: mc.stderr });
    });
  });

  // stats settings lines -o no_modern changes in wasmcached as in memcached (memcached also
  // switches to the jenkins hash and turns maxconns_fast off: wasmcached keeps murmur3 and
  // always refuses connections over -c with an error, and says so).
  const NO_MODERN_LINES = ["slab_chunk_max", "slab_reassign", "slab_automove", "lru_crawler", "lru_maintainer_thread", "lru_segmented"];
  for (const line of ["no_modern", "no_modern,slab_chunk_max=4096", "slab_chunk_max=4096,no_modern", "no_modern,lru_crawler,slab_automove",
    "no_chunked_items", "no_chunked_items,slab_chunk_max=4096"]) {
    it(`-o ${line}: ${NO_MODERN_LINES.join(", ")} as memcached shows them`, async () => {
      const [mc, wc] = await Promise.all([settingsOf(MEMCACHED_BIN, [], ["-o", line]),
        settingsOf(process.execPath, [WASMCACHED_CLI], ["-o", line])]);
      for (const name of NO_MODERN_LINES) expect(wc.get(name), name).to.equal(mc.get(name));
    });
  }
});

describe("cli: -m beyond one WebAssembly memory (memcached's 64bit.t)", function () {
  this.timeout(30000);
  let server: RunningServer;
  // 64bit.t's setting: memcached counts 2^32 + 32 bytes as allocated already (its test hook),
  // so the 4098 MB limit leaves room for one page only.
  before(async () => {
    server = await startServer("wasmcached", process.execPath, [WASMCACHED_CLI, ...USER_ARGS, "-m", "4098", "-M"],
      undefined, { T_MEMD_INITIAL_MALLOC: "4294967328" });
  });
  after(() => server.stop());

  it("starts, warns on stderr where items will be evicted, and shows the limit asked for", async () => {
    expect(server.stderr()).to.match(/-m 4098 is more than one WebAssembly memory \(4 GiB\) can hold .* about \d+ MB/);
    const c = await SocketClient.connect(server.port);
    expect((await stats(c)).get("limit_maxbytes")).to.equal("4297064448");
    const slabs = await stats(c, "slabs");
    expect(slabs.get("total_malloced")).to.equal("4294967328");
    expect(slabs.get("active_slabs")).to.equal("0");
    c.destroy();
  });

  it("allocates only what it uses: one page, then -M refuses", async () => {
    const c = await SocketClient.connect(server.port);
    const size = 400 * 1024;
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) replies.push(await c.request(`set big${i} 0 0 ${size}\r\n${"a".repeat(size)}\r\n`));
    expect(replies.slice(0, 2)).to.deep.equal(["STORED\r\n", "STORED\r\n"]);
    expect(replies).to.include("SERVER_ERROR out of memory storing object\r\n");
    expect((await stats(c, "slabs")).get("active_slabs")).to.equal("1");
    c.destroy();
  });
});

async function runHelp(): Promise<string> {
  const proc = spawn(process.execPath, [WASMCACHED_CLI, "-h"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  await new Promise((r) => proc.once("close", r));
  return out;
}

async function settingsOf(cmd: string, pre: string[], args: string[]): Promise<Map<string, string>> {
  const server = await startServer(cmd === MEMCACHED_BIN ? "memcached" : "wasmcached", cmd, [...pre, ...USER_ARGS, ...args]);
  try {
    const c = await SocketClient.connect(server.port);
    const s = await stats(c, "settings");
    c.destroy();
    return s;
  } finally {
    await server.stop();
  }
}
