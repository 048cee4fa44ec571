// The JS twin against the WASM core, in process: the same random streams of text commands,
// cut into the same random pieces, go through two connection drivers — one feeding the core,
// one feeding the twin's protocol — and every byte sent back, every close and every -vv trace
// must be the same. The twin's protocol runs over the JS storage engine (the twin as served)
// and over the WASM engine's direct API (the protocol alone, on the core's very storage). The stream mixes valid and broken commands, pipelining, values split
// anywhere, refused and swallowed values, multi-gets that fill the output area and -R yields.
import { expect } from "chai";
import { Engine } from "../../host/wasm_engine.js";
import type { ProtocolEngine } from "../../host/engine_api.js";
import { Driver, type Transport } from "../../host/driver.js";
import { defaultServerOptions, type ServerOptions } from "../../host/options.js";
import { readCoreWasm } from "../../host/wasm.js";
import { JsEngine } from "../../host/js/js_engine.js";
import { JsTextProtocol, type CheckedEngine } from "../../host/js/protocol.js";
import { Rng } from "../helpers/rng.js";

const STREAMS_PER_SETUP = 12;
const COMMANDS_PER_STREAM = 250;
const KEYS = ["k0", "k1", "k2", "k3", "n0", "n1", "a-very-long-key-name-for-the-value-lines"];
const K251 = "l".repeat(251);
// Values up to a few hundred KB: several in one multi-get fill the output area (ProcFlag.AGAIN).
const BIG_VALUE = 300 * 1024;
// One byte over what -I 1m takes for these keys.
const TOO_LARGE = 1024 * 1024;

class Sink implements Transport {
  readonly chunks: Uint8Array[] = [];
  ended = false;
  destroyed = false;
  write(bytes: Uint8Array): void { this.chunks.push(bytes.slice()); }
  pendingBytes(): number { return 0; }
  end(): void { this.ended = true; }
  destroy(): void { this.destroyed = true; }
  pause(): void {}
  resume(): void {}
  addr(): string { return "tcp:127.0.0.1:40000"; }
  listenAddr(): string { return "tcp:127.0.0.1:11211"; }
  text(): string { return Buffer.concat(this.chunks).toString("latin1"); }
}

interface Side {
  sink: Sink;
  traces: string[];
  feed(chunk: Uint8Array): void;
  end(): void;
}

// One driver on one protocol engine; -R yields run when the test drains the deferred queue.
function side(protocol: ProtocolEngine, opts: ServerOptions): Side {
  const deferred: (() => void)[] = [];
  const traces: string[] = [];
  const driver = new Driver(protocol, {
    maxConns: 4, idleTimeout: 0, verbose: opts.verbose, trace: (l) => traces.push(l), onShutdown: () => {},
    defer: (fn) => deferred.push(fn),
  });
  const sink = new Sink();
  const conn = driver.accept(sink)!;
  const settle = () => {
    while (deferred.length) deferred.shift()!();
  };
  return {
    sink, traces,
    feed: (chunk) => {
      conn.onData(chunk);
      settle();
    },
    end: () => {
      conn.onEnd();
      settle();
    },
  };
}

// Value bytes that a broken data block leaves to be read as command lines must not spell a
// command only the core serves (meta commands, slabs, lru, watch, stats groups): a-l cannot.
const VALUE_LETTERS = 12;

function value(rng: Rng): string {
  if (rng.chance(0.3)) return String(rng.range(0, 1e6));
  const n = rng.range(0, 40);
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.02) ? rng.pick([0, 13, 10, 32, 0xff]) : 97 + rng.int(VALUE_LETTERS));
  return s;
}

const num = (rng: Rng) => rng.pick(["0", "1", "7", "-1", "4294967296", "x", "18446744073709551615", "+3", "00"]);
const exptime = (rng: Rng) => rng.pick(["0", "0", "0", "-1", "100", "2592001", "abc"]);

function storage(rng: Rng): string {
  const cmd = rng.pick(["set", "set", "set", "add", "replace", "append", "prepend", "cas"]);
  const key = rng.chance(0.03) ? K251 : rng.pick(KEYS);
  const v = value(rng);
  const len = rng.chance(0.03) ? rng.pick(["-1", "x", "4294967297", "2147483646"]) : String(v.length);
  const cas = cmd === "cas" ? ` ${rng.pick(["1", "2", "3", String(rng.range(1, 60)), "0", "x"])}` : "";
  const noreply = rng.chance(0.15) ? " noreply" : "";
  const end = rng.chance(0.05) ? rng.pick(["X\r\n", "\n", "\r\r\n", "xy\r\n"]) : "\r\n";
  const flags = rng.chance(0.8) ? "0" : num(rng);
  return `${cmd} ${key} ${flags} ${exptime(rng)} ${len}${cas}${noreply}\r\n${v}${end}`;
}

// Large values: hits that fill the output area mid-line (ProcFlag.AGAIN), and values over -I that
// are refused and swallowed (a set's old value dropped with them).
function large(rng: Rng): string {
  if (rng.chance(0.2)) {
    const cmd = rng.pick(["set", "add", "append", "cas"]);
    return `${cmd} ${rng.pick(KEYS)} 0 0 ${TOO_LARGE}${cmd === "cas" ? " 1" : ""}${rng.chance(0.3) ? " noreply" : ""}\r\n${"t".repeat(TOO_LARGE)}\r\n`;
  }
  const n = rng.range(BIG_VALUE / 2, BIG_VALUE);
  return `set big 0 0 ${n}\r\n${"b".repeat(n)}\r\n${rng.pick(["get", "gets"])} big k0 big big${rng.chance(0.5) ? " big big" : ""}\r\n`;
}

function retrieval(rng: Rng): string {
  const cmd = rng.pick(["get", "get", "gets", "gat", "gats", "bget"]);
  const keys = Array.from({ length: rng.range(rng.chance(0.1) ? 0 : 1, rng.chance(0.1) ? 40 : 5) }, () => (rng.chance(0.01) ? K251 : rng.pick(KEYS)));
  const touch = cmd.startsWith("gat") ? ` ${exptime(rng)}` : "";
  return `${cmd}${touch} ${keys.join(" ")}\r\n`;
}

function other(rng: Rng): string {
  const key = rng.pick(KEYS);
  const noreply = rng.chance(0.15) ? " noreply" : "";
  switch (rng.int(9)) {
    case 0: return `incr ${key} ${num(rng)}${noreply}\r\n`;
    case 1: return `decr ${key} ${num(rng)}${noreply}\r\n`;
    case 2: return `delete ${key}${rng.pick(["", " 0", " 1", " x"])}${noreply}\r\n`;
    case 3: return `touch ${key} ${exptime(rng)}${noreply}\r\n`;
    case 4: return rng.pick(["version\r\n", "bogus\r\n", "\r\n", "x\r\n", "GET\r\n", "verbosity 2\r\n", "set k0 0\r\n"]);
    case 5: return rng.chance(0.2) ? `flush_all${rng.pick(["", " 0", " -1", " x", " 0 0"])}${noreply}\r\n` : "version\r\n";
    case 6: return `get ${Array.from({ length: 400 }, (_, i) => `long-${i}`).join(" ")} k0\r\n`;
    case 7: return `    set   ${key}  0 0 2 \r\nab\r\n`;
    default: return `${"set k1 0 0 1"}\x00 garbage\r\nz\r\n`;
  }
}

function stream(rng: Rng): Uint8Array {
  let s = "";
  for (let i = 0; i < COMMANDS_PER_STREAM; i++) {
    const r = rng.float();
    s += r < 0.4 ? storage(rng) : r < 0.75 ? retrieval(rng) : r < 0.98 ? other(rng) : large(rng);
  }
  // Some streams end in a way that closes: quit, an HTTP request, an endless line.
  s += rng.pick(["", "", "quit\r\nversion\r\n", "GET / HTTP/1.1\r\n", "z".repeat(3000), "get k0"]);
  return Buffer.from(s, "latin1");
}

// The same random cuts for both sides: single bytes, small pieces, large pieces.
function cuts(rng: Rng, total: number): number[] {
  const out: number[] = [];
  for (let at = 0; at < total;) {
    const n = Math.min(total - at, rng.pick([1, rng.range(2, 64), rng.range(64, 8192), rng.range(8192, 400000)]));
    out.push(n);
    at += n;
  }
  return out;
}

type Storage = "JsEngine" | "the WASM engine's direct API";
const STORAGES: readonly Storage[] = ["JsEngine", "the WASM engine's direct API"];

async function storageFor(kind: Storage, opts: ServerOptions): Promise<CheckedEngine> {
  return kind === "JsEngine" ? JsEngine.create(opts) : Engine.create(readCoreWasm("debug"), opts);
}

async function compare(kind: Storage, overrides: Partial<ServerOptions>, seed: number): Promise<void> {
  const opts = { ...defaultServerOptions(), ...overrides };
  const core = await Engine.create(readCoreWasm("debug"), opts);
  const storage = await storageFor(kind, opts);
  const rng = new Rng(seed);
  const input = stream(rng);
  const sides = [side(core, opts), side(new JsTextProtocol(storage, opts), opts)];
  let at = 0;
  for (const n of cuts(rng, input.length)) {
    const piece = input.subarray(at, at + n);
    for (const s of sides) s.feed(piece);
    at += n;
  }
  for (const s of sides) s.end();
  const [wasm, js] = sides;
  const where = `seed ${seed}, options ${JSON.stringify(overrides)}, storage ${kind}`;
  const a = wasm.sink.text();
  const b = js.sink.text();
  if (a !== b) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    const show = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 200), i + 200));
    expect.fail(`replies differ at byte ${i} (${where}):\n  core: ${show(a)}\n  twin: ${show(b)}`);
  }
  expect([js.sink.ended, js.sink.destroyed], `close (${where})`).to.deep.equal([wasm.sink.ended, wasm.sink.destroyed]);
  expect(js.traces, `-vv traces (${where})`).to.deep.equal(wasm.traces);
  storage.stop();
}

describe("js twin: same bytes as the WASM core through the connection driver", function () {
  this.timeout(120000);
  const setups: [string, Partial<ServerOptions>][] = [
    ["default options", {}],
    ["-R 3 -vv (yields and traces)", { reqsPerEvent: 3, verbose: 2 }],
    ["-C -F", { cas: false, flushEnabled: false }],
  ];
  for (const kind of STORAGES) {
    for (const [label, overrides] of setups) {
      it(`over ${kind}, ${label}: ${STREAMS_PER_SETUP} random streams`, async () => {
        for (let seed = 1; seed <= STREAMS_PER_SETUP; seed++) await compare(kind, overrides, seed);
      });
    }
  }
});
