// Scaling out: Debian's nutcracker (twemproxy) in front of three wasmcached, ketama
// distribution with auto-eject, as README.md's "Scaling out" configures it. A real client
// (pymemcache) sets, gets and multi-gets through the proxy; the keys spread over the three
// servers; one server is killed and the proxy ejects it and keeps serving from the other two.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { startWasmcached, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats } from "../helpers/socket-client.js";

const NUTCRACKER = "/usr/sbin/nutcracker";
const PYTHON = "/usr/bin/python3";
const KEYS = 300;
// The proxy's stats are aggregated this often (ms); the test waits a few intervals for them.
const STATS_INTERVAL_MS = 100;
const START_TIMEOUT_MS = 10000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function accepting(port: number): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      (await SocketClient.connect(port)).destroy();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(20);
    }
  }
}

// The proxy configuration README.md shows: ketama over the servers, ejecting one that fails.
function poolConfig(listen: number, servers: number[]): string {
  return [
    "cache:",
    `  listen: 127.0.0.1:${listen}`,
    // md5 as libmemcached's ketama: fnv1a_64, often shown with ketama, cut to 32 bits gave one
    // of three servers no key at all for keys like user:0..user:299.
    "  hash: md5",
    "  distribution: ketama",
    "  timeout: 400",
    "  auto_eject_hosts: true",
    "  server_retry_timeout: 30000",
    "  server_failure_limit: 1",
    "  servers:",
    ...servers.map((p, i) => `    - 127.0.0.1:${p}:1 wasmcached${i + 1}`),
    "",
  ].join("\n");
}

// Runs a pymemcache script against the proxy; it prints one JSON line.
function pymemcache(port: number, body: string[]): Record<string, unknown> {
  const script = [
    "import json, sys",
    "from pymemcache.client.base import Client",
    "c = Client(('127.0.0.1', int(sys.argv[1])), connect_timeout=2, timeout=2)",
    ...body,
  ].join("\n");
  const r = spawnSync(PYTHON, ["-c", script, String(port)], { encoding: "utf8", timeout: 60000 });
  if (r.status !== 0) throw new Error(`pymemcache script failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

async function proxyStats(port: number): Promise<Record<string, Record<string, unknown>>> {
  const text = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let got = "";
    s.setEncoding("utf8").on("data", (d: string) => (got += d));
    s.once("end", () => resolve(got));
    s.once("error", reject);
  });
  return (JSON.parse(text) as Record<string, Record<string, Record<string, unknown>>>).cache;
}

describe("client: twemproxy (nutcracker) in front of three wasmcached", function () {
  this.timeout(60000);
  let dir: string;
  const servers: RunningServer[] = [];
  let proxy: ChildProcess;
  let port: number;
  let statsPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "twemproxy-"));
    for (let i = 0; i < 3; i++) servers.push(await startWasmcached(["-l", "127.0.0.1"]));
    [port, statsPort] = [await freePort(), await freePort()];
    const conf = join(dir, "nutcracker.yml");
    writeFileSync(conf, poolConfig(port, servers.map((s) => s.port)));
    proxy = spawn(NUTCRACKER, ["-c", conf, "-s", String(statsPort), "-a", "127.0.0.1", "-i", String(STATS_INTERVAL_MS),
      "-o", join(dir, "nutcracker.log"), "-p", join(dir, "nutcracker.pid")], { stdio: "ignore" });
    await accepting(port);
  });
  after(async () => {
    proxy?.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function itemsPerServer(live: RunningServer[]): Promise<number[]> {
    return Promise.all(live.map(async (s) => {
      const c = await SocketClient.connect(s.port);
      const n = Number((await stats(c)).get("curr_items"));
      c.destroy();
      return n;
    }));
  }

  it("sets, gets and multi-gets through the proxy, the keys spread over the three servers", async () => {
    const r = pymemcache(port, [
      `keys = ['user:%d' % i for i in range(${KEYS})]`,
      "stored = sum(1 for k in keys if c.set(k, ('v-' + k).encode(), noreply=False))",
      "hits = sum(1 for k in keys if c.get(k) == ('v-' + k).encode())",
      "many = {}",
      "for i in range(0, len(keys), 50): many.update(c.get_many(keys[i:i + 50]))",
      "right = sum(1 for k, v in many.items() if v == ('v-' + k).encode())",
      "print(json.dumps({'stored': stored, 'hits': hits, 'many': right}))",
    ]);
    expect(r).to.deep.equal({ stored: KEYS, hits: KEYS, many: KEYS });
    const per = await itemsPerServer(servers);
    expect(per.reduce((a, b) => a + b, 0)).to.equal(KEYS);
    for (const n of per) expect(n, `items per server: ${per.join(", ")}`).to.be.greaterThan(KEYS / 10);
  });

  it("ejects a server that dies and keeps serving every key from the other two", async () => {
    const [dead, ...live] = servers;
    const before = await itemsPerServer(live);
    await dead.stop();
    // Requests routed to the dead server fail until the proxy ejects it (at the first failure).
    const probe = pymemcache(port, [
      "failed = 0",
      "for i in range(50):",
      "    try: c.set('probe:%d' % i, b'x', noreply=False)",
      "    except Exception: failed += 1",
      "print(json.dumps({'failed': failed}))",
    ]);
    expect(probe.failed as number).to.be.below(50);
    await sleep(5 * STATS_INTERVAL_MS);
    const pool = await proxyStats(statsPort);
    expect(Number(pool.wasmcached1.server_ejected_at), "the dead server's server_ejected_at").to.be.greaterThan(0);
    expect(Number(pool.server_ejects)).to.be.at.least(1);

    const r = pymemcache(port, [
      `keys = ['after:%d' % i for i in range(${KEYS})]`,
      "stored = sum(1 for k in keys if c.set(k, k.encode(), noreply=False))",
      "hits = sum(1 for k in keys if c.get(k) == k.encode())",
      "many = c.get_many(keys[:100])",
      "old = sum(1 for i in range(300) if c.get('user:%d' % i) is not None)",
      "print(json.dumps({'stored': stored, 'hits': hits, 'many': len(many), 'old': old}))",
    ]);
    expect({ stored: r.stored, hits: r.hits, many: r.many }).to.deep.equal({ stored: KEYS, hits: KEYS, many: 100 });
    // Keys that lived on the two survivors are still there; the dead one's are gone.
    expect(r.old).to.equal(before.reduce((a, b) => a + b, 0));
    const after = await itemsPerServer(live);
    expect(after[0] - before[0] + after[1] - before[1]).to.be.at.least(KEYS);
  });
});
