// The stderr line written when the engine traps: what was running, on whose input, and what
// the recovery did. memcached has no stat for this (a crash is its only report), and a new
// `stats` line would break byte-identity with it, so the count lives in this line.
import type { Recovery } from "./engine_api.js";

/** Bytes of the offending input shown; the rest is only counted. */
const INPUT_SHOWN = 200;
const PRINTABLE_FIRST = 0x20;
const PRINTABLE_LAST = 0x7e;
const ESCAPES: Record<number, string> = { 0x0d: "\\r", 0x0a: "\\n", 0x09: "\\t", 0x22: "\\\"", 0x5c: "\\\\" };

interface Trap {
  /** 1 for the first trap of this process. */
  count: number;
  /** The engine call that threw: process, connOpen, connClose, udp, maintain, clock. */
  where: string;
  /** The client being served, if any ("tcp:<ip>:<port>", "udp:<ip>:<port>"). */
  peer?: string;
  error: unknown;
  /** The input being served, if any. */
  input?: Uint8Array;
  recovery: Recovery;
  /** Connections closed because of it. */
  closed: number;
  /** Connections re-opened in the fresh engine. */
  reopened: number;
}

/** The input as a quoted string: printable ASCII as is, anything else escaped, cut short. */
function quoteInput(input: Uint8Array): string {
  let out = "\"";
  for (const b of input.subarray(0, INPUT_SHOWN)) {
    if (ESCAPES[b]) out += ESCAPES[b];
    else if (b >= PRINTABLE_FIRST && b <= PRINTABLE_LAST) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  out += "\"";
  return input.length > INPUT_SHOWN ? `${out}... (${input.length} bytes)` : out;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export function trapReport(t: Trap): string {
  const parts = [`wasmcached: trap ${t.count} in ${t.where}${t.peer ? ` serving ${t.peer}` : ""}: ${describeError(t.error)}`];
  if (t.input) parts.push(`input ${quoteInput(t.input)}`);
  const ms = t.recovery.ms.toFixed(1);
  if (t.recovery.outcome === "intact") {
    parts.push(`invariants hold (checked in ${ms} ms): cache kept`);
  } else {
    parts.push(`invariants broken (${t.recovery.reason}): cache reset in ${ms} ms`);
    if (t.recovery.lost) parts.push(t.recovery.lost);
    parts.push(`${t.reopened} connections re-opened`);
  }
  parts.push(`${t.closed} closed`);
  return parts.join("; ");
}
