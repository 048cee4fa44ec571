// A running wasmcached on Node: the core, the driver, the TCP listeners and the timers.
// The CLI wraps this; tests and the benchmark start servers in-process with it too.
import os from "node:os";
import { Engine } from "../engine.js";
import { Driver } from "../driver.js";
import { listenTcp, Listener } from "./listen.js";
import { ServerOptions, defaultServerOptions, validateEngineOptions } from "../options.js";
import { readCoreWasm } from "../wasm.js";
import { HostStat } from "../../assembly/host_stats.js";
import { Setting } from "../../assembly/settings.js";

export interface RunningServer {
  engine: Engine;
  driver: Driver;
  /** Bound TCP ports, one per -l address. */
  ports: number[];
  close(): Promise<void>;
}

const ONE_SECOND = 1000;

export async function startServer(options: Partial<ServerOptions> = {}, onShutdown?: () => void): Promise<RunningServer> {
  const opts = { ...defaultServerOptions(), ...options };
  const problem = validateEngineOptions(opts);
  if (problem) throw new Error(problem);
  const engine = await Engine.create(readCoreWasm("release"), opts);
  engine.setHostVersion(`node-${process.versions.node}`);
  let closing: Promise<void> | undefined;
  const driver = new Driver(engine, {
    maxConns: opts.maxConns,
    idleTimeout: opts.idleTimeout,
    verbose: opts.verbose,
    trace: (line) => process.stderr.write(line + "\n"),
    onShutdown: () => (onShutdown ? onShutdown() : void server.close()),
  });
  driver.setStat(HostStat.PID, process.pid);
  driver.setStat(HostStat.THREADS, opts.threads);
  driver.setStat(HostStat.ACCEPTING_CONNS, 1);
  engine.start();
  const tick = setInterval(() => {
    const cpu = process.cpuUsage();
    driver.setStat(HostStat.RUSAGE_USER_US, cpu.user);
    driver.setStat(HostStat.RUSAGE_SYSTEM_US, cpu.system);
    driver.kickIdle(Date.now());
  }, ONE_SECOND);
  tick.unref();
  let listener: Listener | undefined;
  if (opts.port !== 0) listener = await listenTcp(driver, opts.listen, opts.port, opts.backlog);
  engine.setSetting(Setting.CONN_FD_BASE, driver.fdBase());
  const server: RunningServer = {
    engine,
    driver,
    ports: listener?.ports ?? [],
    close() {
      closing ??= (async () => {
        clearInterval(tick);
        engine.stop();
        driver.setStat(HostStat.ACCEPTING_CONNS, 0);
        const done = listener?.close();
        driver.closeAll();
        await done;
      })();
      return closing;
    },
  };
  return server;
}

export function cpuCount(): number { return os.cpus().length; }
