// One cache interface spoken four ways — text, meta and binary commands over a socket, and the
// engine's own API in process — so a randomized workload (test/threads/mixed-load.ts) runs
// unchanged over each. Every reply is parsed strictly: anything but the forms a command may
// answer with throws, naming the protocol, the command and the reply.
import type { SocketClient } from "./socket-client.js";
import { Op, Status, packet, u32s, arithExtras, HEADER_LEN } from "./binary.js";
import type { CacheEngine } from "../../host/engine_api.js";

export type StoreMode = "set" | "add" | "replace" | "append" | "prepend";
export type StoreReply = "STORED" | "NOT_STORED" | "EXISTS" | "NOT_FOUND" | "NO_MEMORY" | "TOO_LARGE";
export type ArithReply = bigint | "NOT_FOUND" | "NON_NUMERIC" | "NO_MEMORY";

export interface Hit {
  value: string;
  /** 0n where the command did not ask for it. */
  cas: bigint;
}

export interface CacheClient {
  readonly protocol: string;
  get(key: string, withCas?: boolean): Promise<Hit | undefined>;
  /** One multi-key request (quiet gets ended by a no-op where the protocol has them). */
  getMany(keys: string[]): Promise<Map<string, Hit>>;
  gat(key: string, exptime: number): Promise<Hit | undefined>;
  store(mode: StoreMode, key: string, value: string, exptime?: number): Promise<StoreReply>;
  cas(key: string, value: string, cas: bigint): Promise<StoreReply>;
  /** Sets without a reply each (noreply, q, SETQ), then one round trip; returns the refusals
   * the protocol still reports (none in text). */
  setQuietly(entries: [string, string][]): Promise<StoreReply[]>;
  delete(key: string): Promise<boolean>;
  touch(key: string, exptime: number): Promise<boolean>;
  arith(key: string, incr: boolean, delta: bigint): Promise<ArithReply>;
}

class ProtocolError extends Error {
  constructor(protocol: string, command: string, reply: string) {
    super(`${protocol}: unexpected reply to ${JSON.stringify(command.slice(0, 80))}: ${JSON.stringify(reply.slice(0, 120))}`);
  }
}

const CRLF = "\r\n";
const NO_MEMORY = "SERVER_ERROR out of memory storing object\r\n";
const TOO_LARGE = "SERVER_ERROR object too large for cache\r\n";
const NON_NUMERIC = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
const ARITH_NO_MEMORY = "SERVER_ERROR out of memory\r\n";
const STORE_ERRORS: Record<string, StoreReply> = { [NO_MEMORY]: "NO_MEMORY", [TOO_LARGE]: "TOO_LARGE" };

async function readData(c: SocketClient, len: number, protocol: string, command: string): Promise<string> {
  const data = (await c.readBytes(len + CRLF.length)).toString("latin1");
  if (!data.endsWith(CRLF)) throw new ProtocolError(protocol, command, data);
  return data.slice(0, -CRLF.length);
}

// ── text ────────────────────────────────────────────────────────────────────────────────

const VALUE_LINE = /^VALUE (\S+) 0 (\d+)(?: (\d+))?\r\n$/;
const TEXT_STORE: Record<string, StoreReply> = {
  "STORED\r\n": "STORED", "NOT_STORED\r\n": "NOT_STORED", "EXISTS\r\n": "EXISTS", "NOT_FOUND\r\n": "NOT_FOUND", ...STORE_ERRORS,
};

export class TextClient implements CacheClient {
  readonly protocol = "text";
  private gats = 0;
  constructor(private readonly c: SocketClient) {}

  // VALUE blocks up to END.
  private async values(command: string): Promise<Map<string, Hit>> {
    await this.c.send(command);
    const out = new Map<string, Hit>();
    for (;;) {
      const line = await this.c.readLine();
      if (line === "END\r\n") return out;
      const m = VALUE_LINE.exec(line);
      if (!m) throw new ProtocolError(this.protocol, command, line);
      out.set(m[1], { value: await readData(this.c, Number(m[2]), this.protocol, command), cas: BigInt(m[3] ?? 0) });
    }
  }

  private async one(command: string, key: string): Promise<Hit | undefined> {
    const got = await this.values(command);
    if (got.size > 1 || (got.size === 1 && !got.has(key))) throw new ProtocolError(this.protocol, command, [...got.keys()].join(" "));
    return got.get(key);
  }

  get(key: string, withCas = false): Promise<Hit | undefined> { return this.one(`${withCas ? "gets" : "get"} ${key}\r\n`, key); }
  getMany(keys: string[]): Promise<Map<string, Hit>> { return this.values(`get ${keys.join(" ")}\r\n`); }
  // gat and gats in turn, so both reply shapes are read.
  gat(key: string, exptime: number): Promise<Hit | undefined> {
    return this.one(`${this.gats++ % 2 ? "gats" : "gat"} ${exptime} ${key}\r\n`, key);
  }

  private async stored(command: string): Promise<StoreReply> {
    const line = await this.c.request(command);
    const r = TEXT_STORE[line];
    if (!r) throw new ProtocolError(this.protocol, command, line);
    return r;
  }

  store(mode: StoreMode, key: string, value: string, exptime = 0): Promise<StoreReply> {
    return this.stored(`${mode} ${key} 0 ${exptime} ${value.length}\r\n${value}\r\n`);
  }

  cas(key: string, value: string, cas: bigint): Promise<StoreReply> {
    return this.stored(`cas ${key} 0 0 ${value.length} ${cas}\r\n${value}\r\n`);
  }

  async setQuietly(entries: [string, string][]): Promise<StoreReply[]> {
    const sets = entries.map(([k, v]) => `set ${k} 0 0 ${v.length} noreply\r\n${v}\r\n`).join("");
    const line = await this.c.request(sets + "version\r\n");
    if (!line.startsWith("VERSION ")) throw new ProtocolError(this.protocol, sets, line);
    return [];
  }

  private async yesNo(command: string, yes: string, no: string): Promise<boolean> {
    const line = await this.c.request(command);
    if (line !== yes && line !== no) throw new ProtocolError(this.protocol, command, line);
    return line === yes;
  }

  delete(key: string): Promise<boolean> { return this.yesNo(`delete ${key}\r\n`, "DELETED\r\n", "NOT_FOUND\r\n"); }
  touch(key: string, exptime: number): Promise<boolean> { return this.yesNo(`touch ${key} ${exptime}\r\n`, "TOUCHED\r\n", "NOT_FOUND\r\n"); }

  async arith(key: string, incr: boolean, delta: bigint): Promise<ArithReply> {
    const command = `${incr ? "incr" : "decr"} ${key} ${delta}\r\n`;
    const line = await this.c.request(command);
    if (/^\d+\r\n$/.test(line)) return BigInt(line.slice(0, -2));
    if (line === "NOT_FOUND\r\n") return "NOT_FOUND";
    if (line === NON_NUMERIC) return "NON_NUMERIC";
    if (line === ARITH_NO_MEMORY) return "NO_MEMORY";
    throw new ProtocolError(this.protocol, command, line);
  }
}

// ── meta ────────────────────────────────────────────────────────────────────────────────

const META_STORE: Record<string, StoreReply> = { "HD\r\n": "STORED", "NS\r\n": "NOT_STORED", "EX\r\n": "EXISTS", "NF\r\n": "NOT_FOUND", ...STORE_ERRORS };
const MODE_LETTER: Record<StoreMode, string> = { set: "S", add: "E", replace: "R", append: "A", prepend: "P" };

// A VA line's length and returned flags (k, c, s).
function metaFlags(line: string): Map<string, string> {
  const flags = new Map<string, string>();
  for (const token of line.trimEnd().split(" ").slice(2)) flags.set(token[0], token.slice(1));
  return flags;
}

export class MetaClient implements CacheClient {
  readonly protocol = "meta";
  constructor(private readonly c: SocketClient) {}

  // One mg: VA (its size flag must match the data) or, with `miss`, that miss line.
  private async mg(command: string, miss: string): Promise<Hit | undefined> {
    const line = await this.c.request(command);
    if (line === miss) return undefined;
    if (!line.startsWith("VA ")) throw new ProtocolError(this.protocol, command, line);
    const len = Number(line.split(" ")[1]);
    const flags = metaFlags(line);
    const value = await readData(this.c, len, this.protocol, command);
    if (flags.has("s") && Number(flags.get("s")) !== len) throw new ProtocolError(this.protocol, command, line);
    return { value, cas: BigInt(flags.get("c") ?? 0) };
  }

  get(key: string, withCas = false): Promise<Hit | undefined> { return this.mg(`mg ${key} s v${withCas ? " c" : ""}\r\n`, "EN\r\n"); }
  gat(key: string, exptime: number): Promise<Hit | undefined> { return this.mg(`mg ${key} v c T${exptime}\r\n`, "EN\r\n"); }

  async getMany(keys: string[]): Promise<Map<string, Hit>> {
    const command = keys.map((k) => `mg ${k} k v c q\r\n`).join("") + "mn\r\n";
    await this.c.send(command);
    const out = new Map<string, Hit>();
    for (;;) {
      const line = await this.c.readLine();
      if (line === "MN\r\n") return out;
      if (!line.startsWith("VA ")) throw new ProtocolError(this.protocol, command, line);
      const flags = metaFlags(line);
      const value = await readData(this.c, Number(line.split(" ")[1]), this.protocol, command);
      out.set(flags.get("k") ?? "", { value, cas: BigInt(flags.get("c") ?? 0) });
    }
  }

  private async ms(command: string): Promise<StoreReply> {
    const line = await this.c.request(command);
    const r = META_STORE[line];
    if (!r) throw new ProtocolError(this.protocol, command, line);
    return r;
  }

  store(mode: StoreMode, key: string, value: string, exptime = 0): Promise<StoreReply> {
    return this.ms(`ms ${key} ${value.length} M${MODE_LETTER[mode]} T${exptime}\r\n${value}\r\n`);
  }

  cas(key: string, value: string, cas: bigint): Promise<StoreReply> {
    return this.ms(`ms ${key} ${value.length} C${cas}\r\n${value}\r\n`);
  }

  async setQuietly(entries: [string, string][]): Promise<StoreReply[]> {
    const command = entries.map(([k, v]) => `ms ${k} ${v.length} q\r\n${v}\r\n`).join("") + "mn\r\n";
    const lines = (await this.c.request(command, "MN\r\n")).split(CRLF).slice(0, -2);
    return lines.map((l) => {
      const r = STORE_ERRORS[l + CRLF];
      if (!r) throw new ProtocolError(this.protocol, command, l);
      return r;
    });
  }

  private async hdOr(command: string, no: string): Promise<boolean> {
    const line = await this.c.request(command);
    if (line !== "HD\r\n" && line !== no) throw new ProtocolError(this.protocol, command, line);
    return line === "HD\r\n";
  }

  delete(key: string): Promise<boolean> { return this.hdOr(`md ${key}\r\n`, "NF\r\n"); }
  // Meta has no touch: mg with T and no value is one.
  touch(key: string, exptime: number): Promise<boolean> { return this.hdOr(`mg ${key} T${exptime}\r\n`, "EN\r\n"); }

  async arith(key: string, incr: boolean, delta: bigint): Promise<ArithReply> {
    const command = `ma ${key} D${delta} M${incr ? "I" : "D"} v\r\n`;
    const line = await this.c.request(command);
    if (line === "NF\r\n") return "NOT_FOUND";
    if (line === NON_NUMERIC) return "NON_NUMERIC";
    if (line === ARITH_NO_MEMORY) return "NO_MEMORY";
    if (!line.startsWith("VA ")) throw new ProtocolError(this.protocol, command, line);
    const digits = await readData(this.c, Number(line.split(" ")[1]), this.protocol, command);
    if (!/^\d+$/.test(digits)) throw new ProtocolError(this.protocol, command, digits);
    return BigInt(digits);
  }
}

// ── binary ──────────────────────────────────────────────────────────────────────────────

interface Reply { opcode: number; status: number; cas: bigint; key: string; value: Buffer }

const STORE_OPCODE: Record<StoreMode, number> = { set: Op.SET, add: Op.ADD, replace: Op.REPLACE, append: Op.APPEND, prepend: Op.PREPEND };
// Binary arithmetic on a missing key creates it unless the expiration is all ones: the text
// commands' NOT_FOUND instead.
const NO_AUTOVIVIFY = 0xffffffff;
const COUNTER_BYTES = 8;

// What a binary status means for each kind of store (memcached's proto_bin.c).
function binaryStore(mode: StoreMode | "cas", status: number): StoreReply | undefined {
  switch (status) {
    case Status.SUCCESS: return "STORED";
    case Status.NOT_STORED: return "NOT_STORED";
    case Status.ENOMEM: return "NO_MEMORY";
    case Status.E2BIG: return "TOO_LARGE";
    case Status.KEY_EEXISTS: return mode === "add" ? "NOT_STORED" : mode === "cas" ? "EXISTS" : undefined;
    case Status.KEY_ENOENT: return mode === "replace" ? "NOT_STORED" : mode === "cas" ? "NOT_FOUND" : undefined;
    default: return undefined;
  }
}

export class BinaryClient implements CacheClient {
  readonly protocol = "binary";
  private opaque = 0;
  constructor(private readonly c: SocketClient) {}

  private async readReply(): Promise<Reply> {
    const h = await this.c.readBytes(HEADER_LEN);
    const body = await this.c.readBytes(h.readUInt32BE(8));
    const extras = h[4];
    const keylen = h.readUInt16BE(2);
    return {
      opcode: h[1], status: h.readUInt16BE(6), cas: h.readBigUInt64BE(16),
      key: body.subarray(extras, extras + keylen).toString("latin1"), value: body.subarray(extras + keylen),
    };
  }

  private async request(opcode: number, fields: Parameters<typeof packet>[1]): Promise<Reply> {
    const opaque = ++this.opaque;
    await this.c.send(packet(opcode, { ...fields, opaque }));
    const r = await this.readReply();
    if (r.opcode !== opcode) throw this.error(opcode, r);
    return r;
  }

  private error(opcode: number, r: Reply): Error {
    return new ProtocolError(this.protocol, `opcode 0x${opcode.toString(16)}`, `opcode 0x${r.opcode.toString(16)} status 0x${r.status.toString(16)} ${r.value.toString("latin1")}`);
  }

  private hit(opcode: number, r: Reply): Hit | undefined {
    if (r.status === Status.KEY_ENOENT) return undefined;
    if (r.status !== Status.SUCCESS) throw this.error(opcode, r);
    return { value: r.value.toString("latin1"), cas: r.cas };
  }

  // GET and GETK in turn, so both reply shapes are read.
  async get(key: string): Promise<Hit | undefined> {
    const opcode = this.opaque % 2 ? Op.GETK : Op.GET;
    return this.hit(opcode, await this.request(opcode, { key }));
  }

  async gat(key: string, exptime: number): Promise<Hit | undefined> {
    return this.hit(Op.GAT, await this.request(Op.GAT, { key, extras: u32s(exptime) }));
  }

  // Replies to quiet requests up to the NOOP's.
  private async untilNoop(requests: Buffer[]): Promise<Reply[]> {
    await this.c.send(Buffer.concat([...requests, packet(Op.NOOP)]));
    const replies: Reply[] = [];
    for (let r = await this.readReply(); r.opcode !== Op.NOOP; r = await this.readReply()) replies.push(r);
    return replies;
  }

  async getMany(keys: string[]): Promise<Map<string, Hit>> {
    const out = new Map<string, Hit>();
    for (const r of await this.untilNoop(keys.map((key) => packet(Op.GETKQ, { key })))) {
      if (r.opcode !== Op.GETKQ || r.status !== Status.SUCCESS) throw this.error(Op.GETKQ, r);
      out.set(r.key, { value: r.value.toString("latin1"), cas: r.cas });
    }
    return out;
  }

  private async stored(mode: StoreMode | "cas", opcode: number, fields: Parameters<typeof packet>[1]): Promise<StoreReply> {
    const r = await this.request(opcode, fields);
    const reply = binaryStore(mode, r.status);
    if (!reply) throw this.error(opcode, r);
    return reply;
  }

  store(mode: StoreMode, key: string, value: string, exptime = 0): Promise<StoreReply> {
    const joins = mode === "append" || mode === "prepend";
    return this.stored(mode, STORE_OPCODE[mode], { key, value, extras: joins ? undefined : u32s(0, exptime) });
  }

  cas(key: string, value: string, cas: bigint): Promise<StoreReply> {
    return this.stored("cas", Op.SET, { key, value, cas, extras: u32s(0, 0) });
  }

  async setQuietly(entries: [string, string][]): Promise<StoreReply[]> {
    const replies = await this.untilNoop(entries.map(([key, value]) => packet(Op.SETQ, { key, value, extras: u32s(0, 0) })));
    return replies.map((r) => {
      const reply = r.opcode === Op.SETQ ? binaryStore("set", r.status) : undefined;
      if (!reply || reply === "STORED") throw this.error(Op.SETQ, r);
      return reply;
    });
  }

  private async found(opcode: number, fields: Parameters<typeof packet>[1]): Promise<boolean> {
    const r = await this.request(opcode, fields);
    if (r.status !== Status.SUCCESS && r.status !== Status.KEY_ENOENT) throw this.error(opcode, r);
    return r.status === Status.SUCCESS;
  }

  delete(key: string): Promise<boolean> { return this.found(Op.DELETE, { key }); }
  touch(key: string, exptime: number): Promise<boolean> { return this.found(Op.TOUCH, { key, extras: u32s(exptime) }); }

  async arith(key: string, incr: boolean, delta: bigint): Promise<ArithReply> {
    const opcode = incr ? Op.INCREMENT : Op.DECREMENT;
    const r = await this.request(opcode, { key, extras: arithExtras(delta, 0n, NO_AUTOVIVIFY) });
    switch (r.status) {
      case Status.SUCCESS:
        if (r.value.length !== COUNTER_BYTES) throw this.error(opcode, r);
        return r.value.readBigUInt64BE(0);
      case Status.KEY_ENOENT: return "NOT_FOUND";
      case Status.DELTA_BADVAL: return "NON_NUMERIC";
      case Status.ENOMEM: return "NO_MEMORY";
      default: throw this.error(opcode, r);
    }
  }
}

// ── the engine's API, in process ────────────────────────────────────────────────────────

const decoder = new TextDecoder("latin1");

/** The engine called directly (any thread's instance of a shared core). Keys and values are
 * ASCII here, so the engine's UTF-8 strings are their bytes. */
export class EngineClient implements CacheClient {
  readonly protocol = "engine";
  constructor(private readonly e: CacheEngine) {}

  private hit(item: { value: Uint8Array; cas: bigint } | undefined): Hit | undefined {
    return item && { value: decoder.decode(item.value), cas: item.cas };
  }

  async get(key: string): Promise<Hit | undefined> { return this.hit(this.e.get(key)); }

  async getMany(keys: string[]): Promise<Map<string, Hit>> {
    const out = new Map<string, Hit>();
    for (const k of keys) {
      const h = this.hit(this.e.get(k));
      if (h) out.set(k, h);
    }
    return out;
  }

  async gat(key: string, exptime: number): Promise<Hit | undefined> { return this.hit(this.e.gat(key, exptime)); }

  async store(mode: StoreMode, key: string, value: string, exptime = 0): Promise<StoreReply> {
    return this.e[mode](key, value, { exptime }) as StoreReply;
  }

  async cas(key: string, value: string, cas: bigint): Promise<StoreReply> {
    return this.e.cas(key, value, cas) as StoreReply;
  }

  async setQuietly(entries: [string, string][]): Promise<StoreReply[]> {
    const refused: StoreReply[] = [];
    for (const [k, v] of entries) {
      const r = this.e.set(k, v) as StoreReply;
      if (r !== "STORED") refused.push(r);
    }
    return refused;
  }

  async delete(key: string): Promise<boolean> { return this.e.delete(key); }
  async touch(key: string, exptime: number): Promise<boolean> { return this.e.touch(key, exptime); }

  async arith(key: string, incr: boolean, delta: bigint): Promise<ArithReply> {
    const r = incr ? this.e.incr(key, delta) : this.e.decr(key, delta);
    if (r === "EXISTS") throw new ProtocolError(this.protocol, `${incr ? "incr" : "decr"} ${key}`, r);
    return r;
  }
}
