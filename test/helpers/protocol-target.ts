// The model's operations (test/helpers/model.ts) spoken as a client speaks them: each becomes a
// classic text command or its meta equivalent, picked at random, and goes through the real
// connection driver (in memory), now and then cut into several reads. Its reply is read back
// strictly: exactly one of the replies that command can get, every echoed meta flag in request
// order, and nothing after it. The model then judges what the reply says.
import { Bytes, Item, StoreResult, StoreOptions, ArithError } from "../../host/wasm_engine.js";
import { MemoryServer, MemoryConnection } from "./memory-connection.js";
import type { ModelTarget } from "./model.js";
import { Rng } from "./rng.js";
import { visible } from "./normal-form.js";

const META_SHARE = 0.5;    // commands sent in their meta form
const QUIET_SHARE = 0.25;  // meta commands with q, followed by mn
const ECHO_SHARE = 0.3;    // meta commands asking for k and an opaque back
const SPLIT_SHARE = 0.1;   // commands cut into several reads
const MAX_CUTS = 3;
const SHOWN = 300;

const STORE_REPLIES: Record<string, StoreResult> = {
  STORED: "STORED", NOT_STORED: "NOT_STORED", EXISTS: "EXISTS", NOT_FOUND: "NOT_FOUND",
  "SERVER_ERROR object too large for cache": "TOO_LARGE", "SERVER_ERROR out of memory storing object": "NO_MEMORY",
};
const META_STORE_CODES: Record<string, StoreResult> = { HD: "STORED", NS: "NOT_STORED", EX: "EXISTS", NF: "NOT_FOUND" };
const NON_NUMERIC = "CLIENT_ERROR cannot increment or decrement non-numeric value";
// incr's out-of-memory text, and ma's (memcached words them differently).
const ARITH_NO_MEMORY = new Set(["SERVER_ERROR out of memory", "SERVER_ERROR Out of memory allocating new item"]);
const MODES = { set: "S", add: "E", replace: "R", append: "A", prepend: "P", cas: "S" } as const;
type StoreVerb = keyof typeof MODES;

class UnexpectedReply extends Error {}

/** A cursor over one command's reply. */
class Reply {
  private pos = 0;
  constructor(private readonly out: Buffer, private readonly command: string) {}

  fail(why: string): never {
    throw new UnexpectedReply(`${why}\n  sent:  ${this.command}\n  reply: ${visible(this.out.toString("latin1").slice(0, SHOWN))}`);
  }

  line(): string {
    const end = this.out.indexOf("\r\n", this.pos);
    if (end < 0) this.fail("reply line cut short");
    const line = this.out.subarray(this.pos, end).toString("latin1");
    this.pos = end + 2;
    return line;
  }

  data(len: number): Uint8Array {
    const end = this.pos + len;
    if (end + 2 > this.out.length || this.out[end] !== 0x0d || this.out[end + 1] !== 0x0a) this.fail(`data block of ${len} bytes malformed`);
    const d = Uint8Array.prototype.slice.call(this.out, this.pos, end);
    this.pos = end + 2;
    return d;
  }

  expectLine(want: string): void {
    const got = this.line();
    if (got !== want) this.fail(`expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }

  end(): void {
    if (this.pos !== this.out.length) this.fail("bytes after the reply");
  }
}

/** The meta flags asked for, and what a hit and a miss must echo for them, in order. */
interface MetaAsk {
  flags: string;
  hit: (flags: number, cas: bigint) => string;
  miss: string;
  quiet: boolean;
}

export class ProtocolTarget implements ModelTarget {
  private readonly conn: MemoryConnection;
  private last: bigint | undefined;
  private opaque = 0;

  constructor(srv: MemoryServer, private readonly rng: Rng) {
    this.conn = srv.connect();
  }

  lastCas(): bigint | undefined { return this.last; }

  // ── transport ──────────────────────────────────────────────────────────────────────────

  private send(command: Buffer): Reply {
    const shown = visible(command.toString("latin1").slice(0, SHOWN));
    for (const piece of this.cut(command)) this.conn.send(piece);
    if (this.conn.closed) throw new UnexpectedReply(`the server closed the connection (${this.conn.ending})\n  sent: ${shown}`);
    return new Reply(this.conn.takeOutput(), shown);
  }

  private cut(command: Buffer): Buffer[] {
    if (!this.rng.chance(SPLIT_SHARE)) return [command];
    const at = Array.from({ length: this.rng.range(1, MAX_CUTS) }, () => this.rng.int(command.length)).sort((a, b) => a - b);
    return [0, ...at].map((from, i) => command.subarray(from, i < at.length ? at[i] : command.length)).filter((p) => p.length);
  }

  private meta(): boolean { return this.rng.chance(META_SHARE); }

  // Meta return flags for an item (f c, maybe k and an opaque) with the tokens a hit echoes.
  private ask(key: string, quiet: boolean): MetaAsk {
    const echo = this.rng.chance(ECHO_SHARE);
    const opaque = `O${++this.opaque}`;
    const flags = echo ? ` f ${opaque} c k` : " f c";
    return {
      flags: flags + (quiet ? " q" : ""),
      hit: (f, cas) => (echo ? `f${f} ${opaque} c${cas} k${key}` : `f${f} c${cas}`),
      // A miss echoes only the opaque and the key; with q it says nothing.
      miss: quiet ? "MN" : echo ? `EN ${opaque} k${key}` : "EN",
      quiet,
    };
  }

  // ── retrieval ──────────────────────────────────────────────────────────────────────────

  get(key: Bytes): Item | undefined {
    return this.meta() ? this.metaGet(text(key)) : this.fetch(text(key), "gets");
  }

  // gat and touch have no meta form here: memcached counts `mg <key> T<ttl>` as a touch when it
  // hits but as a get miss when it misses, which is not what gat or touch count.
  gat(key: Bytes, exptime: number): Item | undefined { return this.fetch(text(key), `gats ${exptime}`); }

  private fetch(key: string, verb: string): Item | undefined {
    const r = this.send(bytes(`${verb} ${key}\r\n`));
    const first = r.line();
    if (first === "END") {
      r.end();
      return undefined;
    }
    const m = /^VALUE (\S+) (\d+) (\d+) (\d+)$/.exec(first);
    if (!m || m[1] !== key) r.fail("expected a VALUE line for the key");
    const item = { value: r.data(Number(m![3])), flags: Number(m![2]), cas: BigInt(m![4]) };
    r.expectLine("END");
    r.end();
    return item;
  }

  private metaGet(key: string): Item | undefined {
    const a = this.ask(key, this.rng.chance(QUIET_SHARE));
    const r = this.send(bytes(`mg ${key} v${a.flags}\r\n${a.quiet ? "mn\r\n" : ""}`));
    const first = r.line();
    if (first === a.miss) {
      r.end();
      return undefined;
    }
    const words = first.split(" ");
    if (words[0] !== "VA" || !/^\d+$/.test(words[1] ?? "")) r.fail("expected VA or a miss");
    const flags = Number(/^f(\d+)$/.exec(words[2] ?? "")?.[1] ?? NaN);
    const cas = /^c(\d+)$/.exec(words.find((w) => w.startsWith("c")) ?? "")?.[1];
    if (!Number.isInteger(flags) || cas === undefined) r.fail("VA without its f and c flags");
    const want = a.hit(flags, BigInt(cas!));
    if (words.slice(2).join(" ") !== want) r.fail(`expected the flags ${JSON.stringify(want)}`);
    const item = { value: r.data(Number(words[1])), flags, cas: BigInt(cas!) };
    if (a.quiet) r.expectLine("MN");
    r.end();
    return item;
  }

  touch(key: Bytes, exptime: number): boolean {
    const r = this.send(bytes(`touch ${text(key)} ${exptime}\r\n`));
    const line = r.line();
    if (line !== "TOUCHED" && line !== "NOT_FOUND") r.fail("expected TOUCHED or NOT_FOUND");
    r.end();
    return line === "TOUCHED";
  }

  // ── storage ────────────────────────────────────────────────────────────────────────────

  set(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store("set", key, value, o); }
  add(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store("add", key, value, o); }
  replace(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store("replace", key, value, o); }
  append(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store("append", key, value, o); }
  prepend(key: Bytes, value: Bytes, o?: StoreOptions): StoreResult { return this.store("prepend", key, value, o); }
  cas(key: Bytes, value: Bytes, cas: bigint, o?: StoreOptions): StoreResult { return this.store("cas", key, value, o, cas); }

  private store(verb: StoreVerb, key: Bytes, value: Bytes, o: StoreOptions | undefined, cas?: bigint): StoreResult {
    this.last = undefined;
    const k = text(key);
    const v = Buffer.from(value);
    const flags = (o?.flags ?? 0) >>> 0;
    const exptime = o?.exptime ?? 0;
    if (this.meta()) return this.metaStore(verb, k, v, flags, exptime, cas);
    const unique = cas === undefined ? "" : ` ${cas}`;
    const r = this.send(Buffer.concat([bytes(`${verb} ${k} ${flags} ${exptime} ${v.length}${unique}\r\n`), v, bytes("\r\n")]));
    const result = STORE_REPLIES[r.line()];
    if (!result) r.fail("not a storage reply");
    r.end();
    return result;
  }

  private metaStore(verb: StoreVerb, key: string, v: Buffer, flags: number, exptime: number, cas?: bigint): StoreResult {
    const quiet = this.rng.chance(QUIET_SHARE);
    const unique = cas === undefined ? "" : ` C${cas}`;
    const line = `ms ${key} ${v.length} c F${flags} T${exptime} M${MODES[verb]}${unique}${quiet ? " q" : ""}\r\n`;
    const r = this.send(Buffer.concat([bytes(line), v, bytes(quiet ? "\r\nmn\r\n" : "\r\n")]));
    const first = r.line();
    if (quiet && first === "MN") {
      r.end();
      return "STORED";
    }
    const error = STORE_REPLIES[first];
    const [code, ...echoed] = first.split(" ");
    const result = error ?? META_STORE_CODES[code];
    if (!result) r.fail("not a meta storage reply");
    if (result === "STORED") {
      const m = /^c(\d+)$/.exec(echoed.join(" "));
      if (!m) r.fail("HD without its c flag");
      this.last = BigInt(m![1]);
    }
    if (quiet) r.expectLine("MN");
    r.end();
    return result;
  }

  // ── delete, arithmetic, flush, stats ───────────────────────────────────────────────────

  delete(key: Bytes): boolean {
    const k = text(key);
    if (this.meta()) {
      const quiet = this.rng.chance(QUIET_SHARE);
      const r = this.send(bytes(quiet ? `md ${k} q\r\nmn\r\n` : `md ${k}\r\n`));
      const first = r.line();
      const deleted = first === (quiet ? "MN" : "HD");
      if (!deleted && first !== "NF") r.fail("expected HD or NF");
      if (quiet && !deleted) r.expectLine("MN");
      r.end();
      return deleted;
    }
    const r = this.send(bytes(`delete ${k}\r\n`));
    const line = r.line();
    if (line !== "DELETED" && line !== "NOT_FOUND") r.fail("expected DELETED or NOT_FOUND");
    r.end();
    return line === "DELETED";
  }

  incr(key: Bytes, delta: bigint | number): bigint | ArithError { return this.arith(text(key), BigInt(delta), true); }
  decr(key: Bytes, delta: bigint | number): bigint | ArithError { return this.arith(text(key), BigInt(delta), false); }

  private arith(key: string, delta: bigint, incr: boolean): bigint | ArithError {
    const meta = this.meta();
    const r = this.send(bytes(meta ? `ma ${key} D${delta} M${incr ? "I" : "D"} v\r\n` : `${incr ? "incr" : "decr"} ${key} ${delta}\r\n`));
    const first = r.line();
    let result: bigint | ArithError | undefined;
    if (first === (meta ? "NF" : "NOT_FOUND")) result = "NOT_FOUND";
    else if (first === NON_NUMERIC) result = "NON_NUMERIC";
    else if (ARITH_NO_MEMORY.has(first)) result = "NO_MEMORY";
    else if (!meta && /^\d+$/.test(first)) result = BigInt(first);
    else if (meta && /^VA \d+$/.test(first)) {
      const digits = Buffer.from(r.data(Number(first.slice(3)))).toString("latin1");
      if (!/^\d+$/.test(digits)) r.fail("ma's value is not a number");
      result = BigInt(digits);
    }
    if (result === undefined) r.fail("not an incr/decr reply");
    r.end();
    return result!;
  }

  flushAll(): void {
    const r = this.send(bytes("flush_all\r\n"));
    r.expectLine("OK");
    r.end();
  }

  stats(): Map<string, string> {
    const r = this.send(bytes("stats\r\n"));
    const out = new Map<string, string>();
    for (let line = r.line(); line !== "END"; line = r.line()) {
      const m = /^STAT (\S+) (.*)$/.exec(line);
      if (!m) r.fail("not a STAT line");
      out.set(m![1], m![2]);
    }
    r.end();
    return out;
  }
}

function text(key: Bytes): string {
  return typeof key === "string" ? key : Buffer.from(key).toString("latin1");
}

function bytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}
