// Differential runner for the meta protocol and the admin commands: every case is sent, byte
// for byte, to Debian's memcached and to wasmcached (the CLI), each on a fresh connection, and
// the replies must be identical once the things that may legitimately differ are masked:
//   - CAS values (meta `c<n>`, `me`'s `cas=`, metadump's `cas=`, `gets`): replaced by labels in
//     order of first appearance, so which replies share a CAS still has to agree;
//   - times (`t<n>`/`l<n>` flags, `me`'s exp= and la=, metadump's and cachedump's absolute
//     times): the two servers' clocks tick at different instants, so each may be one tick
//     (absolute times: two) away from memcached's, but the text around them must be equal.
// A case records memcached's own reply too (`expect`, in the same normalised form), so the
// corpus doubles as a record of what 1.6.18 really does.
import { createHash } from "node:crypto";
import { expect } from "chai";
import {
  RawConnection, startMemcached, startWasmcached, toBytes, wasmcachedBuilt, type Piece, type RunningServer,
} from "./servers.js";

export interface MetaCase {
  name: string;
  /** One write, or pieces written `pauseMs` apart (a function echoes something received). */
  send: Piece | Piece[];
  /** memcached's normalised reply (CAS values as <cas1>, <cas2>…; times literal), or a pattern. */
  expect?: string | RegExp;
  /** memcached closes the connection. */
  closes?: boolean;
  serverArgs?: string[];
  /** Its own pair of servers: the case changes or reads server-wide state. */
  isolate?: boolean;
  /** Cases naming the same instance share a pair of their own, unflushed, in order. */
  instance?: string;
  /** Pause after each piece, or after piece i the i-th of a list. */
  pauseMs?: number | number[];
}

const QUIET_MS = 250;        // silence that ends a reply whose expected form is unknown
const GRACE_MS = 60;         // extra wait once the expected reply is in: nothing more may follow
const MAX_MS = 10000;
const RELATIVE_SLACK = 1;    // a clock tick between two commands
const ABSOLUTE_SLACK = 2;    // unix times: each server's own tick plus its start offset
// Time left to live: an item given an absolute exptime counts down from each server's own
// clock, so it differs as unix times do (seen: 86234 against 86232 for N<a day ahead>).
const TTL_SLACK = ABSOLUTE_SLACK;
const MAX_SHOWN_DATA = 200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Time {
  value: number;
  slack: number;
}

export interface Normalised {
  text: string;
  times: Time[];
}

class CasLabels {
  private seen = new Map<string, string>();
  label(v: string): string {
    if (v === "0") return v;
    let l = this.seen.get(v);
    if (!l) this.seen.set(v, (l = `<cas${this.seen.size + 1}>`));
    return l;
  }
}

const META_CODES = /^(HD|VA|EN|NF|NS|EX)( |$)/;

/** The reply with CAS values labelled and times pulled out (see the file comment). */
export function normaliseMeta(reply: Buffer): Normalised {
  const cas = new CasLabels();
  const times: Time[] = [];
  const time = (v: string, slack: number) => {
    times.push({ value: Number(v), slack });
    return "<t>";
  };
  const out: string[] = [];
  let pos = 0;
  while (pos < reply.length) {
    const nl = reply.indexOf(0x0a, pos);
    const end = nl < 0 ? reply.length : nl + 1;
    const raw = reply.subarray(pos, end).toString("latin1");
    pos = end;
    const line = raw.replace(/\r?\n$/, "");
    const eol = raw.slice(line.length);
    let dataLen = -1;
    let text = line;
    const value = /^VALUE (\S+) (\S+) (\d+)(?: (\S+))?$/.exec(line);
    if (value) {
      text = `VALUE ${value[1]} ${value[2]} ${value[3]}${value[4] === undefined ? "" : ` ${cas.label(value[4])}`}`;
      dataLen = Number(value[3]);
    } else if (META_CODES.test(line)) {
      const words = line.split(" ");
      if (words[0] === "VA") dataLen = Number(words[1]);
      text = words.map((w, i) => {
        if (i === 0 || (i === 1 && words[0] === "VA")) return w;
        let m = /^c(\d+)$/.exec(w);
        if (m) return `c${cas.label(m[1])}`;
        m = /^([tl])(\d+)$/.exec(w);
        if (m) return `${m[1]}${time(m[2], m[1] === "t" ? TTL_SLACK : RELATIVE_SLACK)}`;
        return w;
      }).join(" ");
    } else if (line.startsWith("ME ")) {
      text = line
        .replace(/ exp=(-?\d+)/, (all, v) => (v === "-1" ? all : ` exp=${time(v, TTL_SLACK)}`))
        .replace(/ la=(\d+)/, (_, v) => ` la=${time(v, RELATIVE_SLACK)}`)
        .replace(/ cas=(\d+)/, (_, v) => ` cas=${cas.label(v)}`);
    } else if (line.startsWith("key=")) {
      text = line
        .replace(/ exp=(-?\d+)/, (all, v) => (v === "-1" ? all : ` exp=${time(v, ABSOLUTE_SLACK)}`))
        .replace(/ la=(\d+)/, (_, v) => ` la=${time(v, ABSOLUTE_SLACK)}`)
        .replace(/ cas=(\d+)/, (_, v) => ` cas=${cas.label(v)}`);
    } else if (line.startsWith("ITEM ")) {
      text = line.replace(/ b; (\d+) s\]$/, (all, v) => (v === "0" ? all : ` b; ${time(v, ABSOLUTE_SLACK)} s]`));
    } else if (/^VERSION ./.test(line)) {
      text = "VERSION <version>";
    }
    out.push(text + eol);
    if (dataLen >= 0) {
      // The data block is opaque: it must not be mistaken for reply lines.
      const data = reply.subarray(pos, pos + dataLen);
      out.push(data.length <= MAX_SHOWN_DATA ? data.toString("latin1")
        : `<${data.length} bytes, sha1 ${createHash("sha1").update(data).digest("hex").slice(0, 16)}>`);
      out.push(reply.subarray(pos + dataLen, pos + dataLen + 2).toString("latin1"));
      pos = Math.min(reply.length, pos + dataLen + 2);
    }
  }
  return { text: out.join(""), times };
}

/**
 * An expectation written in normalised form, absolute times as `<t>`: it then matches the
 * text whatever the clock said (runMetaCase still compares the times with wasmcached's).
 */
export function normalisedText(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/** Why `got` does not match `want` (time by time within the slack), or null when it does. */
export function metaMismatch(got: Normalised, want: Normalised): string | null {
  if (got.text !== want.text) return "text";
  if (got.times.length !== want.times.length) return "number of times";
  for (let i = 0; i < got.times.length; i++) {
    const slack = Math.max(got.times[i].slack, want.times[i].slack);
    if (Math.abs(got.times[i].value - want.times[i].value) > slack) {
      return `time #${i + 1}: ${got.times[i].value} vs ${want.times[i].value}`;
    }
  }
  return null;
}

/** Escapes control and non-ASCII bytes and breaks lines after `\n`, for readable diffs. */
export function visible(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\xff\\]/g, (ch) => {
    if (ch === "\n") return "\\n\n";
    if (ch === "\r") return "\\r";
    if (ch === "\\") return "\\\\";
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

const withTimes = (n: Normalised) =>
  visible(n.text) + (n.times.length ? `\n[times ${n.times.map((t) => t.value).join(" ")}]` : "");

interface Talk {
  data: Buffer;
  closed: boolean;
}

/**
 * Sends the pieces on a fresh connection and collects the reply: until `done` holds (then a
 * short grace period shows that nothing follows), or QUIET_MS of silence when there is no
 * `done` to wait for. With one, silence proves nothing: a server still working through
 * megabytes of noreply sets on a loaded machine was once taken for one that had answered.
 */
async function talk(port: number, pieces: Piece[], pauseMs: number | number[] | undefined, done?: (b: Buffer) => boolean): Promise<Talk> {
  const conn = await RawConnection.open(port);
  try {
    for (const [i, p] of pieces.entries()) {
      if (conn.closed) break;
      if (typeof p === "function") await conn.waitQuiet(QUIET_MS, MAX_MS);
      conn.write(typeof p === "function" ? p(conn.received()) : p);
      const pause = Array.isArray(pauseMs) ? pauseMs[i] : pauseMs;
      if (pause) await sleep(pause);
    }
    await conn.waitQuiet(done ? MAX_MS : QUIET_MS, MAX_MS, done);
    if (done?.(conn.received()) && !conn.closed) await conn.waitQuiet(GRACE_MS, MAX_MS);
    return { data: conn.received(), closed: conn.closed };
  } finally {
    conn.destroy();
  }
}

const matches = (want: Normalised) => (b: Buffer) => metaMismatch(normaliseMeta(b), want) === null;

interface Pair {
  reference: RunningServer;
  candidate: RunningServer;
}

export async function startPair(args: string[]): Promise<Pair & { stop(): Promise<void> }> {
  if (!wasmcachedBuilt()) throw new Error("dist/host/cli.js is missing: run npm run build");
  // memcached listens everywhere by default, wasmcached on loopback; `stats settings` shows it.
  if (!args.includes("-l")) args = [...args, "-l", "127.0.0.1"];
  const started = await Promise.allSettled([startMemcached(args), startWasmcached(args)]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  const [reference, candidate] = started.map((s) => (s as PromiseFulfilledResult<RunningServer>).value);
  return { reference, candidate, stop: async () => void (await Promise.all([reference.stop(), candidate.stop()])) };
}

/** Runs one case against a pair: memcached must match the record, wasmcached memcached. */
export async function runMetaCase(pair: Pair, c: MetaCase): Promise<void> {
  const pieces = Array.isArray(c.send) ? c.send : [c.send];
  const recorded = typeof c.expect === "string" ? normaliseMeta(toBytes(c.expect)) : undefined;
  // With a recorded reply both servers can be asked at once; otherwise wasmcached's reply is
  // complete when it matches memcached's, which must come first.
  const pattern = c.expect instanceof RegExp ? c.expect : undefined;
  const done = recorded ? matches(recorded) : pattern && ((b: Buffer) => pattern.test(normaliseMeta(b).text));
  const early = done && talk(pair.candidate.port, pieces, c.pauseMs, done);
  const ref = await talk(pair.reference.port, pieces, c.pauseMs, done);
  const refN = normaliseMeta(ref.data);
  const why = "memcached itself does not reply as the case records (fix the case)";
  if (recorded) {
    const bad = metaMismatch(refN, recorded);
    expect(bad === null ? withTimes(recorded) : withTimes(refN), `${why} (${bad})`).to.equal(withTimes(recorded));
  } else if (c.expect instanceof RegExp) {
    expect(refN.text, why).to.match(c.expect);
  }
  expect(ref.closed, "memcached's connection-closed status is not what the case records").to.equal(!!c.closes);
  const cand = await (early ?? talk(pair.candidate.port, pieces, c.pauseMs, matches(refN)));
  const candN = normaliseMeta(cand.data);
  const bad = metaMismatch(candN, refN);
  expect(bad === null ? withTimes(refN) : withTimes(candN), `wasmcached's reply differs from memcached's (${bad})`)
    .to.equal(withTimes(refN));
  expect(cand.closed, "wasmcached's connection-closed status differs from memcached's").to.equal(ref.closed);
  for (const s of [pair.reference, pair.candidate]) {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) throw new Error(`${s.name} died:\n${s.stderr()}`);
  }
}

interface Group {
  args: string[];
  isolated: boolean;
  cases: MetaCase[];
}

function groupCases(cases: readonly MetaCase[]): Group[] {
  const shared = new Map<string, Group>();
  const groups: Group[] = [];
  for (const c of cases) {
    const args = c.serverArgs ?? [];
    if (c.isolate) {
      groups.push({ args, isolated: true, cases: [c] });
      continue;
    }
    const key = JSON.stringify([args, c.instance ?? ""]);
    let g = shared.get(key);
    if (!g) shared.set(key, (g = { args, isolated: c.instance !== undefined, cases: [] })), groups.push(g);
    g.cases.push(c);
  }
  return groups;
}

/** One mocha `it` per case; cases with equal server arguments share a pair, flushed between cases. */
export function describeMetaCorpus(title: string, cases: readonly MetaCase[]): void {
  describe(`${title} (memcached vs wasmcached)`, function () {
    for (const g of groupCases(cases)) {
      const label = g.args.length ? `server ${g.args.join(" ")}` : "default server";
      const instance = g.cases[0].instance;
      describe(instance ? `${label}, instance "${instance}"` : g.isolated ? `${label}, own instance` : label, function () {
        let pair: (Pair & { stop(): Promise<void> }) | undefined;
        const controls: RawConnection[] = [];
        before(async function () {
          this.timeout(30000);
          pair = await startPair(g.args);
          if (!g.isolated && !g.args.includes("-F")) {
            controls.push(await RawConnection.open(pair.reference.port), await RawConnection.open(pair.candidate.port));
          }
        });
        after(async function () {
          this.timeout(15000);
          for (const c of controls) c.destroy();
          await pair?.stop();
        });
        beforeEach(async function () {
          for (const c of controls) {
            c.write("flush_all\r\n");
            await c.readUntil("OK\r\n");
          }
        });
        for (const c of g.cases) it(c.name, () => runMetaCase(pair!, c));
      });
    }
  });
}
