// The real connection driver (host/driver.ts) over an in-memory transport: what a socket would
// carry, without sockets or timers, so a fuzz run is synchronous and replays exactly. The core
// is the checked (debug) build with a clock the test moves.
//
// Every call into the core's protocol handler is watched: a trap (an abort in the checked
// build, an out-of-bounds access, unreachable) is recorded here whatever the driver then does
// with it, so a driver that learns to recover from traps cannot hide one from the fuzzers.
import { Driver, Connection, Transport } from "../../host/driver.js";
import { Engine } from "../../host/wasm_engine.js";
import { EngineOptions } from "../../host/options.js";
import { createWasmEngine, FakeClock } from "./engine.js";

const MAX_CONNS = 64;

export class MemoryServer {
  readonly traps: unknown[] = [];
  readonly driver: Driver;
  private readonly deferred: (() => void)[] = [];

  private constructor(readonly engine: Engine, readonly clock: FakeClock) {
    const process = engine.process.bind(engine);
    engine.process = (id: number, len: number): number => {
      try {
        return process(id, len);
      } catch (err) {
        this.traps.push(err);
        throw err;
      }
    };
    this.driver = new Driver(engine, {
      maxConns: MAX_CONNS,
      idleTimeout: 0,
      verbose: 0,
      onShutdown: () => {},
      // -R yields resume when settle() runs them, not on a real event loop.
      defer: (fn) => this.deferred.push(fn),
    });
  }

  static async create(options: Partial<EngineOptions> = {}): Promise<MemoryServer> {
    const { engine, clock } = await createWasmEngine(options);
    return new MemoryServer(engine, clock);
  }

  connect(): MemoryConnection {
    return new MemoryConnection(this);
  }

  /** Runs what the driver deferred (connections resuming after a -R yield) until none is left. */
  settle(): void {
    for (let fn = this.deferred.shift(); fn; fn = this.deferred.shift()) fn();
  }

  /** Throws the first trap any protocol call hit. */
  expectNoTrap(context: string): void {
    if (this.traps.length === 0) return;
    const err = this.traps[0];
    throw new Error(`${context}: the core trapped: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  }
}

/** How the server side of a connection ended, as a socket would see it. */
export type Ending = "open" | "end" | "destroy" | "refused";

export class MemoryConnection {
  ending: Ending = "open";
  private readonly chunks: Uint8Array[] = [];
  private taken = 0;
  private readonly conn: Connection | null;

  constructor(private readonly server: MemoryServer) {
    const transport: Transport = {
      write: (bytes) => { this.chunks.push(bytes); },
      pendingBytes: () => 0, // the peer reads everything at once: never backpressure
      end: () => { this.finish("end"); },
      destroy: () => { this.finish("destroy"); },
      pause: () => {},
      resume: () => {},
      addr: () => "tcp:127.0.0.1:40000",
      listenAddr: () => "tcp:127.0.0.1:11211",
    };
    this.conn = server.driver.accept(transport);
    if (!this.conn) this.ending = "refused";
  }

  get closed(): boolean { return this.ending !== "open"; }

  /** One read's worth of bytes arriving, then whatever the driver deferred. */
  send(chunk: Uint8Array): void {
    if (this.closed) return;
    this.conn!.onData(chunk);
    this.server.settle();
  }

  /** The client half-closes: what it sent before is still answered. */
  endInput(): void {
    if (this.closed) return;
    this.conn!.onEnd();
    this.server.settle();
  }

  /** The client goes away (a socket's close event). */
  drop(): void {
    if (this.closed) return;
    this.ending = "destroy";
    this.conn!.onClose();
  }

  /** Everything written to the client so far. */
  output(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** What was written since the last call. */
  takeOutput(): Buffer {
    const out = Buffer.concat(this.chunks.slice(this.taken));
    this.taken = this.chunks.length;
    return out;
  }

  private finish(how: Ending): void {
    if (this.ending === "open") this.ending = how;
  }
}
