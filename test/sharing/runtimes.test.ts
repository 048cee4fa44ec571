// The shared-cache load (load.ts) on Deno and Bun, with their node:worker_threads workers and
// with web Workers: the same exact answers as on Node (shared-cache.test.ts runs Node's).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "chai";
import { REPO_ROOT } from "../helpers/servers.js";
import type { LoadSummary } from "./load.js";

const run = promisify(execFile);
const SCRIPT = `${REPO_ROOT}/dist/test/sharing/load-main.js`;
const bin = (name: string) => `${REPO_ROOT}/node_modules/.bin/${name}`;
const ARGV: Record<string, string[]> = { deno: [bin("deno"), "run", "-A", SCRIPT], bun: [bin("bun"), SCRIPT] };
const WORKERS = 4;
const OPS = 20_000;
const SEED = 61206;

describe("sharing: one cache across Deno's and Bun's workers", () => {
  for (const [runtime, [cmd, ...args]] of Object.entries(ARGV)) {
    for (const kind of ["node", "web"]) {
      it(`${runtime}, ${kind === "node" ? "node:worker_threads workers" : "web Workers"}: every value whole, the counter exact, the structures whole`, async () => {
        const { stdout } = await run(cmd, [...args, kind, String(WORKERS), String(OPS), String(SEED)], {
          cwd: REPO_ROOT, timeout: 60_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
        });
        const summary = JSON.parse(stdout.trim().split("\n").pop()!) as LoadSummary;
        expect(summary.problems).to.deep.equal([]);
        expect(summary.counter).to.equal(String(summary.expected));
        expect(summary.expected).to.be.greaterThan(0);
        expect(summary.invariants).to.equal("ok");
        expect(summary.attachedAfter).to.equal(1);
      });
    }
  }
});
