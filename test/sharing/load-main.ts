// The shared-cache load as a program, for the runtimes the tests spawn (Deno, Bun):
//   <runtime> dist/test/sharing/load-main.js <node|web> <workers> <ops> <seed>
// prints the summary as one JSON line.
import { runSharedLoad, type WorkerKind } from "./load.js";

const [kind, workers, ops, seed] = process.argv.slice(2);
const summary = await runSharedLoad(kind as WorkerKind, Number(workers), Number(ops), Number(seed));
console.log(JSON.stringify(summary));
