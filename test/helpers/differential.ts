// The differential harness: every case of a corpus is sent, byte for byte, to Debian's memcached
// (the reference) and to each candidate (wasmcached, and for the text corpora its pure-JS twin,
// --engine js, too), each on a fresh connection, and the replies must be identical in normal
// form (normal-form.ts; binary.ts for packets) with the same connection-closed status. A text
// or meta case also records memcached's own reply (`expect`), which is checked against memcached,
// so the corpus doubles as a record of what 1.6.18 really does. A dialect says how one family of
// corpora is normalised, timed and run.
import { expect } from "chai";
import { startMemcached, startWasmcached, type RunningServer } from "./servers.js";
import { exchangeAll, splitBytes, type Exchange, type Piece } from "./exchange.js";
import { SocketClient, toBuffer } from "./socket-client.js";
import { jsTwinSkip } from "./js-twin-skips.js";
import { normalisePackets } from "./binary.js";
import { mismatch, normaliseMeta, normaliseText, shown, type Normalised } from "./normal-form.js";

export interface Case {
  name: string;
  /** One write, or pieces written `pauseMs` apart (a function echoes something received). */
  send: Piece | Piece[];
  /**
   * memcached's reply in normal form, or a pattern for its normal form's text. Write CAS values
   * as <cas1>, <cas2>… in order of first appearance; version text (and stat values where the
   * dialect masks them) as anything.
   */
  expect?: string | RegExp;
  /** memcached closes the connection (default: it stays open). */
  closes?: boolean;
  /** Extra server arguments; cases with equal arguments share one set of servers. */
  serverArgs?: string[];
  /** Gets its own set of servers: the case changes or reads server-wide state. */
  isolate?: boolean;
  /** Cases naming the same instance share a set of servers of their own, unflushed, in order. */
  instance?: string;
  /** Every server must exit after the case (shutdown). Implies `isolate`. */
  serverExits?: boolean;
  /** Pause after each piece, or after piece i the i-th of a list. */
  pauseMs?: number | number[];
  /** Silence that ends the reply, instead of the dialect's. */
  quietMs?: number;
  /** Also run the case with every byte written on its own. */
  bytewise?: boolean;
  /** Compare stat values too, not just the names (text and binary dialects). */
  statValues?: boolean;
}

interface Candidate {
  name: string;
  start(args: string[]): Promise<RunningServer>;
  /** Why this candidate sits a case out (undefined: it runs it). */
  skips?(c: Case): string | undefined;
}

const WASMCACHED: Candidate = { name: "wasmcached", start: startWasmcached };
const JS_TWIN: Candidate = {
  name: "wasmcached --engine js",
  start: (args) => startWasmcached([...args, "--engine", "js"]),
  skips: jsTwinSkip,
};

export interface Dialect {
  /** The reply in normal form: what memcached's and a candidate's must have in common. */
  normalise(reply: Buffer, c: Case): Normalised;
  candidates: readonly Candidate[];
  /** Silence that ends replies that agree when the case records nothing to wait for. */
  quietMs: number;
  /** Whether cases record memcached's reply and closed status (binary cases record nothing). */
  recordsReplies: boolean;
  /** Whether a text flush_all runs between cases that share servers (-B binary refuses text). */
  flushes: boolean;
}

const TEXT_QUIET_MS = 200;
const META_QUIET_MS = 250;
const BINARY_QUIET_MS = 80;
// Once the replies are what the case records, this much silence shows that nothing follows.
const GRACE_MS = 60;
// The longest the replies may take to agree; a case whose replies never do fails after it.
const MAX_MS = 10000;

/** The text protocol, on both engines. */
export const TEXT: Dialect = {
  normalise: (reply, c) => normaliseText(reply, { statValues: c.statValues }),
  candidates: [WASMCACHED, JS_TWIN],
  quietMs: TEXT_QUIET_MS,
  recordsReplies: true,
  flushes: true,
};

/** The meta protocol and the operator commands, on the WASM engine (the twin serves neither). */
export const META: Dialect = {
  normalise: (reply) => normaliseMeta(reply),
  candidates: [WASMCACHED],
  quietMs: META_QUIET_MS,
  recordsReplies: true,
  flushes: true,
};

/** The binary protocol, on the WASM engine. */
export const BINARY: Dialect = {
  normalise: (reply, c) => ({ text: normalisePackets(reply, { statValues: c.statValues }), times: [] }),
  candidates: [WASMCACHED],
  quietMs: BINARY_QUIET_MS,
  recordsReplies: false,
  flushes: false,
};

interface Servers {
  reference: RunningServer;
  /** One per candidate, in the same order. */
  candidates: RunningServer[];
  stop(): Promise<void>;
}

async function startServers(args: string[], candidates: readonly Candidate[]): Promise<Servers> {
  // memcached listens everywhere by default, wasmcached on loopback; `stats settings` shows it.
  if (!args.includes("-l")) args = [...args, "-l", "127.0.0.1"];
  const started = await Promise.allSettled([startMemcached(args), ...candidates.map((c) => c.start(args))]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  const [reference, ...running] = started.map((s) => (s as PromiseFulfilledResult<RunningServer>).value);
  return {
    reference,
    candidates: running,
    stop: async () => {
      await Promise.all([reference, ...running].map((s) => s.stop()));
    },
  };
}

/** memcached and wasmcached side by side, for tests that drive the two themselves. */
export async function startPair(args: string[]): Promise<{ reference: RunningServer; candidate: RunningServer; stop(): Promise<void> }> {
  const { reference, candidates: [candidate], stop } = await startServers(args, [WASMCACHED]);
  return { reference, candidate, stop };
}

interface Group {
  args: string[];
  isolated: boolean;
  instance?: string;
  cases: Case[];
}

function groupCases(cases: readonly Case[]): Group[] {
  const shared = new Map<string, Group>();
  const groups: Group[] = [];
  for (const c of cases) {
    const args = c.serverArgs ?? [];
    if (c.isolate || c.serverExits) {
      groups.push({ args, isolated: true, cases: [c] });
      continue;
    }
    const key = JSON.stringify([args, c.instance ?? ""]);
    let g = shared.get(key);
    if (!g) {
      g = { args, isolated: c.instance !== undefined, instance: c.instance, cases: [] };
      shared.set(key, g);
      groups.push(g);
    }
    g.cases.push(c);
  }
  return groups;
}

/**
 * Flushing between cases keeps a mistaken key reuse from leaking state. Not with -C: there an
 * immediate flush also hides items stored later in the same second (no CAS to tell them apart),
 * and not with -F, which refuses flush_all; those groups rely on their cases using distinct keys.
 */
function flushesBetweenCases(d: Dialect, g: Group): boolean {
  return d.flushes && !g.isolated && !g.args.includes("-C") && !g.args.includes("-F");
}

/** One mocha `it` per case (and per bytewise run), grouped by the servers they share. */
export function describeCorpus(title: string, cases: readonly Case[], d: Dialect): void {
  describe(`${title} (memcached vs ${d.candidates.map((c) => c.name).join(" and ")})`, function () {
    for (const g of groupCases(cases)) describeGroup(d, g);
  });
}

function describeGroup(d: Dialect, g: Group): void {
  const label = g.args.length ? `server ${g.args.join(" ")}` : "default server";
  describe(g.instance ? `${label}, instance "${g.instance}"` : g.isolated ? `${label}, own instance` : label, function () {
    let servers: Servers | undefined;
    const controls: SocketClient[] = [];
    before(async function () {
      this.timeout(30000);
      servers = await startServers(g.args, d.candidates);
      if (flushesBetweenCases(d, g)) {
        for (const s of [servers.reference, ...servers.candidates]) controls.push(await SocketClient.connect(s.port));
      }
    });
    after(async function () {
      this.timeout(15000);
      for (const c of controls) c.destroy();
      await servers?.stop();
    });
    beforeEach(async function () {
      await Promise.all(controls.map(flush));
    });
    for (const c of g.cases) {
      const skipped = d.candidates.flatMap((cand) => {
        const why = cand.skips?.(c);
        return why ? [`${cand.name} skipped: ${why}`] : [];
      });
      const name = skipped.length ? `${c.name} [${skipped.join("; ")}]` : c.name;
      it(name, () => runCase(servers!, d, c, asPieces(c.send), c.pauseMs));
      if (c.bytewise) it(`${name} (byte by byte)`, () => runCase(servers!, d, c, splitBytes(asPieces(c.send)), 1));
    }
  });
}

async function flush(conn: SocketClient): Promise<void> {
  conn.write("flush_all\r\n");
  await conn.readUntil("OK\r\n");
}

function asPieces(send: Piece | Piece[]): Piece[] {
  return Array.isArray(send) ? send : [send];
}

/**
 * Every server gets the case on a fresh connection, side by side, and the replies are complete
 * once memcached's is what the case records (if it records one) and every candidate's agrees
 * with it, closed status included: then a grace period of silence shows that nothing follows,
 * or, with no record to go by, the dialect's quiet period. Replies that do not agree yet are
 * waited for (up to MAX_MS), never cut short by a quiet spell: on a loaded machine a server
 * working through a large value or a long stats reply can fall silent midway.
 */
async function runCase(servers: Servers, d: Dialect, c: Case, pieces: Piece[], pauseMs?: number | number[]): Promise<void> {
  const running = d.candidates.flatMap((cand, i) => (cand.skips?.(c) ? [] : [{ cand, server: servers.candidates[i] }]));
  const record = d.recordsReplies ? recordOf(d, c) : undefined;
  const quietMs = c.quietMs ?? d.quietMs;
  const [ref, ...replies] = await exchangeAll([servers.reference, ...running.map((r) => r.server)].map((s) => s.port), pieces, {
    pauseMs,
    quietMs,
    graceMs: record === undefined ? quietMs : GRACE_MS,
    maxMs: MAX_MS,
    settled: (all) => agree(d, c, record, all),
  });
  const refN = d.normalise(ref.data, c);
  if (!c.serverExits) expectAlive([servers.reference, ...servers.candidates]);
  if (d.recordsReplies) checkRecord(c, ref, refN, record);
  running.forEach(({ cand }, i) => {
    const candN = d.normalise(replies[i].data, c);
    const bad = mismatch(candN, refN);
    expect(bad === null ? shown(refN) : shown(candN), `${cand.name}'s reply differs from memcached's (${bad}; + memcached, - ${cand.name})`)
      .to.equal(shown(refN));
    expect(replies[i].closed, `${cand.name}'s connection-closed status differs from memcached's`).to.equal(ref.closed);
  });
  if (c.serverExits) await expectExit([servers.reference, ...running.map((r) => r.server)]);
}

/** The case's record of memcached's reply: a normal form, or a pattern for its text. */
function recordOf(d: Dialect, c: Case): Normalised | RegExp | undefined {
  return typeof c.expect === "string" ? d.normalise(toBuffer(c.expect), c) : c.expect;
}

/** memcached's reply is the recorded one (closing as recorded), and every candidate's is memcached's. */
function agree(d: Dialect, c: Case, record: Normalised | RegExp | undefined, [ref, ...candidates]: Exchange[]): boolean {
  const refN = d.normalise(ref.data, c);
  if (record instanceof RegExp ? !record.test(refN.text) : record && mismatch(refN, record) !== null) return false;
  if (d.recordsReplies && ref.closed !== !!c.closes) return false;
  return candidates.every((r) => r.closed === ref.closed && mismatch(d.normalise(r.data, c), refN) === null);
}

function checkRecord(c: Case, ref: Exchange, refN: Normalised, record: Normalised | RegExp | undefined): void {
  const why = "memcached itself does not reply as the case records (fix the case; + case, - memcached)";
  if (record instanceof RegExp) {
    expect(refN.text, why).to.match(record);
  } else if (record) {
    const bad = mismatch(refN, record);
    expect(bad === null ? shown(record) : shown(refN), `${why} (${bad})`).to.equal(shown(record));
  }
  expect(ref.closed, "memcached's connection-closed status is not what the case records").to.equal(!!c.closes);
}

/** A crash would otherwise surface only as an odd reply or a refused connection later. */
function expectAlive(all: RunningServer[]): void {
  for (const s of all) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
      throw new Error(`${s.name} died during the case:\n${s.stderr()}`);
    }
  }
}

const EXIT_WAIT_MS = 5000;

async function expectExit(all: RunningServer[]): Promise<void> {
  const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), EXIT_WAIT_MS));
  for (const s of all) {
    const r = await Promise.race([s.exited, timeout]);
    expect(r, `${s.name} should have exited`).to.not.equal("timeout");
  }
}

// ---------------------------------------------------------------------------
// Helpers for computed pieces

/** The CAS of the last `VALUE <key> …` line received, for echoing it back in `cas`. */
export function lastCas(received: Buffer, key: string): string {
  const re = new RegExp(`^VALUE ${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\d+ \\d+ (\\d+)\\r$`, "gm");
  const all = [...received.toString("latin1").matchAll(re)];
  if (!all.length) throw new Error(`no gets reply for ${key} in ${JSON.stringify(received.toString("latin1"))}`);
  return all[all.length - 1][1];
}

/** Unix time now plus `delta` seconds (memcached treats exptimes above 30 days as absolute). */
export function unixIn(delta: number): number {
  return Math.floor(Date.now() / 1000) + delta;
}
