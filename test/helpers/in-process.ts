// An in-process wasmcached on an ephemeral loopback port, plus the connections a test opened
// on it, so one after() hook closes everything.
import { startServer, type RunningServer, type WasmServerOptions } from "../../host/node/server.js";
import type { ServerOptions } from "../../host/options.js";
import type { CoreBuild } from "../../host/wasm.js";
import type { Engine } from "../../host/wasm_engine.js";
import type { CacheEngine } from "../../host/engine_api.js";
import { SocketClient, toBuffer, type Bytes } from "./socket-client.js";

export const VERSION_REPLY = "VERSION 1.6.18\r\n";
const WORKER_THREADS = 4;

export class TestServer<E extends CacheEngine = Engine> {
  readonly server: RunningServer<E>;
  private readonly clients = new Set<SocketClient>();

  private constructor(server: RunningServer<E>) {
    this.server = server;
  }

  /**
   * One thread unless the options say otherwise: these tests reach into `server.engine` and
   * `server.driver`, which serve the connections only then. Servers the tests spawn
   * (servers.ts) run memcached's default four worker threads.
   */
  static async start(options: WasmServerOptions = {}, onShutdown?: () => void, build?: CoreBuild): Promise<TestServer> {
    const server = await startServer({ port: -1, listen: ["127.0.0.1"], threads: 1, ...options }, onShutdown, undefined, build);
    return new TestServer(server);
  }

  /** The same server on the pure-JS twin (`--engine js`), with start()'s default -t 1. */
  static async startJs(options: Partial<ServerOptions> = {}): Promise<TestServer<CacheEngine>> {
    const server = await startServer({ port: -1, listen: ["127.0.0.1"], threads: 1, ...options, engine: "js" });
    return new TestServer(server);
  }

  get port(): number { return this.server.ports[0]; }

  async connect(): Promise<SocketClient> {
    const c = await SocketClient.connect(this.port);
    this.clients.add(c);
    void c.closed.then(() => this.clients.delete(c));
    return c;
  }

  /** Closes every client this helper opened (the server stays up). */
  dropClients(): void {
    for (const c of this.clients) c.destroy();
    this.clients.clear();
  }

  async close(): Promise<void> {
    this.dropClients();
    await this.server.close();
  }
}

/**
 * Sends `input` followed by `version` and returns every reply before VERSION: the sentinel
 * proves the replies are complete and that nothing extra was sent (a noreply that replied).
 */
export async function roundTrip(c: SocketClient, input: Bytes, timeoutMs?: number): Promise<string> {
  await c.send(Buffer.concat([toBuffer(input), Buffer.from("version\r\n")]));
  const reply = await c.readUntilText(VERSION_REPLY, timeoutMs);
  return reply.slice(0, -VERSION_REPLY.length);
}

/**
 * Mocha hooks shared by the protocol suites: one server for the describe block (handed to
 * `onServer` when the suite needs it), a fresh client per test (handed to `onClient`), dropped
 * after each test. The server runs memcached's default four worker threads: these suites talk
 * over sockets only.
 */
export function serverPerSuite(
  onClient: (c: SocketClient) => void,
  options: WasmServerOptions = {},
  onServer?: (srv: TestServer) => void,
): void {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ threads: WORKER_THREADS, ...options });
    onServer?.(srv);
  });
  after(() => srv.close());
  beforeEach(async () => onClient(await srv.connect()));
  afterEach(() => srv.dropClients());
}
