// `npm run start:bun`: the wasmcached command line on Bun, serving TCP with Bun.listen.
import { runCli } from "../cli.js";
import { listenTcp } from "./listen.js";
import { BunTls } from "./tls.js";

const Bun = (globalThis as unknown as { Bun: { version: string } }).Bun;

void runCli({
  version: `bun-${Bun.version}`,
  createTls: (config, material, events) => new BunTls(config, material, events),
  listenTcp,
});
