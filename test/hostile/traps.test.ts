// Trap recovery (host/README.md, "Traps"): a request, a datagram, a timer or a connection's
// open or close that makes the core trap gets the culprit closed and a report on stderr; the
// engine is kept only when its invariants hold, else reset, and corrupt data is never served.
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { TestServer, roundTrip, VERSION_REPLY } from "../helpers/in-process.js";
import { SocketClient, stats } from "../helpers/socket-client.js";
import { createWasmEngine, getText } from "../helpers/engine.js";
import { breakLruLink, inputIncludes, itemAddress, trapIn, StderrCatcher } from "../helpers/traps.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const SETTLE_MS = 100;

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// A trap report's fixed parts (trap_report.ts).
const RESET = /invariants broken \(.+\): cache reset in \d+\.\d ms/;
const KEPT = /invariants hold \(checked in \d+\.\d ms\): cache kept/;

describe("hostile: traps in the engine (checked build)", function () {
  it("recover() resets an engine whose links were broken mid-request, and keeps a whole one", async () => {
    const { engine } = await createWasmEngine();
    engine.set("kept", "whole");
    expect(engine.recover().outcome).to.equal("intact");
    expect(getText(engine, "kept")).to.equal("whole");

    engine.set("victim", "value");
    breakLruLink(engine, "victim");
    expect(() => engine.delete("victim")).to.throw();
    const r = engine.recover();
    expect(r.outcome).to.equal("reset");
    expect(r.reason).to.be.a("string").and.not.equal("");
    expect(getText(engine, "kept")).to.equal(undefined);
    expect(getText(engine, "victim")).to.equal(undefined);
    expect(engine.set("after", "fresh")).to.equal("STORED");
    expect(getText(engine, "after")).to.equal("fresh");
    engine.checkInvariants();
  });
});

describe("hostile: a request that really traps (a broken link in linear memory)", function () {
  let srv: TestServer;
  let stderr: StderrCatcher;
  // No maintainer or crawler: nothing but the test's own request walks the broken link.
  before(async () => {
    srv = await TestServer.start({ lruMaintainer: false, lruCrawler: false });
  });
  after(() => srv.close());
  beforeEach(() => { stderr = new StderrCatcher(); });
  afterEach(() => stderr.restore());

  it("closes the culprit, resets the cache, re-opens idle clients, closes one mid-value, and keeps serving", async () => {
    const idle = await srv.connect();
    const statsBefore = await stats(idle);
    expect(await roundTrip(idle, "set trap-victim 0 0 5\r\nhello\r\nset trap-other 0 0 5\r\nworld\r\n")).to.equal("STORED\r\nSTORED\r\n");
    const midLine = await srv.connect();
    await midLine.send("get trap-oth");
    const swallowing = await srv.connect();
    await swallowing.send(`set trap-big 0 0 ${2 * 1024 * 1024}\r\n${"b".repeat(1000)}`);
    const culprit = await srv.connect();
    await sleep(SETTLE_MS);

    breakLruLink(srv.server.engine, "trap-victim");
    await culprit.send("delete trap-victim\r\n");
    expect(await culprit.waitClosed()).to.equal("");
    expect(await swallowing.waitClosed()).to.equal("");

    expect(srv.server.driver!.traps).to.equal(1);
    const [report] = stderr.lines();
    expect(report).to.match(/^wasmcached: trap 1 in process serving tcp:127\.0\.0\.1:\d+: RuntimeError: memory access out of bounds; /);
    expect(report).to.include('input "delete trap-victim\\r\\n"');
    expect(report).to.match(RESET);
    expect(report).to.match(/; 2 connections re-opened; 2 closed$/);

    // The rest of a line sent before the reset completes it; nothing of the old cache is served.
    await midLine.send("er\r\n");
    expect(await midLine.readUntilText("END\r\n")).to.equal("END\r\n");
    expect(await roundTrip(idle, "get trap-victim trap-other\r\n")).to.equal("END\r\n");
    expect(await roundTrip(idle, "set after 0 0 1\r\na\r\nget after\r\n")).to.equal("STORED\r\nVALUE after 0 1\r\na\r\nEND\r\n");
    const fresh = await srv.connect();
    expect(await fresh.request("version\r\n")).to.equal(VERSION_REPLY);
    srv.server.engine.checkInvariants();

    // What the host keeps carries over: uptime, pid, runtime name, connection counts.
    const s = await stats(fresh);
    expect(Number(s.get("uptime"))).to.be.at.least(Number(statsBefore.get("uptime")));
    expect(s.get("pid")).to.equal(String(process.pid));
    expect(s.get("libevent")).to.equal(statsBefore.get("libevent"));
    expect(s.get("curr_connections")).to.equal("3");
    expect(Number(s.get("total_connections"))).to.be.at.least(Number(statsBefore.get("total_connections")) + 4);
    expect(s.get("curr_items")).to.equal("1");
  });
});

describe("hostile: a trap that leaves every structure whole", function () {
  let srv: TestServer;
  let stderr: StderrCatcher;
  beforeEach(async () => {
    srv = await TestServer.start();
    stderr = new StderrCatcher();
  });
  afterEach(async () => {
    stderr.restore();
    await srv.close();
  });

  it("in a request: the culprit is closed, the invariants hold, data and the other clients carry on", async () => {
    const other = await srv.connect();
    expect(await roundTrip(other, "set kept 0 0 4\r\ndata\r\n")).to.equal("STORED\r\n");
    const engine = srv.server.engine;
    trapIn(engine, "process", (_id, len) => inputIncludes(engine, "trap-me", len));
    const culprit = await srv.connect();
    await culprit.send("get trap-me\r\n");
    expect(await culprit.waitClosed()).to.equal("");
    const [report] = stderr.lines();
    expect(report).to.match(/^wasmcached: trap 1 in process serving tcp:127\.0\.0\.1:\d+: RuntimeError: unreachable \(test\); input "get trap-me\\r\\n"; /);
    expect(report).to.match(KEPT);
    expect(report).to.match(/; 1 closed$/);
    expect(await roundTrip(other, "get kept\r\n")).to.equal("VALUE kept 0 4\r\ndata\r\nEND\r\n");
    engine.checkInvariants();
  });

  for (const [name, where] of [["maintain", "maintain"], ["clockSet", "clock"]] as const) {
    it(`in the ${where} timer: reported, the timer keeps running, nothing is closed`, async function () {
      this.timeout(10000);
      const c = await srv.connect();
      expect(await roundTrip(c, "set kept 0 0 4\r\ndata\r\n")).to.equal("STORED\r\n");
      let calls = 0;
      trapIn(srv.server.engine, name, () => ++calls === 1);
      await until(`${name} to be called again after the trap`, () => calls >= 2);
      expect(srv.server.driver!.traps).to.equal(1);
      const [report] = stderr.lines();
      expect(report).to.match(new RegExp(`^wasmcached: trap 1 in ${where}: RuntimeError: unreachable \\(test\\); `));
      expect(report).to.match(KEPT);
      expect(report).to.match(/; 0 closed$/);
      expect(await roundTrip(c, "get kept\r\n")).to.equal("VALUE kept 0 4\r\ndata\r\nEND\r\n");
    });
  }

  it("opening a connection: that one is closed, the next is served", async () => {
    let calls = 0;
    trapIn(srv.server.engine, "connOpen", () => ++calls === 1);
    const first = await srv.connect();
    expect(await first.waitClosed()).to.equal("");
    expect(stderr.lines()[0]).to.match(/^wasmcached: trap 1 in connOpen serving tcp:127\.0\.0\.1:\d+: .*; 1 closed$/);
    const second = await srv.connect();
    expect((await stats(second)).get("curr_connections")).to.equal("1");
  });

  it("closing a connection: its slot is still freed", async () => {
    const watcher = await srv.connect();
    const leaving = await srv.connect();
    expect((await stats(watcher)).get("curr_connections")).to.equal("2");
    let calls = 0;
    trapIn(srv.server.engine, "connClose", () => ++calls === 1);
    leaving.destroy();
    await until("the trap report", () => stderr.lines().length === 1);
    expect(stderr.lines()[0]).to.match(/^wasmcached: trap 1 in connClose serving tcp:127\.0\.0\.1:\d+: .*cache kept; 0 closed$/);
    expect((await stats(watcher)).get("curr_connections")).to.equal("1");
  });
});

describe("hostile: a datagram that traps", function () {
  let srv: TestServer;
  let stderr: StderrCatcher;
  let socket: dgram.Socket;
  before(async () => {
    srv = await TestServer.start({ udpPort: -1 });
    socket = dgram.createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    stderr = new StderrCatcher();
  });
  after(async () => {
    stderr.restore();
    socket.close();
    await srv.close();
  });

  // The frame header memcached expects: request id, sequence 0, 1 datagram, reserved.
  function ask(payload: string, waitMs = 1000): Promise<string | null> {
    const header = Buffer.from([0, 7, 0, 0, 0, 1, 0, 0]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.removeAllListeners("message");
        resolve(null);
      }, waitMs);
      socket.once("message", (msg) => {
        clearTimeout(timer);
        resolve(msg.subarray(8).toString("latin1"));
      });
      socket.send(Buffer.concat([header, Buffer.from(payload)]), srv.server.udpPorts[0], "127.0.0.1");
    });
  }

  it("gets no reply and a report naming its sender; the next datagram is served", async () => {
    const engine = srv.server.engine;
    trapIn(engine, "udpProcess", (len) => inputIncludes(engine, "trap-me", len));
    expect(await ask("get trap-me\r\n", 300)).to.equal(null);
    const [report] = stderr.lines();
    expect(report).to.match(new RegExp(`^wasmcached: trap 1 in udp serving udp:127\\.0\\.0\\.1:${socket.address().port}: `));
    expect(report).to.include('input "\\x00\\x07\\x00\\x00\\x00\\x01\\x00\\x00get trap-me\\r\\n"');
    expect(await ask("version\r\n")).to.equal(VERSION_REPLY);
  });
});

describe("hostile: a reset with logins (-Y)", function () {
  let dir: string;
  let srv: TestServer;
  let stderr: StderrCatcher;
  const LOGIN = "set auth 0 0 9\r\nuser pass\r\n";
  const BAD_LOGIN = "set auth 0 0 9\r\nuser word\r\n";

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wasmcached-traps-"));
    writeFileSync(join(dir, "auth"), "user:pass\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    srv = await TestServer.start({ authFile: join(dir, "auth"), bindingProtocol: "ascii", lruMaintainer: false, lruCrawler: false });
    stderr = new StderrCatcher();
  });
  afterEach(async () => {
    stderr.restore();
    await srv.close();
  });

  async function loggedIn(): Promise<SocketClient> {
    const c = await srv.connect();
    expect(await c.request(LOGIN)).to.equal("STORED\r\n");
    return c;
  }

  async function resetByTrap(c: SocketClient): Promise<void> {
    expect(await c.request("set victim 0 0 1\r\nv\r\n")).to.equal("STORED\r\n");
    breakLruLink(srv.server.engine, "victim");
    await c.send("delete victim\r\n");
    await c.waitClosed();
  }

  it("closes every logged-in client, and the credentials carry over to the fresh engine", async () => {
    const other = await loggedIn();
    await resetByTrap(await loggedIn());
    expect(await other.waitClosed()).to.equal("");
    expect(stderr.lines()[0]).to.match(/cache reset in .*; 0 connections re-opened; 2 closed$/);
    const c = await loggedIn();
    expect(await c.request("get victim\r\n")).to.equal("END\r\n");
    const wrong = await srv.connect();
    expect(await wrong.request(BAD_LOGIN)).to.equal("CLIENT_ERROR authentication failure\r\n");
  });

  it("damaged credentials are not carried over: every login fails, and the report says so", async () => {
    const engine = srv.server.engine;
    const c = await loggedIn();
    // Damage the one copy of the file, in the core, before the trap.
    const mem = Buffer.from(engine.memory().buffer);
    mem[mem.indexOf("user:pass", 0, "latin1") + "user:".length] = "P".charCodeAt(0);
    await resetByTrap(c);
    expect(stderr.lines()[0]).to.include("the credentials were damaged: every login fails until a restart");
    for (const login of [LOGIN, "set auth 0 0 9\r\nuser Pass\r\n"]) {
      const c = await srv.connect();
      expect(await c.request(login)).to.equal("CLIENT_ERROR authentication failure\r\n");
    }
  });
});

// itemAddress is what breakLruLink relies on: it must find the item and nothing else.
describe("hostile: trap helpers", function () {
  it("itemAddress finds exactly the item's header", async () => {
    const { engine } = await createWasmEngine();
    engine.set("needle-key", "needle-key");
    const at = itemAddress(engine, "needle-key");
    expect(Buffer.from(engine.memory().buffer, at + 36, 10).toString("latin1")).to.equal("needle-key");
  });
});
