// Operator tools: memcstat (libmemcached-tools) must find every field it finds on memcached.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { startMemcached, startWasmcached, RunningServer } from "../helpers/servers.js";

const MEMCSTAT = "/usr/bin/memcstat";

function fieldNames(port: number): string[] {
  const out = execFileSync(MEMCSTAT, [`--servers=127.0.0.1:${port}`], { encoding: "utf8", timeout: 10000 });
  return out.split("\n").filter((l) => l.startsWith("\t")).map((l) => l.trim().split(":")[0]);
}

describe("operator tools: memcstat", function () {
  let mc: RunningServer;
  let wc: RunningServer;

  before(async function () {
    if (!existsSync(MEMCSTAT)) throw new Error(`${MEMCSTAT} missing: .ci/run installs libmemcached-tools`);
    [mc, wc] = await Promise.all([startMemcached([]), startWasmcached([])]);
  });
  after(async () => {
    await Promise.all([mc?.stop(), wc?.stop()]);
  });

  it("lists the same stats fields, in the same order, as for memcached", () => {
    const expected = fieldNames(mc.port);
    expect(expected.length).to.be.greaterThan(50);
    expect(fieldNames(wc.port)).to.deep.equal(expected);
  });
});
