// Authentication: the credentials file, the text protocol's login (`-Y`, memcached's
// try_read_command_asciiauth) and SASL PLAIN for the binary protocol (`-S`).
//
// The host copies the credentials file into AUTHDB once at start-up and never reads it again;
// the core parses it in place on every check, so a password exists in exactly one place and is
// never copied into a reply, a log entry or a stat. Both logins use the same file format,
// memcached's authfile: one `user:password` per line.
//
// AUTHDB:
//   0  len   u32   bytes of the file held
//   4  file        `user:password\n` lines, as read
import { thread32, setThread32, ThreadGlobal } from "../layout/thread";
import { ProcFlag } from "../abi/proc_flags";
import { AUTHDB, AUTHDB_SIZE, Global, global32, setGlobal32 } from "../layout/layout";
import { tokenize, tokAt, tokLen, tokIs, tokStrtoul, numU32 } from "./tokens";
import { outTruncate, outLen, outLine } from "../session/output";
import { Stat, statIncr } from "../counters/counters";
import { connAuth, setConnAuth, connLogin, setConnLogin, AUTH_OK, AUTH_LOGIN_DATA, AUTH_SASL_STEP } from "../session/conn";

const DB_LEN: usize = 0;
const DB_FILE: usize = 4;
export const AUTHDB_CAPACITY: u32 = <u32>(AUTHDB_SIZE - DB_FILE);

const NL: u8 = 0x0a;
const CR: u8 = 0x0d;
const COLON: u8 = 0x3a;

export enum AuthLoad { OK = 0, MALFORMED = 1, TOO_LARGE = 2 }

// Takes the file the host wrote at AUTHDB + 4. A line without a ':' (an empty line included)
// is refused, as memcached's authfile_load refuses it.
export function authLoad(len: u32): AuthLoad {
  store<u32>(AUTHDB, 0, DB_LEN);
  if (len > AUTHDB_CAPACITY) return AuthLoad.TOO_LARGE;
  const file = AUTHDB + DB_FILE;
  let p = file;
  const end = file + len;
  while (p < end) {
    const eol = lineEnd(p, end);
    if (colonAt(p, eol) == 0) return AuthLoad.MALFORMED;
    p = eol + 1;
  }
  store<u32>(AUTHDB, len, DB_LEN);
  return AuthLoad.OK;
}

function lineEnd(p: usize, end: usize): usize {
  while (p < end && load<u8>(p) != NL) p++;
  return p;
}

// The user name ends at the first ':'; a NUL before it ends the line for C, so no ':' then.
function colonAt(p: usize, eol: usize): usize {
  for (let q = p; q < eol; q++) {
    const b = load<u8>(q);
    if (b == COLON) return q;
    if (b == 0) return 0;
  }
  return 0;
}

// The password runs to the end of the line, a '\r' or a NUL (memcached's rule).
function passwordEnd(p: usize, eol: usize): usize {
  while (p < eol && load<u8>(p) != CR && load<u8>(p) != 0) p++;
  return p;
}

// Differences in length or in any byte, without stopping at the first: how long a check takes
// depends on the stored entries only, never on how much of a guess was right.
function differs(given: usize, ngiven: u32, stored: usize, nstored: u32): u32 {
  let diff = ngiven ^ nstored;
  for (let i: u32 = 0; i < nstored; i++) {
    const g = i < ngiven ? <u32>load<u8>(given + i) : 0;
    diff |= g ^ <u32>load<u8>(stored + i);
  }
  return diff;
}

// True when user/password matches an entry of the file. Every entry is compared.
export function credentialsValid(user: usize, nuser: u32, pass: usize, npass: u32): bool {
  const file = AUTHDB + DB_FILE;
  const end = file + load<u32>(AUTHDB, DB_LEN);
  let found: u32 = 0;
  let p = file;
  while (p < end) {
    const eol = lineEnd(p, end);
    const colon = colonAt(p, eol);
    const pend = passwordEnd(colon + 1, eol);
    const bad = differs(user, nuser, p, <u32>(colon - p)) | differs(pass, npass, colon + 1, <u32>(pend - colon - 1));
    found |= bad == 0 ? 1 : 0;
    p = eol + 1;
  }
  return found != 0;
}

// ── -Y: the text protocol's login ─────────────────────────────────────────────────────
//
// Until a connection has logged in, its first command must be `set <any> <any> <any> <n>`
// followed by an n-byte data block `<user> <password>`. Key, flags and exptime are ignored.

// A line longer than this without a newline is junk: memcached closes the connection.
const LOGIN_LINE_MAX: u32 = 2048;
const LOGIN_LINE_MIN: u32 = 2;
const CRLF_LEN: u32 = 2;
const LOGIN_TOKENS: u32 = 6;        // set key flags exptime bytes + the terminal token
const LOGIN_BYTES_TOKEN: u32 = 4;
const CREDENTIAL_TOKENS: u32 = 3;   // user password + the terminal token

function procFlag(f: u32): void {
  setThread32(ThreadGlobal.PROC_FLAGS, thread32(ThreadGlobal.PROC_FLAGS) | f);
}

function needMore(consumed: u32, need: u32): u32 {
  procFlag(ProcFlag.NEED_MORE);
  setThread32(ThreadGlobal.PROC_NEED, need);
  return consumed;
}

// memcached answers login attempts from one response object that each reply overwrites, so
// of the replies to one batch of input only the last is sent.
function loginReply(start: u32, s: string): void {
  outTruncate(start);
  outLine(s);
}

// Serves login attempts from [base, base + len) until the connection is logged in or the
// input runs out. Returns bytes consumed; after a successful login the caller serves the rest.
export function processLogin(c: usize, base: usize, len: u32): u32 {
  const start = outLen();
  let pos: u32 = 0;
  while (pos < len && (connAuth(c) & AUTH_OK) == 0) {
    if ((connAuth(c) & AUTH_LOGIN_DATA) == 0) {
      const r = loginLine(c, base + pos, len - pos, start);
      if (r < 0) return pos;
      pos += <u32>r;
      continue;
    }
    const need = connLogin(c);
    if (need > thread32(ThreadGlobal.INBUF_SIZE)) {
      procFlag(ProcFlag.CLOSE_NOW);
      return pos;
    }
    if (len - pos < need) return needMore(pos, need);
    loginData(c, base + pos, need, start);
    pos += need;
  }
  return pos;
}

// The login's command line. Returns bytes consumed, or -1 when more input is needed (flags set).
function loginLine(c: usize, p: usize, avail: u32, start: u32): i64 {
  if (avail < LOGIN_LINE_MIN) {
    needMore(0, LOGIN_LINE_MIN);
    return -1;
  }
  const nl = lineEnd(p, p + avail);
  if (nl == p + avail) {
    if (avail > LOGIN_LINE_MAX) procFlag(ProcFlag.CLOSE_NOW);
    else needMore(0, avail + 1);
    return -1;
  }
  // The '\r' stays in the last word, where strtoul stops at it, as in memcached.
  const ntokens = tokenize(p, cutAtNul(p, nl));
  if (ntokens < LOGIN_TOKENS || !tokIs(0, "set") || !tokStrtoul(LOGIN_BYTES_TOKEN)) {
    loginReply(start, "CLIENT_ERROR unauthenticated");
  } else {
    setConnLogin(c, numU32() + CRLF_LEN); // wraps as memcached's uint32 size + 2 does
    setConnAuth(c, connAuth(c) | AUTH_LOGIN_DATA);
  }
  return <i64>(nl - p + 1);
}

// The login's data block: `<user> <password>\r\n`.
function loginData(c: usize, p: usize, n: u32, start: u32): void {
  setConnAuth(c, connAuth(c) & ~AUTH_LOGIN_DATA);
  if (n < CRLF_LEN || load<u16>(p + n - CRLF_LEN) != 0x0a0d) {
    loginReply(start, "CLIENT_ERROR bad command line termination");
    return;
  }
  const ntokens = tokenize(p, cutAtNul(p, p + n - CRLF_LEN));
  if (ntokens < CREDENTIAL_TOKENS) {
    loginReply(start, "CLIENT_ERROR bad authentication token format");
    return;
  }
  statIncr(Stat.AUTH_CMDS);
  if (credentialsValid(tokAt(0), tokLen(0), tokAt(1), tokLen(1))) {
    setConnAuth(c, connAuth(c) | AUTH_OK);
    loginReply(start, "STORED");
  } else {
    statIncr(Stat.AUTH_ERRORS);
    loginReply(start, "CLIENT_ERROR authentication failure");
  }
}

// C reads the line as a string: a NUL byte ends it.
function cutAtNul(p: usize, end: usize): usize {
  for (let q = p; q < end; q++) if (load<u8>(q) == 0) return q;
  return end;
}

// ── -S: SASL PLAIN (RFC 4616) for the binary protocol ─────────────────────────────────
//
// The data is `[authzid] NUL authcid NUL password`. An authzid other than the authcid asks to
// act as another user, which nobody may. Mechanism names compare without case, as Cyrus SASL
// compares them; PLAIN is the only one offered.

export enum SaslResult { OK = 0, CONTINUE = 1, FAIL = 2 }

export const SASL_MECHS = "PLAIN";

function isPlain(mech: usize, n: u32): bool {
  const want = SASL_MECHS;
  if (n != <u32>want.length) return false;
  for (let i: u32 = 0; i < n; i++) {
    if ((load<u8>(mech + i) | 0x20) != (<u8>want.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

function nulAt(p: usize, end: usize): usize {
  for (let q = p; q < end; q++) if (load<u8>(q) == 0) return q;
  return 0;
}

function plainValid(data: usize, n: u32): bool {
  const end = data + n;
  const first = nulAt(data, end);
  if (!first) return false;
  const second = nulAt(first + 1, end);
  if (!second || nulAt(second + 1, end)) return false;
  const nauthz = <u32>(first - data);
  const user = first + 1;
  const nuser = <u32>(second - user);
  if (nauthz != 0 && (nauthz != nuser || memory.compare(data, user, nuser) != 0)) return false;
  return credentialsValid(user, nuser, second + 1, <u32>(end - second - 1));
}

// SASL_AUTH (`step` false) or SASL_STEP with `data`. Like memcached, every attempt first logs
// the connection out; an AUTH without data is answered AUTH_CONTINUE and a STEP completes it.
export function saslAuthenticate(c: usize, step: bool, mech: usize, nmech: u32, data: usize, ndata: u32): SaslResult {
  const pendingStep = (connAuth(c) & AUTH_SASL_STEP) != 0;
  setConnAuth(c, 0);
  let ok = false;
  if (step) {
    ok = pendingStep && plainValid(data, ndata);
  } else if (isPlain(mech, nmech)) {
    if (ndata == 0) {
      setConnAuth(c, AUTH_SASL_STEP);
      return SaslResult.CONTINUE;
    }
    ok = plainValid(data, ndata);
  }
  statIncr(Stat.AUTH_CMDS);
  if (!ok) {
    statIncr(Stat.AUTH_ERRORS);
    return SaslResult.FAIL;
  }
  setConnAuth(c, AUTH_OK);
  return SaslResult.OK;
}

@inline export function authenticated(c: usize): bool { return (connAuth(c) & AUTH_OK) != 0; }

// memcached starts every SASL opcode, SASL_LIST_MECHS included, by logging the connection out;
// an exchange waiting for its SASL_STEP survives a listing.
export function saslLogout(c: usize): void { setConnAuth(c, connAuth(c) & ~AUTH_OK); }
export function authdbAddr(): usize { return AUTHDB + DB_FILE; }
