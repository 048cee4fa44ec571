// The README's in-process example must run as written: extract it and run it as a module
// inside the package, so that `import ... from "wasmcached"` resolves to this package.
import { expect } from "chai";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";

const ROOT = new URL("../../../", import.meta.url);

function readmeExample(): string {
  const readme = readFileSync(new URL("README.md", ROOT), "utf8");
  const section = readme.slice(readme.indexOf("## In-process API"));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README has no js example under 'In-process API'");
  return match[1];
}

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

  it("is ten lines", () => {
    expect(readmeExample().trim().split("\n")).to.have.length(10);
  });
});
