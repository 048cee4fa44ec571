// `npm run start:deno`: the wasmcached command line on Deno.
//
// Sockets are Deno's node:net, through the Node adapter (host/node/listen.ts), rather than an
// adapter of their own on Deno.listen: measured with bench/server.ts, node:net served 0.9-1.6x
// the requests per second of a Deno.listen adapter and 5-27% more per server CPU-second, and it
// leaves one copy of the socket glue to maintain.
// Run with -A: the flags name files to read and write (-P, -Y, MEMCACHED_PORT_FILENAME),
// -u needs FFI and -d starts Deno again.
import { runCli } from "../cli.js";
import { DENO_RUNTIME } from "./runtime.js";

interface DenoApi {
  mainModule: string;
  addSignalListener(signal: "SIGUSR1", handler: () => void): void;
  execPath(): string;
  dlopen(path: string, symbols: Record<string, { parameters: string[]; result: string }>): {
    symbols: Record<string, (...args: unknown[]) => number>;
    close(): void;
  };
}

const Deno = (globalThis as unknown as { Deno: DenoApi }).Deno;

// Deno's process has no initgroups; glibc's is one FFI call away.
function initgroups(user: string, gid: number): void {
  const libc = Deno.dlopen("libc.so.6", { initgroups: { parameters: ["buffer", "u32"], result: "i32" } });
  try {
    if (libc.symbols.initgroups(new TextEncoder().encode(`${user}\0`), gid) !== 0) {
      throw new Error(`initgroups(${user}, ${gid}) failed`);
    }
  } finally {
    libc.close();
  }
}

void runCli({
  ...DENO_RUNTIME,
  relaunch: [Deno.execPath(), "run", "-A", Deno.mainModule],
  initgroups,
  onSigusr1: (handler) => Deno.addSignalListener("SIGUSR1", handler),
});
