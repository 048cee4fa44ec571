// The normal form of a text or meta reply: what two servers' replies must have in common once
// what may legitimately differ is masked.
//   - CAS values (gets, meta `c<n>`, `me`'s and metadump's `cas=`) are labelled in order of first
//     appearance (cas-labels.ts), so which replies share a CAS still has to agree;
//   - the version text is masked, and in the text dialect the stat values unless asked for;
//   - in the meta dialect times (`t<n>`/`l<n>` flags, `me`'s exp= and la=, metadump's and
//     cachedump's absolute times) are pulled out of the text: the two servers' clocks tick at
//     different instants, so each may be one tick (absolute times and times to live: two)
//     away from memcached's, but the text around them must be equal.
// Data blocks are opaque (never read as reply lines) and shown whole only while short. The
// binary protocol's normal form is binary.ts's normalisePackets.
import { createHash } from "node:crypto";
import { CasLabels } from "./cas-labels.js";

const RELATIVE_SLACK = 1;    // a clock tick between two commands
const ABSOLUTE_SLACK = 2;    // unix times: each server's own tick plus its start offset
// Time left to live: an item given an absolute exptime counts down from each server's own
// clock, so it differs as unix times do (seen: 86234 against 86232 for N<a day ahead>).
const TTL_SLACK = ABSOLUTE_SLACK;
/** Data blocks longer than this are shown by length and digest so failures stay readable. */
const MAX_SHOWN_DATA = 200;
const SHOWN_DIGEST_CHARS = 16;
const NO_DATA = -1;

const VALUE_LINE = /^VALUE ([^ ]+) ([^ ]+) (\d+)(?: ([^ ]+))?$/;
const META_CODES = /^(HD|VA|EN|NF|NS|EX)( |$)/;

interface Time {
  value: number;
  slack: number;
}

export interface Normalised {
  text: string;
  /** Times pulled out of the text, in order; each must agree within its slack. */
  times: Time[];
}

/** What the lines of one reply share while it is normalised: its CAS labels and its times. */
class Masks {
  private readonly cas = new CasLabels();
  readonly times: Time[] = [];

  label(v: string): string {
    return this.cas.label(v);
  }

  /** Takes a time out of the text, to be compared on its own within `slack`. */
  time(v: string, slack: number): string {
    this.times.push({ value: Number(v), slack });
    return "<t>";
  }
}

/** A line's normal form, and the length of the data block that follows it (NO_DATA: none). */
interface Line {
  text: string;
  dataLen: number;
}

/** A dialect's own lines; undefined for a line it has nothing to say about. */
type LineRule = (line: string, masks: Masks) => Line | undefined;

/** The text dialect: CAS values labelled, version text masked, stat values masked unless asked for. */
export function normaliseText(reply: Buffer, opts: { statValues?: boolean } = {}): Normalised {
  return normalForm(reply, (line) => {
    const stat = /^STAT ([^ ]+) /.exec(line);
    return stat && !opts.statValues ? { text: `STAT ${stat[1]}`, dataLen: NO_DATA } : undefined;
  });
}

/** The meta dialect: CAS values labelled, version text masked, times pulled out. */
export function normaliseMeta(reply: Buffer): Normalised {
  return normalForm(reply, metaLine);
}

function normalForm(reply: Buffer, rule: LineRule): Normalised {
  const masks = new Masks();
  const out: string[] = [];
  let pos = 0;
  while (pos < reply.length) {
    const nl = reply.indexOf(0x0a, pos);
    const end = nl < 0 ? reply.length : nl + 1;
    const raw = reply.subarray(pos, end).toString("latin1");
    pos = end;
    const line = raw.replace(/\r?\n$/, "");
    const { text, dataLen } = valueLine(line, masks) ?? rule(line, masks) ?? plainLine(line);
    out.push(text + raw.slice(line.length));
    if (dataLen >= 0) {
      // The data block is opaque: it must not be mistaken for reply lines.
      out.push(showData(reply.subarray(pos, pos + dataLen)), reply.subarray(pos + dataLen, pos + dataLen + 2).toString("latin1"));
      pos = Math.min(reply.length, pos + dataLen + 2);
    }
  }
  return { text: out.join(""), times: masks.times };
}

function valueLine(line: string, masks: Masks): Line | undefined {
  const value = VALUE_LINE.exec(line);
  if (!value) return undefined;
  const cas = value[4] === undefined ? "" : ` ${masks.label(value[4])}`;
  return { text: `VALUE ${value[1]} ${value[2]} ${value[3]}${cas}`, dataLen: Number(value[3]) };
}

function plainLine(line: string): Line {
  return { text: /^VERSION ./.test(line) ? "VERSION <version>" : line, dataLen: NO_DATA };
}

function metaLine(line: string, masks: Masks): Line | undefined {
  if (META_CODES.test(line)) return metaReply(line, masks);
  if (line.startsWith("ME ")) return { text: itemFields(line, TTL_SLACK, RELATIVE_SLACK, masks), dataLen: NO_DATA };
  if (line.startsWith("key=")) return { text: itemFields(line, ABSOLUTE_SLACK, ABSOLUTE_SLACK, masks), dataLen: NO_DATA };
  if (line.startsWith("ITEM ")) {
    const text = line.replace(/ b; (\d+) s\]$/, (all, v) => (v === "0" ? all : ` b; ${masks.time(v, ABSOLUTE_SLACK)} s]`));
    return { text, dataLen: NO_DATA };
  }
  return undefined;
}

/** HD/VA/EN/NF/NS/EX and their return flags: c labelled, t and l pulled out. */
function metaReply(line: string, masks: Masks): Line {
  const words = line.split(" ");
  const isValue = words[0] === "VA";
  const text = words.map((w, i) => {
    if (i === 0 || (i === 1 && isValue)) return w;
    let m = /^c(\d+)$/.exec(w);
    if (m) return `c${masks.label(m[1])}`;
    m = /^([tl])(\d+)$/.exec(w);
    if (m) return `${m[1]}${masks.time(m[2], m[1] === "t" ? TTL_SLACK : RELATIVE_SLACK)}`;
    return w;
  }).join(" ");
  return { text, dataLen: isValue ? Number(words[1]) : NO_DATA };
}

/** `me` and metadump lines: exp= (but -1, never) and la= pulled out, cas= labelled. */
function itemFields(line: string, expSlack: number, laSlack: number, masks: Masks): string {
  return line
    .replace(/ exp=(-?\d+)/, (all, v) => (v === "-1" ? all : ` exp=${masks.time(v, expSlack)}`))
    .replace(/ la=(\d+)/, (_, v) => ` la=${masks.time(v, laSlack)}`)
    .replace(/ cas=(\d+)/, (_, v) => ` cas=${masks.label(v)}`);
}

function showData(data: Buffer): string {
  if (data.length <= MAX_SHOWN_DATA) return data.toString("latin1");
  return `<${data.length} bytes, sha1 ${createHash("sha1").update(data).digest("hex").slice(0, SHOWN_DIGEST_CHARS)}>`;
}

/**
 * An expectation written in normal form, absolute times as `<t>`: it then matches the text
 * whatever the clock said (the harness still compares the times with the candidates').
 */
export function normalisedText(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/** Why `got` does not match `want` (time by time within the slack), or null when it does. */
export function mismatch(got: Normalised, want: Normalised): string | null {
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

/** Escapes control and non-ASCII bytes, and breaks the line after each `\n`, for readable diffs. */
export function visible(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\xff\\]/g, (ch) => {
    if (ch === "\n") return "\\n\n";
    if (ch === "\r") return "\\r";
    if (ch === "\\") return "\\\\";
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** The normal form as a diff shows it: the text, then the times pulled out of it. */
export function shown(n: Normalised): string {
  return visible(n.text) + (n.times.length ? `\n[times ${n.times.map((t) => t.value).join(" ")}]` : "");
}
