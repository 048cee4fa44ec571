// memjs, a real binary-protocol client (with SASL PLAIN), against wasmcached: the same script of
// operations against memcached and wasmcached must give the same results; with -S, logins
// with the right password work and the others are refused.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import memjs from "memjs";
import { startMemcached, startWasmcached, type RunningServer } from "../helpers/servers.js";

type Client = memjs.Client;

function connect(port: number, auth: { username?: string; password?: string } = {}): Client {
  // No retries and short timeouts: a refusal must show at once, not after reconnects.
  return memjs.Client.create(`127.0.0.1:${port}`, { retries: 0, timeout: 2, conntimeout: 2, logger: { log: () => undefined }, ...auth });
}

const text = (b: Buffer | null | undefined) => (b ? b.toString("latin1") : null);

function statsOf(c: Client): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => c.stats((err, _server, stats) => (err ? reject(err) : resolve(stats ?? {}))));
}

// Everything a client sees from a typical session, as plain data to compare.
async function session(c: Client): Promise<unknown[]> {
  const out: unknown[] = [];
  const note = async (label: string, p: Promise<unknown>) => {
    try {
      const v = await p;
      out.push([label, v && typeof v === "object" && "value" in v ? { ...v, value: text((v as { value: Buffer | null }).value) } : v]);
    } catch (err) {
      out.push([label, "error", String(err)]);
    }
  };
  await note("set", c.set("mj-a", "hello", { expires: 0 }));
  await note("get", c.get("mj-a"));
  await note("get miss", c.get("mj-nx"));
  await note("add existing", c.add("mj-a", "x"));
  await note("add new", c.add("mj-b", "x"));
  await note("replace missing", c.replace("mj-nx", "x"));
  await note("replace", c.replace("mj-b", "y"));
  await note("append", c.append("mj-b", ">"));
  await note("prepend", c.prepend("mj-b", "<"));
  await note("append missing", c.append("mj-nx", ">"));
  await note("get appended", c.get("mj-b"));
  await note("delete", c.delete("mj-b"));
  await note("delete missing", c.delete("mj-b"));
  await note("incr creates", c.increment("mj-c", 5, { initial: 10 }));
  await note("incr", c.increment("mj-c", 5));
  await note("decr", c.decrement("mj-c", 100));
  await note("incr non-numeric", c.increment("mj-a", 1));
  await note("touch", c.touch("mj-a", 100));
  await note("touch missing", c.touch("mj-nx", 100));
  await note("large set", c.set("mj-big", Buffer.alloc(500000, 0x62)));
  const big = await c.get("mj-big");
  out.push(["large get", big.value?.length, big.value?.every((b) => b === 0x62)]);
  await note("too large", c.set("mj-huge", Buffer.alloc(2 * 1024 * 1024, 0x63)));
  const many = await Promise.all(Array.from({ length: 50 }, (_, i) => c.set(`mj-p${i}`, `v${i}`).then(() => c.get(`mj-p${i}`))));
  out.push(["parallel", many.map((r) => text(r.value)).join(",")]);
  const stats = await statsOf(c);
  out.push(["stats names", Object.keys(stats).filter((k) => k !== "libevent").length > 50, stats.version, stats.cmd_get !== undefined]);
  await note("flush", c.flush().then((r) => Object.values(r)));
  await note("get after flush", c.get("mj-a"));
  return out;
}

describe("memjs (binary protocol client)", function () {
  this.timeout(30000);
  let reference: RunningServer | undefined;
  let candidate: RunningServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), "wasmcached-sasl-"));
  const pwdb = join(dir, "users");
  writeFileSync(pwdb, "alice:wonderland\nbob:builder\n");

  after(async () => {
    await Promise.all([reference?.stop(), candidate?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("a session gives the same results from memcached and wasmcached", async () => {
    [reference, candidate] = await Promise.all([startMemcached(), startWasmcached()]);
    const clients = [connect(reference.port), connect(candidate.port)];
    try {
      const [ref, cand] = await Promise.all(clients.map(session));
      expect(cand).to.deep.equal(ref);
    } finally {
      for (const c of clients) c.close();
    }
  });

  describe("SASL PLAIN (-S)", function () {
    let sasl: RunningServer | undefined;
    before(async () => {
      sasl = await startWasmcached(["-S", "-o", `sasl_pwdb=${pwdb}`]);
    });
    after(async () => {
      await sasl?.stop();
    });

    it("the right password logs in, and commands work", async () => {
      const c = connect(sasl!.port, { username: "bob", password: "builder" });
      try {
        expect(await c.set("sasl-k", "v")).to.equal(true);
        expect(text((await c.get("sasl-k")).value)).to.equal("v");
        expect((await statsOf(c)).version).to.equal("1.6.18");
      } finally {
        c.close();
      }
    });

    it("a wrong password is refused", async () => {
      const c = connect(sasl!.port, { username: "alice", password: "looking-glass" });
      try {
        await c.set("sasl-k", "v").then(() => expect.fail("set succeeded"), (err: unknown) => expect(String(err)).to.match(/authentication failed/));
      } finally {
        c.close();
      }
    });

    it("no credentials: the first command is refused", async () => {
      const c = connect(sasl!.port);
      try {
        await c.get("sasl-k").then(() => expect.fail("get succeeded"), (err: unknown) => expect(String(err)).to.match(/authentication failed/));
      } finally {
        c.close();
      }
    });
  });
});
