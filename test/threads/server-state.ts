// What the thread tests read off a running server once a load is over: where the connections
// went, and whether `curr_items` counts exactly the items a metadump reaches. Each waits for a
// condition with a deadline, never for a fixed quiet period: other sessions load this machine.
import type { TestServer } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";

const POLL_MS = 20;
const BUSY = "BUSY currently processing crawler request\r\n";
const DUMP_LINE = /^key=(\S+) exp=-?\d+ la=\d+ cas=\d+ fetch=(?:yes|no) cls=\d+ size=\d+$/;
const DUMP_TIMEOUT_MS = 30_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; throws naming `what` (and the last `detail`) after the deadline. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, detail = () => ""): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`);
    await sleep(POLL_MS);
  }
}

/** Connections each worker serves, once the server has accepted `n` of them (a client's
 * connect resolves when the kernel accepts, before a worker's event loop takes it). */
export async function acceptedPerWorker(srv: TestServer, n: number): Promise<number[]> {
  const perWorker = () => srv.server.connectionsPerWorker!();
  const total = () => perWorker().reduce((a, b) => a + b, 0);
  await until(`${n} connections accepted`, () => total() === n, 10_000, () => `(have ${perWorker().join(" ")})`);
  return perWorker();
}

/** `lru_crawler metadump all`, asked again while the crawler is busy; the keys it lists. */
export async function metadumpKeys(c: SocketClient): Promise<string[]> {
  for (;;) {
    await c.send("lru_crawler metadump all\r\n");
    const first = await c.readUntilText("\r\n", DUMP_TIMEOUT_MS);
    if (first === BUSY) {
      await sleep(POLL_MS);
      continue;
    }
    // Dump lines end in a bare \n, so the first \r\n is END's.
    if (!first.endsWith("END\r\n")) throw new Error(`metadump did not end with END: ${JSON.stringify(first.slice(-80))}`);
    return first.slice(0, -"END\r\n".length).split("\n").filter(Boolean).map((line) => {
      const m = DUMP_LINE.exec(line);
      if (!m) throw new Error(`malformed metadump line ${JSON.stringify(line)}`);
      return m[1];
    });
  }
}

export interface Census { currItems: number; dumped: number; duplicates: number }

async function currItems(c: SocketClient): Promise<number> {
  return Number((await stats(c)).get("curr_items"));
}

// An EXPIRED crawl of every class: what it reclaims is counted but not dumpable.
async function crawlAll(c: SocketClient): Promise<void> {
  await until("the crawler to take a crawl", async () => (await c.request("lru_crawler crawl all\r\n")) === "OK\r\n", DUMP_TIMEOUT_MS);
}

/**
 * Waits until `curr_items` equals the number of distinct keys a metadump lists, with
 * `curr_items` the same before and after the dump. A dump passes by items whose lock is busy
 * (the maintainer's try-locks) and items that expired but are not reclaimed yet, so a
 * mismatch is asked again after a crawl; an item counted but unreachable never settles.
 */
export async function census(c: SocketClient, timeoutMs = 20_000): Promise<Census> {
  let last: Census = { currItems: -1, dumped: -2, duplicates: 0 };
  await until("curr_items to equal the items a metadump reaches", async () => {
    const before = await currItems(c);
    const keys = await metadumpKeys(c);
    const after = await currItems(c);
    const dumped = new Set(keys).size;
    last = { currItems: after, dumped, duplicates: keys.length - dumped };
    if (before === after && dumped === after && last.duplicates === 0) return true;
    await crawlAll(c);
    return false;
  }, timeoutMs, () => JSON.stringify(last));
  return last;
}

/** A client, the worker serving it (0-based), and its address as the server names it. */
export interface Placed { client: SocketClient; worker: number; peer: string }

/**
 * Opens connections one at a time until every worker serves at least `perWorker` of them, and
 * tells which worker took each: the one whose count went up. Nothing else may connect or close
 * meanwhile.
 */
export async function placeClients(srv: TestServer, perWorker: number): Promise<Placed[][]> {
  const counts = () => srv.server.connectionsPerWorker!();
  const byWorker: Placed[][] = counts().map(() => []);
  while (byWorker.some((cs) => cs.length < perWorker)) {
    const before = counts();
    const client = await srv.connect();
    const total = before.reduce((a, b) => a + b, 0) + 1;
    await until("the connection to be accepted", () => counts().reduce((a, b) => a + b, 0) === total);
    const worker = counts().findIndex((n, i) => n > before[i]);
    byWorker[worker].push({ client, worker, peer: `tcp:127.0.0.1:${client.socket.localPort}` });
  }
  return byWorker;
}

/** Opens `n` connections at once. */
export function connectAll(srv: TestServer, n: number): Promise<SocketClient[]> {
  return Promise.all(Array.from({ length: n }, () => srv.connect()));
}

/** Crawls and dumps while `done()` is false, so the crawler walks LRUs the workers are changing. */
export async function crawlAndDumpUntil(c: SocketClient, done: () => boolean): Promise<void> {
  while (!done()) {
    const reply = await c.request("lru_crawler crawl all\r\n");
    if (reply !== "OK\r\n" && reply !== BUSY) throw new Error(`lru_crawler crawl all answered ${JSON.stringify(reply)}`);
    await metadumpKeys(c);
    await stats(c, "items");
    await stats(c, "slabs");
  }
}
