// libmemcached's conformance checker: `memccapable -b` (binary) and `-a` (ascii) must pass the
// same tests against wasmcached as against memcached.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { startMemcached, startWasmcached, type RunningServer } from "../helpers/servers.js";

const MEMCCAPABLE = process.env.MEMCCAPABLE_BIN ?? "/usr/bin/memccapable";
const RUN_TIMEOUT_MS = 60000;

interface Outcome {
  passed: string[];
  failed: string[];
}

function memccapable(port: number, mode: "-b" | "-a"): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(MEMCCAPABLE, ["-h", "127.0.0.1", "-p", String(port), "-t", "5", mode], { timeout: RUN_TIMEOUT_MS }, (_err, stdout) => {
      const passed: string[] = [];
      const failed: string[] = [];
      for (const m of stdout.matchAll(/^(.+?)\s+\[(\w+)\]$/gm)) (m[2] === "pass" ? passed : failed).push(m[1].trim());
      resolve({ passed, failed });
    });
  });
}

describe("memccapable (libmemcached-tools)", function () {
  this.timeout(RUN_TIMEOUT_MS * 2);
  let reference: RunningServer | undefined;
  let candidate: RunningServer | undefined;

  before(async function () {
    if (!existsSync(MEMCCAPABLE)) this.skip();
    [reference, candidate] = await Promise.all([startMemcached(), startWasmcached()]);
  });
  after(async () => {
    await Promise.all([reference?.stop(), candidate?.stop()]);
  });

  for (const mode of ["-b", "-a"] as const) {
    it(`memccapable ${mode} passes what it passes against memcached`, async () => {
      const [ref, cand] = await Promise.all([memccapable(reference!.port, mode), memccapable(candidate!.port, mode)]);
      expect(ref.passed.length, "memccapable ran no test against memcached").to.be.greaterThan(20);
      expect(cand.passed).to.deep.equal(ref.passed);
      expect(cand.failed).to.deep.equal(ref.failed);
    });
  }
});
