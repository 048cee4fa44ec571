// `npm run start:bun`: the wasmcached command line on Bun, serving TCP with Bun.listen.
import { runCli } from "../cli.js";
import { listenTcp } from "./listen.js";
import { NODE_RUNTIME } from "../node/server.js";

const Bun = (globalThis as unknown as { Bun: { version: string } }).Bun;

void runCli({ version: `bun-${Bun.version}`, createTls: NODE_RUNTIME.createTls, listenTcp });
