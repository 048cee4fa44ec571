// Checks that what a server wrote to a client is made only of well-formed replies, whatever the
// client sent: every text line one of memcached 1.6.18's reply forms (reference §1, §2, §5;
// error texts from the catalogue in §1.10), every data block exactly as long as its header
// said and followed by \r\n, every binary reply a whole 0x81 packet, and nothing cut short.
import { HEADER_LEN, Status } from "./binary.js";
import { visible } from "./normal-form.js";

// memcached's error texts (reference §1.10, meta errors of §2), after "ERROR ", "CLIENT_ERROR "
// or "SERVER_ERROR ".
const ERROR_TEXTS = new Set([
  ": shutdown not enabled", " hot and warm pcts must not exceed 80", " hot/warm age factors must be greater than 0",
  " cannot pipeline other commands before watch", " cannot pipeline other commands before metadump",
  " metadump not allowed", " failed to start lru crawler thread", " failed to stop lru crawler thread",
  " an unknown error happened", " Too many open connections",
]);
const CLIENT_ERROR_TEXTS = new Set([
  "bad command line format", "bad command line format.  Usage: delete <key> [noreply]", "bad command line",
  "bad data chunk", "invalid exptime argument", "invalid numeric delta argument",
  "cannot increment or decrement non-numeric value", "flush_all not allowed", "stats cachedump not allowed",
  "Illegal slab id", "usage: stats detail on|off|dump", "slab reassignment disabled", "lru crawler disabled",
  "sleep must be one second or less", "watch commands not allowed", "invalid shutdown mode", "unauthenticated",
  "authentication failure", "bad command line termination", "bad authentication token format",
  "duplicate flag", "invalid flag", "invalid or duplicate flag", "bad token in command line format",
  "error decoding key", "incorrect length for M token", "invalid numeric initial value",
  "invalid numeric delta value", "invalid mode for ms M token", "invalid mode for ma M token",
  "opaque token too long", "options flags are too long", "options flags too long",
]);
const SERVER_ERROR_TEXTS = new Set([
  "object too large for cache", "out of memory storing object", "out of memory writing get response",
  "out of memory writing stats", "out of memory reading request", "Out of memory during read", "out of memory",
  "Out of memory allocating new item", "refcount overflow during fetch", "Unhandled storage type.",
  "output line too long",
]);
// Whole lines: the plain replies and the admin statuses with their fixed texts.
const FIXED_LINES = new Set([
  "STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "TOUCHED", "END", "OK", "RESET", "ERROR", "MN",
  "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m", "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes",
  "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust", "BUSY currently processing reassign request",
  "BUSY currently processing crawler request", "BADCLASS invalid src or dst class id", "BADCLASS invalid class id",
  "NOSPARE source class has no spare pages", "SAME src and dst class are identical", "NOTSTARTED no items to crawl",
  "WATCHER_TOO_MANY log watcher limit reached", "WATCHER_FAILED failed to add log watcher",
]);

const U32_MAX = 0xffffffffn;
const U64_MAX = (1n << 64n) - 1n;
const DIGITS = /^\d+$/;
// A meta return flag: a letter, then its argument (an echoed key or opaque may be any bytes but
// space and newline).
const META_FLAG = /^[A-Za-z][^ \n\0]*$/;
// Keys are any bytes but space, newline and NUL (a key may hold \r or a tab).
const PATTERNS: RegExp[] = [
  /^VERSION \S+$/,
  /^STAT \S+( .*)?$/,
  /^ITEM [^ \0]+ \[\d+ b; \d+ s\]$/,
  /^PREFIX [^ \0]+ get \d+ hit \d+ set \d+ del \d+$/,
  /^ME [^ \0]+ exp=-?\d+ la=\d+ cas=\d+ fetch=(yes|no) cls=\d+ size=\d+$/,
];
// The two streams whose lines end in \n alone: lru_crawler metadump and watch.
const LF_PATTERNS: RegExp[] = [
  /^key=\S+ exp=-?\d+ la=\d+ cas=\d+ fetch=(yes|no) cls=\d+ size=\d+$/,
  /^ts=\d+\.\d+ gid=\d+ [^\n]*$/,
];

const isUnsigned = (s: string, max: bigint) => DIGITS.test(s) && BigInt(s) <= max;

export class ReplyError extends Error {}

/** The length of the data block a text reply line announces, -1 if none, or why the line is bad. */
function checkTextLine(line: string): number | string {
  if (FIXED_LINES.has(line)) return -1;
  if (isUnsigned(line, U64_MAX)) return -1; // incr/decr
  if (line.startsWith("ERROR")) return ERROR_TEXTS.has(line.slice(5)) ? -1 : "unknown ERROR text";
  if (line.startsWith("CLIENT_ERROR ")) return CLIENT_ERROR_TEXTS.has(line.slice(13)) ? -1 : "unknown CLIENT_ERROR text";
  if (line.startsWith("SERVER_ERROR ")) return SERVER_ERROR_TEXTS.has(line.slice(13)) ? -1 : "unknown SERVER_ERROR text";
  const words = line.split(" ");
  if (words[0] === "VALUE") return checkValueLine(words);
  if (/^(HD|VA|EN|NF|NS|EX)$/.test(words[0])) return checkMetaLine(words);
  return PATTERNS.some((p) => p.test(line)) ? -1 : "not a reply form";
}

// VALUE <key> <flags> <bytes>[ <cas>]
function checkValueLine(words: string[]): number | string {
  if (words.length !== 4 && words.length !== 5) return "VALUE with a wrong word count";
  if (words[1].length === 0 || words[1].length > 250 || words[1].includes("\0")) return "VALUE with a bad key";
  if (!isUnsigned(words[2], U32_MAX)) return "VALUE with bad flags";
  if (!DIGITS.test(words[3])) return "VALUE with a bad length";
  if (words.length === 5 && !isUnsigned(words[4], U64_MAX)) return "VALUE with a bad CAS";
  return Number(words[3]);
}

// <code> <flags>*, VA <len> <flags>*
function checkMetaLine(words: string[]): number | string {
  let first = 1;
  let dataLen = -1;
  if (words[0] === "VA") {
    if (words.length < 2 || !DIGITS.test(words[1])) return "VA without a length";
    dataLen = Number(words[1]);
    first = 2;
  }
  for (const w of words.slice(first)) if (!META_FLAG.test(w)) return `bad meta flag ${JSON.stringify(w)}`;
  return dataLen;
}

/** Throws unless `out` is a sequence of whole, well-formed text replies. */
export function validateTextReplies(out: Buffer): void {
  let pos = 0;
  const fail = (why: string, at: number): never => {
    const near = visible(out.subarray(at, at + 120).toString("latin1"));
    throw new ReplyError(`${why} at byte ${at} of ${out.length}: ${near}`);
  };
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) fail("reply cut short (no line end)", pos);
    const crlf = nl > pos && out[nl - 1] === 0x0d;
    const line = out.subarray(pos, crlf ? nl - 1 : nl).toString("latin1");
    if (!crlf) {
      if (!LF_PATTERNS.some((p) => p.test(line))) fail("line without \\r\\n that is neither metadump nor watch", pos);
      pos = nl + 1;
      continue;
    }
    const r = checkTextLine(line);
    if (typeof r === "string") fail(r, pos);
    pos = nl + 1;
    const dataLen = r as number;
    if (dataLen < 0) continue;
    if (pos + dataLen + 2 > out.length) fail(`data block of ${dataLen} bytes cut short`, pos);
    if (out[pos + dataLen] !== 0x0d || out[pos + dataLen + 1] !== 0x0a) fail("data block not followed by \\r\\n", pos + dataLen);
    pos += dataLen + 2;
  }
}

const STATUSES = new Set<number>(Object.values(Status));
const RESPONSE_MAGIC = 0x81;

/** Throws unless `out` is a sequence of whole, well-formed binary response packets. */
export function validateBinaryReplies(out: Buffer): void {
  let p = 0;
  const fail = (why: string): never => {
    throw new ReplyError(`${why} in the packet at byte ${p} of ${out.length}: ${out.subarray(p, p + HEADER_LEN).toString("hex")}`);
  };
  while (p < out.length) {
    if (p + HEADER_LEN > out.length) fail("header cut short");
    if (out[p] !== RESPONSE_MAGIC) fail("magic is not 0x81");
    const keylen = out.readUInt16BE(p + 2);
    const extlen = out[p + 4];
    const status = out.readUInt16BE(p + 6);
    const bodylen = out.readUInt32BE(p + 8);
    if (out[p + 5] !== 0) fail("data type is not raw");
    if (!STATUSES.has(status)) fail(`unknown status 0x${status.toString(16)}`);
    if (keylen + extlen > bodylen) fail("key and extras longer than the body");
    if (status !== Status.SUCCESS && extlen !== 0) fail("an error with extras");
    if (p + HEADER_LEN + bodylen > out.length) fail("body cut short");
    p += HEADER_LEN + bodylen;
  }
}
