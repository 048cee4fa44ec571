#!/usr/bin/env node
// `wasmcached`: memcached's command line, flags and defaults, in front of startServer().
import { MEMCACHED_VERSION } from "../assembly/abi/version.js";
import { Command, CommanderError, Option } from "commander";
import { spawn } from "node:child_process";
import { writeFileSync, renameSync, readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  OPTIONS, OptionSpec, ServerOptions, defaultServerOptions, checkEngineOptions, ACCEPTED_NOOP_SUBOPTIONS, SUBOPTION_PRESETS,
} from "./options.js";
import { renderHelp } from "./help.js";
import {
  startServer, RunningServer, CredentialsError, saslPasswordFile, Runtime, NODE_RUNTIME,
} from "./node/server.js";
import { ENGINES, jsTwinRefusal } from "./js/twin.js";
import { TlsError } from "./tls.js";
import { ListenError } from "./listen_address.js";
import type { CacheEngine } from "./engine_api.js";
import type { Engine } from "./wasm_engine.js";
import type { ShutdownMode } from "./driver.js";
import { CorruptMetadata, saveCache } from "./restart/restart.js";

const EX_USAGE = 64;
// memcached's getopt loop returns 1 for an unknown option or a missing option argument.
const EXIT_ILLEGAL_ARGUMENT = 1;
const EX_NOUSER = 67;
const EX_OSERR = 71;
// What a shell reports for a process that abort()ed (128 + SIGABRT), should the signal not end it.
const EXIT_ABORTED = 134;
const MAX_ITEM_SIZE_LIMIT = 1024 * 1024 * 1024;

/** What a runtime's entry point (host/deno, host/bun) adds to startServer's Runtime. */
export interface CliRuntime extends Runtime {
  /** The command that runs this entry point again, for -d (default: this runtime and script). */
  relaunch?: string[];
  /** Sets the -u user's supplementary groups (default: process.initgroups, which Deno lacks). */
  initgroups?(user: string, gid: number): void;
  /** Catches SIGUSR1 (default: process.on; Deno's process leaves SIGUSR1 to its inspector). */
  onSigusr1?(handler: () => void): void;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function die(message: string, code = EX_USAGE): never {
  process.stderr.write(message.endsWith("\n") ? message : message + "\n");
  process.exit(code);
}

function parseInteger(text: string, what: string): number {
  if (!/^-?\d+$/.test(text.trim())) die(`${what}: invalid number "${text}"`);
  return Number(text.trim());
}

// memcached's -I: a number with an optional k or m suffix.
function parseSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text.trim());
  if (!m) die(`Invalid value for -I: "${text}"`);
  const unit = m[2].toLowerCase();
  const n = Number(m[1]) * (unit === "k" ? 1024 : unit === "m" ? 1024 * 1024 : 1);
  if (n > MAX_ITEM_SIZE_LIMIT) die("Cannot set item size limit higher than a gigabyte.");
  return n;
}

function parseValue(spec: OptionSpec, text: string): number | string | string[] {
  switch (spec.arg) {
    case "size": return parseSize(text);
    case "float": {
      const v = Number(text);
      if (!Number.isFinite(v)) die(`Invalid value for ${spec.sub ?? "-" + spec.short}: "${text}"`);
      return v;
    }
    case "list": return text.split(/[,;]/).filter(Boolean);
    // strtol(optarg, NULL, 8): the leading octal digits, 0 when there are none.
    case "octal": return parseInt(text, 8) || 0;
    case "text": return text;
    default: return parseInteger(text, spec.sub ?? `-${spec.short}`);
  }
}

// memcached's safe_strtol/safe_strtoul: the whole word, optional sign (unsigned: no minus).
function checkedNumber(text: string, unsigned: boolean): number | null {
  const m = /^\s*([+-]?)(\d+)\s*$/.exec(text);
  if (!m || (unsigned && m[1] === "-")) return null;
  return Number(m[1] + m[2]);
}

// A TLS suboption, parsed with memcached's messages.
function parseChecked(spec: OptionSpec, name: string, value: string | undefined): number | string {
  if (value === undefined) die(`Missing ${name} argument`, EXIT_ILLEGAL_ARGUMENT);
  if (spec.arg !== "num") return value;
  const n = checkedNumber(value, spec.checked?.unsigned ?? false);
  if (n === null) die(`could not parse argument to ${name}`, EXIT_ILLEGAL_ARGUMENT);
  const choices = spec.checked?.choices;
  if (choices && !choices.includes(n)) die(`Invalid ${name}. Use help to see valid options.`, EXIT_ILLEGAL_ARGUMENT);
  return n;
}

// -o name[=value],...: every memcached suboption is either ours, a known no-op, or illegal.
// Names are memcached's exactly: a boolean is turned on by its name (any value ignored, as
// getsubopt leaves it) and off only by the no_ form memcached has.
function applySuboptions(list: string, o: Record<string, unknown>): void {
  for (const item of list.split(",").filter(Boolean)) {
    const eq = item.indexOf("=");
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    const on = OPTIONS.find((s) => s.sub === name);
    const off = OPTIONS.find((s) => s.noSub === name);
    if (on) applySuboption(on, name, value, o);
    else if (off) o[off.key] = off.arg === undefined ? false : 0;
    else if (name in SUBOPTION_PRESETS) applyPreset(name, o);
    else if (!ACCEPTED_NOOP_SUBOPTIONS.has(name)) die(`Illegal suboption "${item}"`, EXIT_ILLEGAL_ARGUMENT);
  }
}

function applySuboption(spec: OptionSpec, name: string, value: string | undefined, o: Record<string, unknown>): void {
  if (spec.checked) o[spec.key] = parseChecked(spec, name, value);
  else if (spec.arg === undefined) o[spec.key] = true;
  else if (value !== undefined) o[spec.key] = parseValue(spec, value);
  else if (spec.bare !== undefined) o[spec.key] = spec.bare;
  else die(spec.missing ?? `Missing ${spec.sub} argument`, EXIT_ILLEGAL_ARGUMENT);
  if (spec.key === "temporaryTtl") o.tempLru = true; // memcached: giving the TTL turns TEMP on
  if (spec.key === "lruMaintainer") o.lruSegmented = true;
  if (spec.key === "slabChunkMax") o.slabChunkMaxGiven = true;
}

function applyPreset(name: string, o: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(SUBOPTION_PRESETS[name])) {
    if (name === "no_modern" && key === "slabChunkMax" && o.slabChunkMaxGiven) continue;
    o[key] = v;
  }
}

function buildProgram(o: Record<string, unknown>): Command {
  const program = new Command("wasmcached")
    .description("A memcached-compatible cache server with a WebAssembly core.")
    .helpOption(false)
    .version(`wasmcached ${packageVersion()} (memcached ${MEMCACHED_VERSION} compatible)`, "-V, --version", "print version and exit")
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const spec of OPTIONS) {
    if (!spec.long) continue;
    const flags = (spec.short ? `-${spec.short}, ` : "") + `--${spec.long}` + (spec.arg ? " <value>" : "");
    const help = `${spec.help}${spec.arg && spec.default !== "" ? ` (default: ${String(spec.default)})` : ""}`;
    const opt = new Option(flags, help);
    if (spec.key === "verbose") {
      program.addOption(opt.argParser((_v, prev: number) => prev + 1).default(0));
      continue;
    }
    if (!spec.arg) {
      // A bare flag flips its default: -M turns evictions off, -A turns shutdown on.
      program.addOption(opt.argParser(() => !spec.default));
      program.on(`option:${spec.long}`, () => { o[spec.key] = !spec.default; });
      continue;
    }
    program.addOption(opt);
    program.on(`option:${spec.long}`, (v: string) => {
      const parsed = parseValue(spec, v);
      o[spec.key] = spec.key === "listen" && Array.isArray(o.listenSet) ? [...(o.listen as string[]), ...(parsed as string[])] : parsed;
      if (spec.key === "listen") o.listenSet = [];
    });
  }
  program.option("-o, --extended <options>", "comma separated list of extended options (see README)");
  program.on("option:extended", (v: string) => applySuboptions(v, o));
  // memcached's -h layout: test harnesses read it to learn what the server supports.
  program.option("-h, --help", "print this help and exit");
  program.on("option:help", () => {
    process.stdout.write(renderHelp(packageVersion(), MEMCACHED_VERSION));
    process.exit(0);
  });
  program.on("option:verbose", () => { o.verbose = (o.verbose as number ?? 0) + 1; });
  return program;
}

function parseArgs(argv: string[]): ServerOptions {
  const o: Record<string, unknown> = {};
  const program = buildProgram(o);
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") process.exit(0);
      process.exit(EXIT_ILLEGAL_ARGUMENT);
    }
    throw err;
  }
  delete o.listenSet;
  delete o.slabChunkMaxGiven;
  const initial = process.env.T_MEMD_INITIAL_MALLOC;
  if (initial && /^\d+$/.test(initial)) o.initialMalloced = Number(initial);
  if (o.statKeyPrefix !== undefined) o.detailEnabled = true; // -D turns stats detail on
  const opts = { ...defaultServerOptions(), ...(o as Partial<ServerOptions>) };
  // -U without -p moves TCP to the UDP port too, as memcached does.
  if (o.udpPort !== undefined && o.port === undefined && opts.udpPort !== 0) opts.port = opts.udpPort;
  checkOptions(opts);
  applyAuthentication(opts, o.bindingProtocol !== undefined);
  if (opts.sslEnabled && opts.port === 0) die("ERROR: You cannot enable SSL without a TCP port.");
  return opts;
}

// -S speaks only binary and -Y only text: each picks the protocol unless -B did, and then they
// must agree. Neither works over UDP. memcached's messages and exit codes.
function applyAuthentication(opts: ServerOptions, protocolGiven: boolean): void {
  if (opts.sasl) {
    if (!protocolGiven) opts.bindingProtocol = "binary";
    else if (opts.bindingProtocol !== "binary") die("ERROR: You cannot allow the ASCII protocol while using SASL.");
    if (opts.udpPort !== 0) die("ERROR: Cannot enable UDP while using binary SASL authentication.");
    if (!saslPasswordFile(opts)) {
      process.stderr.write("SASL is on but no users are defined (-o sasl_pwdb=<file> or MEMCACHED_SASL_PWDB): every login will fail\n");
    }
  }
  if (opts.authFile) {
    if (!protocolGiven) opts.bindingProtocol = "ascii";
    else if (opts.bindingProtocol !== "ascii") die("ERROR: You cannot allow the BINARY protocol while using ascii authentication tokens.");
    if (opts.udpPort !== 0) die("Cannot use UDP with ascii authentication enabled (-U 0 to disable)");
  }
}

function checkOptions(opts: ServerOptions): void {
  if (!["auto", "ascii", "binary"].includes(opts.bindingProtocol)) {
    die(`Invalid value for binding protocol: ${opts.bindingProtocol}\n -- should be one of auto, binary, or ascii`);
  }
  if (opts.threads <= 0) die("Number of threads must be greater than 0", EXIT_ILLEGAL_ARGUMENT);
  if (!(ENGINES as readonly string[]).includes(opts.engine)) {
    die(`Invalid value for --engine: ${opts.engine}\n -- should be one of ${ENGINES.join(", ")}`);
  }
  const refusal = jsTwinRefusal(opts);
  if (refusal) die(refusal);
  const problem = checkEngineOptions(opts);
  if (problem) die(problem.message, problem.exitCode);
}

// memcached refuses to run as root unless told whom to become.
function checkUser(opts: ServerOptions): void {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && !opts.user) die("can't run as root without the -u switch");
}

// The user's uid and primary gid from /etc/passwd (Node has no getpwnam).
function lookupUser(name: string): { uid: number; gid: number } | null {
  let passwd = "";
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return null;
  }
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f.length > 3) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

// After the sockets are bound, as memcached does: group first, while still allowed to.
function dropPrivileges(opts: ServerOptions, runtime: CliRuntime): void {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (!root || !opts.user) return;
  const pw = lookupUser(opts.user);
  if (!pw) die(`can't find the user ${opts.user} to switch to`, EX_NOUSER);
  if (runtime.initgroups) runtime.initgroups(opts.user, pw.gid);
  else (process as unknown as { initgroups(user: string, gid: number): void }).initgroups(opts.user, pw.gid);
  process.setgid!(pw.gid);
  process.setuid!(pw.uid);
}

// MEMCACHED_PORT_FILENAME: test harnesses learn the ephemeral port from this file.
function writePortFile(ports: number[], udpPorts: number[]): void {
  const file = process.env.MEMCACHED_PORT_FILENAME;
  if (!file) return;
  const lines = ports.map((p) => `TCP INET: ${p}\n`).join("") + udpPorts.map((p) => `UDP INET: ${p}\n`).join("");
  writeFileSync(`${file}.lck`, lines);
  renameSync(`${file}.lck`, file);
}

function daemonize(argv: string[], runtime: CliRuntime): never {
  const args = argv.filter((a) => a !== "-d" && a !== "--daemon");
  const [cmd, ...pre] = runtime.relaunch ?? [process.execPath, process.argv[1]];
  const child = spawn(cmd, [...pre, ...args], { detached: true, stdio: "ignore" });
  child.unref();
  process.exit(0);
}

/** The whole command line on a runtime: parse, start, write the port and pid files, drop privileges. */
export async function runCli(runtime: CliRuntime): Promise<void> {
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  checkUser(opts);
  if (opts.daemonize) daemonize(argv, runtime);
  let server: RunningServer<CacheEngine> | undefined;
  let asked: ShutdownMode | undefined;
  // A signal may come before this thread has the server (its workers answer clients before
  // they tell it they are up): the server stops as soon as it has it.
  const onShutdown = (mode: ShutdownMode) => {
    if (asked) return;
    asked = mode;
    if (server) void shutDown(server, mode, opts);
  };
  process.on("SIGINT", () => onShutdown("now"));
  process.on("SIGTERM", () => onShutdown("now"));
  if (runtime.onSigusr1) runtime.onSigusr1(() => onShutdown("graceful"));
  else process.on("SIGUSR1", () => onShutdown("graceful"));
  // memcached creates a UNIX socket as the -u user, so the socket file is that user's (and its
  // -a mode lets that user's group in); with -s nothing privileged is bound.
  const unix = opts.unixSocket !== "";
  if (unix) dropPrivileges(opts, runtime);
  try {
    server = await startServer(opts, onShutdown, runtime);
  } catch (err) {
    if (err instanceof CorruptMetadata) refuseCorruptMetadata(err);
    if (err instanceof CredentialsError) {
      process.stderr.write(err.endsLine ? err.message + "\n" : err.message);
      process.exit(1);
    }
    if (err instanceof TlsError) die(err.message + err.lineEnd);
    if (err instanceof ListenError) die(err.message, EX_OSERR);
    die(`failed to start: ${(err as Error).message}`, EX_OSERR);
  }
  if (!unix) {
    writePortFile(server.ports, server.udpPorts);
    dropPrivileges(opts, runtime);
  }
  if (opts.pidFile) writeFileSync(opts.pidFile, `${process.pid}\n`);
  if (asked) void shutDown(server, asked, opts);
}

// memcached's SIGINT/SIGTERM (`shutdown`) and SIGUSR1 (`shutdown graceful`): connections close
// once their commands in flight are done and every thread stops; the graceful way then saves
// the cache when there is a -e file. Exit 0 either way, saved or not, as memcached.
async function shutDown(server: RunningServer<CacheEngine>, mode: ShutdownMode, opts: ServerOptions): Promise<void> {
  if (mode === "graceful") process.stderr.write("Gracefully stopping\n");
  await server.close();
  if (mode === "graceful" && opts.memoryFile) saveOrSay(server.engine as Engine, opts);
  process.exit(0);
}

function saveOrSay(engine: Engine, opts: ServerOptions): void {
  try {
    saveCache(engine.image(), opts.memoryFile);
  } catch (err) {
    process.stderr.write(`[restart] failed to save the cache to ${opts.memoryFile}: ${(err as Error).message}\n`);
  }
}

// memcached aborts on a metadata file it cannot read: no clean start over a file an operator
// may want to look at.
function refuseCorruptMetadata(err: CorruptMetadata): never {
  process.stderr.write(err.lines.map((l) => l + "\n").join(""));
  process.kill(process.pid, "SIGABRT");
  process.exit(EXIT_ABORTED);
}

// The Deno and Bun entry points import runCli; only running this file (or its bin link) starts Node's.
function isProgram(): boolean {
  try {
    return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isProgram()) void runCli(NODE_RUNTIME);
