// The same byte-level protocol cases against every runtime's server: Node, Deno and Bun, each
// spawned with its npm start script's command line, on an ephemeral port learnt through
// MEMCACHED_PORT_FILENAME. What differs between them is the socket glue, so the cases lean
// on what that glue does: split and pipelined input, large and late-read output, half-close,
// close-now, refusal past -c, signals and -u.
import { expect } from "chai";
import { copyFileSync, readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import { join } from "node:path";
import { REPO_ROOT, startServer, type RunningServer } from "../helpers/servers.js";
import { SocketClient, patternBytes, stats } from "../helpers/socket-client.js";
import { roundTrip, VERSION_REPLY } from "../helpers/in-process.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls-certs.js";

const HOSTS = [
  { name: "node", script: "start" },
  { name: "deno", script: "start:deno" },
  { name: "bun", script: "start:bun" },
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

// `npm run <script>` without npm in between, so that signals and the pid are the server's own:
// its leading NAME=value words are the environment, and its program is found where npm would
// find it (node_modules/.bin, or this node).
function scriptCommand(script: string): { env: Record<string, string>; cmd: string; args: string[] } {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const words = pkg.scripts[script].split(/\s+/);
  const env: Record<string, string> = {};
  while (/^\w+=/.test(words[0])) {
    const [name, value] = words.shift()!.split("=", 2);
    env[name] = value;
  }
  const [prog, ...args] = words;
  return { env, cmd: prog === "node" ? process.execPath : join(REPO_ROOT, "node_modules/.bin", prog), args };
}

function start(host: { name: string; script: string }, extra: string[] = []): Promise<RunningServer> {
  const { env, cmd, args } = scriptCommand(host.script);
  return startServer(host.name, cmd, [...args, ...extra], REPO_ROOT, env);
}

function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no user ${name} in /etc/passwd`);
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function procStatus(pid: number, field: string): string[] {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return (line ?? "").slice(field.length + 1).trim().split(/\s+/).filter(Boolean);
}

function valueReply(key: string, flags: number, data: string): string {
  return `VALUE ${key} ${flags} ${data.length}\r\n${data}\r\n`;
}

for (const host of HOSTS) {
  describe(`hosts: ${host.name} (npm run ${host.script})`, function () {
    let server: RunningServer;
    const clients: SocketClient[] = [];

    async function connect(): Promise<SocketClient> {
      const c = await SocketClient.connect(server.port);
      clients.push(c);
      return c;
    }

    before(async () => {
      server = await start(host);
    });
    afterEach(() => {
      for (const c of clients.splice(0)) c.destroy();
    });
    after(() => server?.stop());

    it("serves this runtime: stats names it and reports the spawned process's pid", async () => {
      const s = await stats(await connect());
      expect(s.get("libevent")).to.match(new RegExp(`^${host.name}-\\d`));
      expect(s.get("pid")).to.equal(String(server.proc.pid));
    });

    it("storage commands: set, add, replace, append, prepend, delete", async () => {
      const c = await connect();
      const input = "set st 5 0 3\r\nabc\r\nadd st 0 0 1\r\nx\r\nreplace st 7 0 2\r\nxy\r\nappend st 0 0 1\r\nz\r\n" +
        "prepend st 0 0 1\r\nw\r\nget st\r\ndelete st\r\ndelete st\r\nreplace st 0 0 1\r\nq\r\n";
      expect(await roundTrip(c, input)).to.equal("STORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\n" +
        `${valueReply("st", 7, "wxyz")}END\r\nDELETED\r\nNOT_FOUND\r\nNOT_STORED\r\n`);
    });

    it("incr, decr and touch", async () => {
      const c = await connect();
      expect(await roundTrip(c, "set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 20\r\ntouch n 100\r\nincr nx 1\r\n"))
        .to.equal("STORED\r\n15\r\n0\r\nTOUCHED\r\nNOT_FOUND\r\n");
    });

    it("gets returns a cas unique that cas accepts once", async () => {
      const c = await connect();
      const reply = await roundTrip(c, "set cs 3 0 1\r\na\r\ngets cs\r\n");
      const m = /^STORED\r\nVALUE cs 3 1 (\d+)\r\na\r\nEND\r\n$/.exec(reply);
      expect(m, reply).to.not.equal(null);
      expect(await roundTrip(c, `cas cs 0 0 1 ${m![1]}\r\nb\r\ncas cs 0 0 1 ${m![1]}\r\nc\r\ncas nx 0 0 1 1\r\nd\r\nget cs\r\n`))
        .to.equal(`STORED\r\nEXISTS\r\nNOT_FOUND\r\n${valueReply("cs", 0, "b")}END\r\n`);
    });

    it("pipelining: 300 commands in one write are answered in order", async () => {
      const c = await connect();
      let input = "", want = "";
      for (let i = 0; i < 100; i++) {
        const v = "v".repeat(i % 37) + i;
        input += `set p${i} ${i} 0 ${v.length}\r\n${v}\r\nget p${i}\r\nincr p${i} 1\r\n`;
        want += `STORED\r\n${valueReply(`p${i}`, i, v)}END\r\n${i % 37 === 0 ? `${i + 1}\r\n` : "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"}`;
      }
      expect(await roundTrip(c, input)).to.equal(want);
    });

    it("a 700 KiB value sent in odd-sized pieces is stored and read back intact", async () => {
      const c = await connect();
      const value = patternBytes(700 * 1024, 7);
      await c.sendPieces(Buffer.concat([Buffer.from(`set big 9 0 ${value.length}\r\n`), value, Buffer.from("\r\n")]), 7777);
      expect(await c.readLine()).to.equal("STORED\r\n");
      await c.send("get big\r\n");
      expect(await c.readLine()).to.equal(`VALUE big 9 ${value.length}\r\n`);
      expect((await c.readBytes(value.length)).equals(value)).to.equal(true);
      expect(await c.readBytes(7)).to.deep.equal(Buffer.from("\r\nEND\r\n"));
    });

    it("byte-at-a-time input is parsed as one stream", async () => {
      const c = await connect();
      await c.sendBytewise("set bw 0 0 4\r\nab\r\n\r\nget bw\r\n");
      expect(await c.readUntilText("END\r\n")).to.equal(`STORED\r\n${valueReply("bw", 0, "ab\r\n")}END\r\n`);
    });

    it("noreply commands send nothing", async () => {
      const c = await connect();
      const input = "set nr 0 0 1 noreply\r\na\r\nappend nr 0 0 1 noreply\r\nb\r\ndelete nx noreply\r\n" +
        "touch nr 0 noreply\r\nadd nr 0 0 1 noreply\r\nc\r\nget nr\r\n";
      expect(await roundTrip(c, input)).to.equal(`${valueReply("nr", 0, "ab")}END\r\n`);
    });

    it("errors: unknown command, bad command line, bad data chunk, over-long key", async () => {
      const c = await connect();
      // The long key goes first: as memcached's, a failed get drops the replies queued before it.
      const input = `get ${"k".repeat(251)}\r\nbogus\r\nset e 0 0 abc\r\nset e 0 0 3\r\nabcd\r\nget e\r\n`;
      expect(await roundTrip(c, input)).to.equal("CLIENT_ERROR bad command line format\r\nERROR\r\n" +
        "CLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
    });

    it("stats counts the commands of this connection", async () => {
      const c = await connect();
      const before = await stats(c);
      await roundTrip(c, "get s1 s2 s3\r\nset s1 0 0 1\r\n1\r\n");
      const after = await stats(c);
      expect(Number(after.get("cmd_get")) - Number(before.get("cmd_get"))).to.equal(3);
      expect(Number(after.get("cmd_set")) - Number(before.get("cmd_set"))).to.equal(1);
      expect(Number(after.get("curr_connections"))).to.be.at.least(1);
    });

    it("quit closes after the replies before it, and nothing after it runs", async () => {
      const c = await connect();
      await c.send("set q1 0 0 1\r\nq\r\nquit\r\nset q2 0 0 1\r\nz\r\n");
      expect(await c.waitClosed()).to.equal("STORED\r\n");
      expect(await roundTrip(await connect(), "get q1 q2\r\n")).to.equal(`${valueReply("q1", 0, "q")}END\r\n`);
    });

    it("multi-get answers hits in request order, repeats included, misses left out", async () => {
      const c = await connect();
      let sets = "", keys = "", want = "";
      for (let i = 0; i < 100; i++) {
        sets += `set mg${i} ${i} 0 ${String(i * i).length}\r\n${i * i}\r\n`;
        keys += i % 3 === 0 ? ` mg${i} miss${i}` : ` mg${i}`;
        want += valueReply(`mg${i}`, i, String(i * i));
      }
      await roundTrip(c, sets);
      expect(await roundTrip(c, `get${keys} mg5 mg5\r\n`)).to.equal(`${want}${valueReply("mg5", 5, "25").repeat(2)}END\r\n`);
    });

    it("meta commands: ms, mg with flags, quiet mode and mn", async () => {
      const c = await connect();
      const input = "ms mt 2 T0 F5\r\nhi\r\nmg mt v f s\r\nmg nope v q\r\nmd mt q\r\nmg mt v\r\nmn\r\n";
      expect(await roundTrip(c, input)).to.equal("HD\r\nVA 2 f5 s2\r\nhi\r\nEN\r\nMN\r\n");
    });

    it("an HTTP request closes the connection without a word", async () => {
      const c = await connect();
      await c.send("version\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      expect(await c.waitClosed()).to.equal("");
    });

    it("a client's EOF after pipelined commands: every reply, then the server closes", async () => {
      const c = await connect();
      await c.end("set eof 0 0 1\r\n1\r\nget eof\r\nincr eof 1\r\nset half 0 0 5\r\nab");
      expect(await c.waitClosed()).to.equal(`STORED\r\n${valueReply("eof", 0, "1")}END\r\n2\r\n`);
    });

    it("a 12 MiB reply to a client that reads late, and sent EOF with its request, arrives whole", async () => {
      const c = await connect();
      const value = patternBytes(600 * 1024, 11);
      await c.send(Buffer.concat([Buffer.from(`set bp 1 0 ${value.length}\r\n`), value, Buffer.from("\r\n")]));
      expect(await c.readLine()).to.equal("STORED\r\n");
      // More than the driver's 4 MiB high-water mark stays queued in the server meanwhile.
      c.socket.pause();
      await c.end(`get${" bp".repeat(20)}\r\n`);
      await sleep(300);
      c.socket.resume();
      for (let i = 0; i < 20; i++) {
        expect(await c.readLine()).to.equal(`VALUE bp 1 ${value.length}\r\n`);
        expect((await c.readBytes(value.length + 2)).subarray(0, value.length).equals(value)).to.equal(true);
      }
      expect(await c.waitClosed()).to.equal("END\r\n");
    });

    it("20 clients at once each get their own replies", async () => {
      const all = await Promise.all(Array.from({ length: 20 }, () => connect()));
      const replies = await Promise.all(all.map((c, i) => roundTrip(c, `set cc${i} 0 0 ${String(i).length}\r\n${i}\r\nget cc${i}\r\n`)));
      replies.forEach((r, i) => expect(r).to.equal(`STORED\r\n${valueReply(`cc${i}`, 0, String(i))}END\r\n`));
    });

    it("-u nobody (from the start script): runs as that user and group, root's groups dropped", function () {
      if (!isRoot) this.skip(); // -u only switches users when started as root, as memcached's
      const nobody = userIds("nobody");
      expect(procStatus(server.proc.pid!, "Uid")).to.deep.equal(Array(4).fill(String(nobody.uid)));
      expect(procStatus(server.proc.pid!, "Gid")).to.deep.equal(Array(4).fill(String(nobody.gid)));
      expect(procStatus(server.proc.pid!, "Groups")).to.not.include("0");
    });

    it("SIGTERM closes the clients and exits 0", async () => {
      const c = await connect();
      expect(await c.request("version\r\n")).to.equal(VERSION_REPLY);
      await server.stop();
      expect(await server.exited).to.equal(0);
      await c.waitClosed();
    });
  });

  describe(`hosts: ${host.name} with -c 2`, function () {
    let server: RunningServer;
    const clients: SocketClient[] = [];

    before(async () => {
      server = await start(host, ["-c", "2"]);
    });
    after(async () => {
      for (const c of clients) c.destroy();
      await server?.stop();
    });

    it("refuses the third connection with memcached's error and closes it", async () => {
      const first = await SocketClient.connect(server.port);
      clients.push(first);
      // The start-up probe's connection must have given its slot back first.
      for (let i = 0; (await stats(first)).get("curr_connections") !== "1"; i++) {
        if (i > 100) throw new Error("the start-up probe's connection was never released");
        await sleep(20);
      }
      const second = await SocketClient.connect(server.port);
      clients.push(second);
      expect(await second.request("version\r\n")).to.equal(VERSION_REPLY);
      const third = await SocketClient.connect(server.port);
      clients.push(third);
      expect(await third.waitClosed()).to.equal("ERROR Too many open connections\r\n");
      expect((await stats(first)).get("rejected_connections")).to.equal("1");
    });

    it("SIGINT exits 0", async () => {
      server.proc.kill("SIGINT");
      expect(await server.exited).to.equal(0);
    });
  });
}

// TLS lives in each runtime's socket glue: the same client checks against each.
describe("hosts: TLS (-Z) on each runtime", function () {
  this.timeout(60000);
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates();
  });
  after(() => certs.remove());

  for (const host of HOSTS) {
    it(`${host.name}: serves verified clients, refuses others without disturbing them, refreshes its certificates, and a notls: listener`, async () => {
      const cert = join(certs.dir, `${host.name}.pem`);
      const key = join(certs.dir, `${host.name}.key`);
      copyFileSync(certs.serverCert, cert);
      copyFileSync(certs.serverKey, key);
      const server = await start(host, ["-Z", "-o", `ssl_chain_cert=${cert},ssl_key=${key},ssl_verify_mode=2,ssl_ca_cert=${certs.caCert}`,
        "-l", "127.0.0.1,notls:127.0.0.1:0"]);
      const id = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
      const rogue = { cert: readFileSync(certs.rogueClientCert), key: readFileSync(certs.rogueClientKey) };
      try {
        const c = await SocketClient.connectTls(server.port, id);
        const value = patternBytes(700 * 1024, 3);
        await c.sendPieces(Buffer.concat([Buffer.from(`set big 1 0 ${value.length}\r\n`), value, Buffer.from("\r\n")]), 7777);
        expect(await c.readLine()).to.equal("STORED\r\n");
        const plain = await SocketClient.connect(server.port);
        await plain.send("get big\r\n");
        await plain.waitClosed();
        await SocketClient.connectTls(server.port, rogue).then((r) => r.request("version\r\n")).catch(() => "refused");
        copyFileSync(certs.otherCert, cert);
        copyFileSync(certs.otherKey, key);
        expect(await c.request("refresh_certs\r\n")).to.equal("OK\r\n");
        expect((await stats(c)).get("ssl_handshake_errors")).to.equal("2");
        const fresh = await SocketClient.connectTls(server.port, id);
        expect((fresh.socket as TLSSocket).getPeerCertificate().subject.CN).to.equal("wasmcached-test-2");
        await fresh.end("get big\r\n");
        const reply = await fresh.waitClosed();
        expect(reply.length).to.equal(`VALUE big 1 ${value.length}\r\n`.length + value.length + 7);
        const notls = await SocketClient.connect(server.ports[1]);
        expect(await notls.request("version\r\n")).to.equal(VERSION_REPLY);
        notls.destroy();
        c.destroy();
      } finally {
        await server.stop();
      }
    });
  }
});
