// `wasmcached --engine js` on the command line: the flag is listed, a bad engine name and the
// options the twin cannot serve are refused before anything listens.
import { spawn } from "node:child_process";
import { expect } from "chai";
import { WASMCACHED_CLI, REPO_ROOT } from "../helpers/servers.js";

const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const USER_ARGS = IS_ROOT ? ["-u", "root"] : [];
const EX_USAGE = 64;
const EXIT_TIMEOUT_MS = 10000;

interface Exit { code: number | null; stdout: string; stderr: string }

function run(args: string[]): Promise<Exit> {
  const proc = spawn(process.execPath, [WASMCACHED_CLI, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), EXIT_TIMEOUT_MS);
  return new Promise((res) => proc.once("close", (code) => {
    clearTimeout(timer);
    res({ code, stdout, stderr });
  }));
}

describe("cli: --engine", function () {
  this.timeout(20000);

  it("-h lists --engine with its default", async () => {
    const r = await run(["-h"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/--engine=<value>\s+wasm \(the WebAssembly core\) or js .*\(default: wasm\)/);
  });

  it("an unknown engine is refused", async () => {
    const r = await run([...USER_ARGS, "-p", "0", "--engine", "java"]);
    expect(r.stderr).to.equal("Invalid value for --engine: java\n -- should be one of wasm, js\n");
    expect(r.code).to.equal(EX_USAGE);
  });

  for (const [args, what] of [
    [["-B", "binary"], "-B binary (the binary protocol)"],
    [["-S"], "-S (SASL authentication)"],
    [["-Y", "/nonexistent"], "-Y (text protocol authentication)"],
    [["-U", "-1"], "-U (UDP)"],
    [["-Z"], "-Z (TLS)"],
  ] as const) {
    it(`--engine js refuses ${args.join(" ")}`, async () => {
      const r = await run([...USER_ARGS, "-p", "0", "--engine", "js", ...args]);
      expect(r.stderr).to.equal(`--engine js serves the text protocol over TCP only: ${what} needs --engine wasm\n`);
      expect(r.code).to.equal(EX_USAGE);
    });
  }
});
