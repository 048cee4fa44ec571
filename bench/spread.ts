// How evenly worker threads share connections (issue 13): a server with -t 4 in this process,
// 32 clients connecting at once, then how many each worker serves (RunningServer
// .connectionsPerWorker). memcached's dispatcher deals them round-robin: 8 each, every time.
// Run it on each runtime; each shares the port its own way (host/README.md, "Threads"):
//
//   node dist/bench/spread.js                  Node 20: every worker listens on one socket's fd
//   deno run -A dist/bench/spread.js           Deno: SO_REUSEPORT, a socket per worker
//   bun dist/bench/spread.js                   Bun: likewise
import net from "node:net";
import { startServer, NODE_RUNTIME, type Runtime } from "../host/node/server.js";

const THREADS = 4;
const CONNECTIONS = 32;
const ROUNDS = 20;
const SETTLE_DEADLINE_MS = 5000;
const POLL_MS = 5;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runtime(): Promise<Runtime> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun) return (await import("../host/bun/runtime.js")).BUN_RUNTIME;
  if (g.Deno) return (await import("../host/deno/runtime.js")).DENO_RUNTIME;
  return NODE_RUNTIME;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

async function settle(count: () => number, want: number): Promise<void> {
  const deadline = Date.now() + SETTLE_DEADLINE_MS;
  while (count() !== want && Date.now() < deadline) await sleep(POLL_MS);
}

async function main(): Promise<void> {
  const rt = await runtime();
  const server = await startServer({ port: -1, listen: ["127.0.0.1"], threads: THREADS }, undefined, rt);
  const perWorker = () => server.connectionsPerWorker!();
  const total = () => perWorker().reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  const spreads: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(server.ports[0])));
      await settle(total, CONNECTIONS);
      const counts = perWorker();
      spreads.push(Math.max(...counts) - Math.min(...counts));
      lines.push(counts.join(" "));
      for (const s of sockets) s.destroy();
      await settle(total, 0);
    }
  } finally {
    await server.close();
  }
  const exact = spreads.filter((s) => s === 0).length;
  process.stdout.write([
    `${rt.version}, ${rt.share.tcp === "fd" ? "one listening fd" : "SO_REUSEPORT"}: ${CONNECTIONS} connections to -t ${THREADS}, ${ROUNDS} rounds`,
    `connections per worker: ${lines.join(" | ")}`,
    `most minus fewest: ${spreads.join(" ")}; ${exact} of ${ROUNDS} rounds exactly even, worst ${Math.max(...spreads)}`,
    "",
  ].join("\n"));
}

await main();
