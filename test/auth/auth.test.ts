// Authentication: the text protocol's login (-Y) and binary SASL PLAIN (-S), accepted and
// refused, against Debian's memcached where it can run the same way.
//
// memcached's SASL goes through Cyrus SASL and needs a sasldb made by saslpasswd2 (Debian's
// sasl2-bin); where that tool is missing the SASL cases check wasmcached against the replies
// recorded here from memcached.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  startMemcached, startWasmcached, MEMCACHED_BIN, WASMCACHED_CLI, REPO_ROOT, type RunningServer,
} from "../helpers/servers.js";
import { exchange, exchangeAll } from "../helpers/exchange.js";
import { Op, Status, packet, u32s, parsePackets, normalisePackets } from "../helpers/binary.js";

const SASLPASSWD2 = "/usr/sbin/saslpasswd2";
const QUIET_MS = 80;
const dir = mkdtempSync(join(tmpdir(), "wasmcached-auth-"));
const authfile = join(dir, "authfile");
writeFileSync(authfile, "alice:secret\nbob:pw2\n");
const root = typeof process.getuid === "function" && process.getuid() === 0;
const userArgs = root ? ["-u", "root"] : [];

after(() => rmSync(dir, { recursive: true, force: true }));

// ── -Y ─────────────────────────────────────────────────────────────────────────────────

const loginCases: [name: string, send: string][] = [
  ["any command before logging in", "get a\r\n"],
  ["the right user and password", "set x 0 0 12\r\nalice secret\r\nget a\r\n"],
  ["a wrong password", "set x 0 0 11\r\nalice wrong\r\nget a\r\n"],
  ["a user name only", "set x 0 0 5\r\nalice\r\n"],
  ["a data block not ending in CRLF", "set x 0 0 12\r\nalice secretXX"],
  ["replies to one batch overwrite each other", "set\r\nset x 0 0 12\r\nalice secret\r\n"],
  ["noreply is ignored", "set x 0 0 12 noreply\r\nalice secret\r\nversion\r\n"],
  ["words after the password are ignored", "set x 0 0 10\r\nbob pw2 zz\r\nversion\r\n"],
  ["a length that is not a number", "set x 0 0 abc\r\n"],
  ["a negative length", "set x 0 0 -1\r\n"],
  ["key, flags and exptime are not looked at", "set x y z 7\nbob pw2\r\nversion\r\n"],
  ["logged in, a set is a set", "set x 0 0 7\r\nbob pw2\r\nset x 0 0 7\r\nbob pw2\r\nget x\r\n"],
  ["spaces around the words", "set x 0 0 13\r\n  bob   pw2  \r\n"],
  ["a bare LF in the block", "set x 0 0 7\r\nbob pw2\n\nversion\r\n"],
  ["a length of 2^32-1 wraps", "set x 0 0 4294967295\r\nbob pw2\r\nversion\r\n"],
  ["the command must be set", "sets x 0 0 7\r\nbob pw2\r\n"],
  ["a shorter password", "set x 0 0 6\r\nbob pw\r\n"],
  ["a longer password", "set x 0 0 8\r\nbob pw22\r\n"],
  ["user names are case sensitive", "set x 0 0 7\r\nBOB pw2\r\n"],
  ["a line of 2048 bytes without a newline waits", "x".repeat(2048)],
  ["a longer one closes", "x".repeat(2049)],
  ["the login arriving in pieces", "set x 0 0 7\r\nbob pw2\r\nversion\r\n"],
];

describe("text login (-Y), memcached vs wasmcached", function () {
  this.timeout(30000);
  let reference: RunningServer | undefined;
  let candidate: RunningServer | undefined;
  before(async () => {
    [reference, candidate] = await Promise.all([startMemcached(["-Y", authfile]), startWasmcached(["-Y", authfile])]);
  });
  after(async () => {
    await Promise.all([reference?.stop(), candidate?.stop()]);
  });

  for (const [name, send] of loginCases) {
    it(name, async () => {
      const pieces = name.includes("pieces") ? [...send].map((ch) => ch) : [send];
      // Done once the two replies agree and stay quiet (if they never do, the comparison shows how).
      const [ref, cand] = await exchangeAll([reference!.port, candidate!.port], pieces, {
        quietMs: QUIET_MS, graceMs: QUIET_MS, pauseMs: pieces.length > 1 ? 2 : undefined,
        settled: ([r, c]) => c.data.equals(r.data) && c.closed === r.closed,
      });
      expect(cand.data.toString("latin1")).to.equal(ref.data.toString("latin1"));
      expect(cand.closed).to.equal(ref.closed);
    });
  }

  it("stats count the logins, and settings show the file", async () => {
    const ask = "set x 0 0 7\r\nbob pw2\r\nstats\r\nstats settings\r\n";
    const pick = (b: Buffer) => b.toString("latin1").split("\r\n").filter((l) => /^STAT (auth_|binding_protocol)/.test(l));
    // Both stats replies, however long a loaded machine takes to send them.
    const until = (d: Buffer) => d.toString("latin1").split("END\r\n").length > 2;
    const [ref, cand] = await Promise.all([exchange(reference!.port, [ask], { until }), exchange(candidate!.port, [ask], { until })]);
    expect(pick(cand.data)).to.deep.equal(pick(ref.data));
    expect(pick(cand.data)).to.include(`STAT auth_enabled_ascii ${authfile}`);
  });
});

// ── -S ─────────────────────────────────────────────────────────────────────────────────

const auth = (value: string, mech = "PLAIN") => packet(Op.SASL_AUTH, { key: mech, value });
const step = (value: string, mech = "PLAIN") => packet(Op.SASL_STEP, { key: mech, value });
const cat = (...b: Buffer[]) => Buffer.concat(b);
const noop = packet(Op.NOOP);
const version = packet(Op.VERSION);

interface SaslCase {
  name: string;
  send: Buffer;
  /** What memcached (Cyrus SASL, mech_list: plain) answers: statuses in order, and a close. */
  statuses: number[];
  closes?: boolean;
}

const S = Status;
const saslCases: SaslCase[] = [
  { name: "mechanisms are listed before logging in", send: packet(Op.SASL_LIST_MECHS), statuses: [S.SUCCESS] },
  { name: "version is allowed before logging in", send: version, statuses: [S.SUCCESS] },
  { name: "any other command is refused and the connection closed", send: cat(packet(Op.GET, { key: "k" }), version), statuses: [S.AUTH_ERROR], closes: true },
  { name: "even noop", send: noop, statuses: [S.AUTH_ERROR], closes: true },
  { name: "the right password", send: cat(auth("\0alice\0secret"), packet(Op.SET, { key: "k", extras: u32s(0, 0), value: "v" }), packet(Op.GET, { key: "k" })), statuses: [S.SUCCESS, S.SUCCESS, S.SUCCESS] },
  { name: "a wrong password, then a command", send: cat(auth("\0alice\0nope"), version, noop), statuses: [S.AUTH_ERROR, S.SUCCESS, S.AUTH_ERROR], closes: true },
  { name: "an unknown user", send: cat(auth("\0mallory\0secret"), version), statuses: [S.AUTH_ERROR, S.SUCCESS] },
  { name: "authzid equal to the user", send: cat(auth("alice\0alice\0secret"), noop), statuses: [S.SUCCESS, S.SUCCESS] },
  { name: "authzid of another user", send: cat(auth("bob\0alice\0secret"), noop), statuses: [S.AUTH_ERROR, S.AUTH_ERROR], closes: true },
  { name: "the mechanism name is not case sensitive", send: cat(auth("\0alice\0secret", "plain"), noop), statuses: [S.SUCCESS, S.SUCCESS] },
  { name: "an unknown mechanism", send: cat(auth("", "CRAM-MD5"), version), statuses: [S.AUTH_ERROR, S.SUCCESS] },
  { name: "no initial response: AUTH_CONTINUE, then a step", send: cat(auth(""), step("\0alice\0secret"), noop), statuses: [S.AUTH_CONTINUE, S.SUCCESS, S.SUCCESS] },
  { name: "a step without an exchange", send: cat(step("\0alice\0secret"), version), statuses: [S.AUTH_ERROR, S.SUCCESS] },
  { name: "a failed attempt after a good one logs out", send: cat(auth("\0alice\0secret"), auth("\0alice\0wrong"), noop), statuses: [S.SUCCESS, S.AUTH_ERROR, S.AUTH_ERROR], closes: true },
  { name: "a pending step survives a listing", send: cat(auth(""), packet(Op.SASL_LIST_MECHS), step("\0alice\0secret"), noop), statuses: [S.AUTH_CONTINUE, S.SUCCESS, S.SUCCESS, S.SUCCESS] },
  { name: "listing mechanisms logs out too", send: cat(auth("\0alice\0secret"), packet(Op.SASL_LIST_MECHS), noop), statuses: [S.SUCCESS, S.SUCCESS, S.AUTH_ERROR], closes: true },
  { name: "a password with a NUL", send: cat(auth("\0alice\0secret\0x"), version), statuses: [S.AUTH_ERROR, S.SUCCESS] },
  { name: "no password", send: cat(auth("\0alice"), auth("\0alice\0"), auth("\0\0"), version), statuses: [S.AUTH_ERROR, S.AUTH_ERROR, S.AUTH_ERROR, S.SUCCESS] },
  { name: "a mechanism name over 32 bytes: EINVAL, the connection stays", send: cat(auth("abc", "X".repeat(33)), version), statuses: [S.EINVAL, S.SUCCESS] },
  { name: "auth with extras: EINVAL and close", send: cat(packet(Op.SASL_AUTH, { key: "PLAIN", extras: u32s(0), value: "\0alice\0secret" }), version), statuses: [S.EINVAL], closes: true },
  { name: "list with a key: EINVAL and close", send: cat(packet(Op.SASL_LIST_MECHS, { key: "x" }), version), statuses: [S.EINVAL], closes: true },
  { name: "a long key is refused before it is checked", send: packet(Op.GET, { key: "k".repeat(300) }), statuses: [S.AUTH_ERROR], closes: true },
  { name: "a text command is not a packet", send: Buffer.from("version\r\nversion\r\nversion\r\n"), statuses: [], closes: true },
];

function makeSasldb(): string | null {
  if (!existsSync(SASLPASSWD2)) return null;
  const conf = join(dir, "sasl");
  mkdirSync(conf, { recursive: true });
  const db = join(conf, "sasldb2");
  for (const [user, pass] of [["alice", "secret"], ["bob", "pw2"]]) {
    const r = spawnSync(SASLPASSWD2, ["-p", "-a", "memcached", "-c", "-f", db, user], { input: pass });
    if (r.status !== 0) return null;
  }
  writeFileSync(join(conf, "memcached.conf"), `mech_list: plain\nsasldb_path: ${db}\n`);
  return conf;
}

describe("SASL PLAIN (-S)", function () {
  this.timeout(30000);
  let reference: RunningServer | undefined;
  let candidate: RunningServer | undefined;
  const pwdb = join(dir, "users");
  writeFileSync(pwdb, "alice:secret\nbob:pw2\n");

  before(async () => {
    candidate = await startWasmcached(["-S", "-o", `sasl_pwdb=${pwdb}`]);
    const conf = makeSasldb();
    if (!conf) return;
    const saved = process.env.SASL_CONF_PATH;
    process.env.SASL_CONF_PATH = conf;
    try {
      reference = await startMemcached(["-S"]);
    } finally {
      if (saved === undefined) delete process.env.SASL_CONF_PATH;
      else process.env.SASL_CONF_PATH = saved;
    }
  });
  after(async () => {
    await Promise.all([reference?.stop(), candidate?.stop()]);
  });

  for (const c of saslCases) {
    it(c.name, async () => {
      const cand = await exchange(candidate!.port, [c.send], { quietMs: QUIET_MS });
      expect(parsePackets(cand.data).packets.map((p) => p.status)).to.deep.equal(c.statuses);
      expect(cand.closed).to.equal(!!c.closes);
      if (!reference) return;
      const ref = await exchange(reference.port, [c.send], { quietMs: QUIET_MS });
      expect(normalisePackets(cand.data)).to.equal(normalisePackets(ref.data));
      expect(cand.closed).to.equal(ref.closed);
    });
  }

  it("stats count logins and failures; settings show SASL on", async () => {
    const send = cat(auth("\0alice\0bad"), auth("\0bob\0pw2"), packet(Op.STAT));
    // A stats reply ends with a STAT packet without a key.
    const until = (d: Buffer) => parsePackets(d).packets.some((p) => p.opcode === Op.STAT && p.key.length === 0);
    const { packets } = parsePackets((await exchange(candidate!.port, [send], { until })).data);
    const stats = new Map(packets.filter((p) => p.opcode === Op.STAT).map((p) => [p.key.toString(), p.value.toString()]));
    expect(Number(stats.get("auth_cmds"))).to.be.at.least(2);
    expect(Number(stats.get("auth_errors"))).to.be.at.least(1);
    const settings = parsePackets((await exchange(candidate!.port, [cat(auth("\0bob\0pw2"), packet(Op.STAT, { key: "settings" }))], { until })).data);
    const lines = new Map(settings.packets.map((p) => [p.key.toString(), p.value.toString()]));
    expect(lines.get("auth_enabled_sasl")).to.equal("yes");
    expect(lines.get("binding_protocol")).to.equal("binary");
  });
});

// ── the command line ───────────────────────────────────────────────────────────────────

describe("authentication flags, memcached vs wasmcached", function () {
  this.timeout(30000);
  const badfile = join(dir, "bad");
  writeFileSync(badfile, "alice:secret\nnocolon\n");
  const refusals: string[][] = [
    ["-S", "-B", "ascii"],
    ["-S", "-B", "auto"],
    ["-S", "-U", "11311"],
    ["-Y", authfile, "-B", "binary"],
    ["-Y", authfile, "-B", "auto"],
    ["-Y", authfile, "-U", "11311"],
    ["-Y", join(dir, "missing")],
    ["-Y", badfile],
  ];
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: REPO_ROOT, timeout: 5000, encoding: "utf8" });
    return { status: r.status, stderr: r.stderr };
  };
  for (const args of refusals) {
    it(`refuses ${args.join(" ").replace(dir, "<dir>")}`, () => {
      const common = [...userArgs, "-l", "127.0.0.1", "-p", "-1", ...args];
      const ref = run(MEMCACHED_BIN, common);
      const cand = run(process.execPath, [WASMCACHED_CLI, ...common]);
      expect(ref.status, "memcached should refuse").to.not.equal(0);
      expect(cand.stderr).to.equal(ref.stderr);
      expect(cand.status).to.equal(ref.status);
    });
  }
});
