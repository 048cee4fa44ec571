// The stand-ins memcached's t/ suite runs. timedrun, which wraps every server: the child's exit
// status comes back, a signal sent to timedrun reaches the child, and TIMEDRUN_MAX_SECONDS cuts
// a server that outlives it (so a hanging test file costs minutes, not the suite's 600 s).
// memcached-debug: the server it execs gets the suite's flags less the debug-build one.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../helpers/servers.js";

const TIMEDRUN = join(REPO_ROOT, "dist/test/tsuite/timedrun.js");
const MEMCACHED_DEBUG = join(REPO_ROOT, "test/tsuite/memcached-debug");
const SIGTERM_STATUS = 0x80 | 15;

interface Run { code: number | null; stderr: string; ms: number }

// With `interruptWhen`, SIGINT goes to timedrun once the child has printed that text (its
// trap is set, and timedrun's handlers were installed before the child started).
function timedrun(args: string[], env: NodeJS.ProcessEnv = {}, interruptWhen?: string): Promise<Run> {
  const started = Date.now();
  const proc = spawn(process.execPath, [TIMEDRUN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  proc.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (interruptWhen === undefined || !stdout.includes(interruptWhen)) return;
    interruptWhen = undefined;
    proc.kill("SIGINT");
  });
  return new Promise((resolve) => proc.once("close", (code) => resolve({ code, stderr, ms: Date.now() - started })));
}

describe("tsuite: the timedrun stand-in", function () {
  this.timeout(20000);

  it("exits with the child's status", async () => {
    expect((await timedrun(["600", "sh", "-c", "exit 3"])).code).to.equal(3);
  });

  it("passes a signal on to the child", async () => {
    const r = await timedrun(["600", "sh", "-c", "trap 'kill $!; exit 7' INT; sleep 30 & echo ready; wait"], {}, "ready");
    expect(r.code).to.equal(7);
    expect(r.ms).to.be.below(5000);
  });

  it("stops a child still running after TIMEDRUN_MAX_SECONDS, whatever the suite asked for", async () => {
    const r = await timedrun(["600", "sleep", "30"], { TIMEDRUN_MAX_SECONDS: "1" });
    expect(r.code).to.equal(SIGTERM_STATUS);
    expect(r.ms).to.be.within(900, 5000);
    expect(r.stderr).to.include("sleep still running after 1 s");
  });
});

describe("tsuite: the memcached-debug stand-in", function () {
  it("execs the server with the suite's flags, dropping -o relaxed_privileges wherever it stands", () => {
    const args = ["-m", "64", "-o", "slab_reassign,relaxed_privileges,hashpower=16", "-l", "127.0.0.1 x", "-o", "relaxed_privileges", "-u", "root"];
    // printf as the server: its format, then every argument it was given, one by one.
    const r = spawnSync(MEMCACHED_DEBUG, ["%s|", ...args], { env: { ...process.env, TSUITE_MEMCACHED: "/usr/bin/printf" }, encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("-m|64|-o|slab_reassign,hashpower=16|-l|127.0.0.1 x|-u|root|");
  });
});
