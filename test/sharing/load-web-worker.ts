// load-worker.ts's load in a web Worker (Deno, Bun): the start arrives as the first message.
import { runLoad, type LoadStart } from "./load-worker.js";

const scope = globalThis as unknown as { onmessage: (e: { data: LoadStart }) => void; postMessage(m: unknown): void };
scope.onmessage = (e) => void runLoad(e.data).then((r) => scope.postMessage(r));
