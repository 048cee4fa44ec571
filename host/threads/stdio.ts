// Worker threads' stdout and stderr, passed on to the process's own only when a worker writes.
//
// Node's default pipes every worker's streams into the main thread's process.stdout and
// process.stderr as the worker is made, which opens those streams; opening one on a pipe sets
// O_NONBLOCK on the pipe's file description, and that description is shared with whoever
// started the server. memcached's t/ suite execs the server on the pipe prove reads the test's
// output from, and the Perl test then failed its own writes with EAGAIN.
import type { Worker } from "node:worker_threads";
import type { Readable } from "node:stream";

/** The options a worker is made with so that its streams come here (Deno and Bun ignore them). */
export const OWN_STDIO = { stdout: true, stderr: true } as const;

export function forwardStdio(worker: Worker): void {
  pass(worker.stdout, (chunk) => process.stdout.write(chunk));
  pass(worker.stderr, (chunk) => process.stderr.write(chunk));
}

function pass(from: Readable | null | undefined, write: (chunk: Uint8Array) => void): void {
  from?.on("data", write);
}
