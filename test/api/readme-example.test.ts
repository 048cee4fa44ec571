// The README's in-process examples must run as written: extract each and run it as a module
// inside the package, so that `import ... from "wasmcached"` resolves to this package. The
// shared-cache example runs on Node, Deno and Bun.
import { expect } from "chai";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";

const ROOT = new URL("../../../", import.meta.url);

function readmeExample(heading = "## In-process API"): string {
  const readme = readFileSync(new URL("README.md", ROOT), "utf8");
  const section = readme.slice(readme.indexOf(heading));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`README has no js example under '${heading}'`);
  return match[1];
}

const SHARED = "### One cache for every worker thread";
const bin = (name: string) => new URL(`node_modules/.bin/${name}`, ROOT).pathname;
const RUNTIME_ARGV: Record<string, (file: string) => [string, string[]]> = {
  node: (file) => [process.execPath, [file]],
  deno: (file) => [bin("deno"), ["run", "-A", file]],
  bun: (file) => [bin("bun"), [file]],
};

describe("README in-process example", () => {
  it("runs as written and prints what its comments say", () => {
    const file = new URL("dist/readme-example.mjs", ROOT);
    writeFileSync(file, readmeExample());
    try {
      const out = execFileSync(process.execPath, [file.pathname], { encoding: "utf8", timeout: 20000 });
      expect(out.trim().split("\n")).to.deep.equal(["hello", "42n", "STORED"]);
    } finally {
      rmSync(file, { force: true });
    }
  });

  for (const [runtime, argv] of Object.entries(RUNTIME_ARGV)) {
    it(`the shared-cache example runs as written on ${runtime}: two workers' increments land in one cache`, () => {
      const file = new URL(`dist/readme-shared-example-${runtime}.mjs`, ROOT);
      writeFileSync(file, readmeExample(SHARED));
      try {
        const [cmd, args] = argv(file.pathname);
        const out = execFileSync(cmd, args, {
          encoding: "utf8", timeout: 30000, cwd: ROOT.pathname, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
        });
        expect(out.trim()).to.equal("2000");
      } finally {
        rmSync(file, { force: true });
      }
    });
  }

  it("is ten lines", () => {
    expect(readmeExample().trim().split("\n")).to.have.length(10);
  });
});
