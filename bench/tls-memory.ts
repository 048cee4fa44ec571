// What an idle connection costs each server, over plain TCP and over TLS: N connections are
// opened, each sends `version` and reads the reply (so a TLS one has finished its handshake and
// holds its session), and the server's RSS growth is divided by N. The figure feeds the memory
// bound's per-connection term (README.md, "Memory bound").
//
//   node dist/bench/tls-memory.js [--connections 2000] [--targets wasmcached,wasmcached-bun,wasmcached-deno,memcached]
import net from "node:net";
import tls from "node:tls";
import { parseArgs } from "node:util";
import { DEFAULT_WASMCACHED_CMD, HOST, rssBytes, sleep, startTarget, stopTarget, type Target } from "./servers.js";
import { validateTargets } from "./server.js";
import { makeBenchCert } from "./tls-cert.js";

const MEMORY_MB = 64;
const BATCH = 50;            // connections opened at once
const SETTLE_MS = 1500;      // lets the server finish with the last batch before RSS is read
const SPARE_CONNS = 64;      // -c above the connections opened: the harness's own probes
const KIB = 1024;

function open(port: number, useTls: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = useTls
      ? tls.connect({ port, host: HOST, rejectUnauthorized: false }, () => s.write("version\r\n"))
      : net.connect({ port, host: HOST }, () => s.write("version\r\n"));
    s.once("data", () => resolve(s));
    s.once("error", reject);
  });
}

async function perConnection(t: Target, n: number, useTls: boolean): Promise<number> {
  await sleep(SETTLE_MS);
  const before = rssBytes(t);
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < n; i += BATCH) {
      sockets.push(...await Promise.all(Array.from({ length: Math.min(BATCH, n - i) }, () => open(t.port, useTls))));
    }
    await sleep(SETTLE_MS);
    return (rssBytes(t) - before) / n;
  } finally {
    for (const s of sockets) s.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { connections: { type: "string", default: "2000" }, targets: { type: "string" } } });
  const n = Number(values.connections);
  const targets = (values.targets ?? "wasmcached,wasmcached-bun,wasmcached-deno,memcached").split(",");
  validateTargets(targets);
  const cert = makeBenchCert();
  console.log(`node dist/bench/tls-memory.js ${process.argv.slice(2).join(" ")}`.trim());
  console.log(`${n} idle connections each, every one after one request; RSS growth per connection`);
  console.log("| target | plain TCP | TLS |");
  console.log("|---|---:|---:|");
  try {
    for (const name of targets) {
      const row: string[] = [];
      for (const useTls of [false, true]) {
        const extraArgs = ["-c", String(n + SPARE_CONNS), ...(useTls ? cert.serverArgs : [])];
        const t = await startTarget(name, { memoryMb: MEMORY_MB, wasmcachedCmd: DEFAULT_WASMCACHED_CMD, extraArgs });
        try {
          if (t.status !== "ok") throw new Error(`${name} did not start: ${t.error}`);
          row.push(`${((await perConnection(t, n, useTls)) / KIB).toFixed(1)} KiB`);
        } finally {
          await stopTarget(t);
        }
      }
      console.log(`| ${name} | ${row.join(" | ")} |`);
    }
  } finally {
    cert.remove();
  }
}

await main();
