// `npm run start:bun`: the wasmcached command line on Bun, serving TCP with Bun.listen.
import { runCli } from "../cli.js";
import { BUN_RUNTIME } from "./runtime.js";

void runCli(BUN_RUNTIME);
