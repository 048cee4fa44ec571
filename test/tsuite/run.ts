// Runs memcached's own test suite (t/*.t from Debian's source package) against wasmcached, or
// against Debian's memcached to learn which files pass there (`--server memcached`).
//
//   node dist/test/tsuite/run.js                    the committed list (files.txt) on wasmcached
//   node dist/test/tsuite/run.js --server memcached the same list on Debian's memcached
//   node dist/test/tsuite/run.js --all [t/x.t ...]  every file (or the ones named), listed or not
//
// The suite starts ./memcached-debug and ./timedrun from the directory it runs in: this makes
// one (build/tsuite/<server>/) holding the stand-ins and a link to the source's t/, then runs
// `prove` there. The source is fetched with fetch-memcached-source.sh unless MEMCACHED_SOURCE
// names an unpacked tree.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, WASMCACHED_CLI, MEMCACHED_BIN } from "../helpers/servers.js";

const HERE = join(REPO_ROOT, "test/tsuite");
const LIST = join(HERE, "files.txt");
const SOURCE_CACHE = join(REPO_ROOT, "build/memcached-source");
const MEMCACHED_VERSION = "1.6.18";
// Longest a server of the suite may run (the harness asks for 600 s): the slowest file that
// passes takes about a minute, so a hang costs this much, not ten minutes per server.
const SERVER_SECONDS = 180;
// Longest one test file may run, its Perl included (GNU timeout, then SIGKILL 10 s later).
const FILE_SECONDS = 300;
// Files run side by side: they mostly sleep or wait on sockets, and the machine has 2 cores.
const JOBS = 3;
// Files that assume a server starting in milliseconds: issue_67.t gives each of its servers
// 2 s to write its port file, which a Node process starting beside other test files on 2 busy
// cores once missed. They run after the others, one at a time.
const ALONE = new Set(["issue_67.t"]);
// memcached's TLS files skip themselves unless SSL_TEST is set, which makes every connection of
// a file TLS: they run as a group of their own with it (the rest of the suite over plain TCP).
const isTlsFile = (f: string) => f.startsWith("ssl_");

interface Listing {
  run: string[];
  left: Map<string, string>;
}

// files.txt: one file name a line to run; `- name.t: why` for each file left out; # comments.
function readListing(text: string): Listing {
  const run: string[] = [];
  const left = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const out = /^-\s+(\S+\.t):\s*(.+)$/.exec(line);
    if (out) left.set(out[1], out[2]);
    else run.push(line);
  }
  return { run, left };
}

function sourceTree(): string {
  const given = process.env.MEMCACHED_SOURCE;
  if (given) return given;
  const tree = join(SOURCE_CACHE, `memcached-${MEMCACHED_VERSION}`);
  const fetched = spawnSync("bash", [join(HERE, "fetch-memcached-source.sh"), SOURCE_CACHE], { stdio: "inherit" });
  if (fetched.status !== 0) throw new Error("could not fetch memcached's source (set MEMCACHED_SOURCE to an unpacked tree)");
  return tree;
}

// Every file of the suite is either run or left out with a reason: a file new to the source
// (another Debian revision) fails the run until it is placed.
function checkListing(listing: Listing, files: string[]): void {
  const unplaced = files.filter((f) => !listing.run.includes(f) && !listing.left.has(f));
  const unknown = [...listing.run, ...listing.left.keys()].filter((f) => !files.includes(f));
  if (unplaced.length) throw new Error(`files.txt places neither way: ${unplaced.join(" ")}`);
  if (unknown.length) throw new Error(`files.txt names files the suite does not have: ${unknown.join(" ")}`);
}

function prepareDir(server: string, tree: string): string {
  const dir = join(REPO_ROOT, "build/tsuite", server);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(tree, "t"), join(dir, "t"));
  symlinkSync(join(HERE, "memcached-debug"), join(dir, "memcached-debug"));
  const timedrun = join(REPO_ROOT, "dist/test/tsuite/timedrun.js");
  chmodSync(timedrun, 0o755);
  symlinkSync(timedrun, join(dir, "timedrun"));
  return dir;
}

function main(): number {
  const args = process.argv.slice(2);
  const serverAt = args.indexOf("--server");
  const server = serverAt >= 0 ? args.splice(serverAt, 2)[1] : "wasmcached";
  const all = args.includes("--all");
  const named = args.filter((a) => a !== "--all");
  if (server !== "wasmcached" && server !== "memcached") throw new Error(`--server wasmcached|memcached, not ${server}`);
  const tree = sourceTree();
  const files = readdirSync(join(tree, "t")).filter((f) => f.endsWith(".t")).sort();
  const listing = readListing(readFileSync(LIST, "utf8"));
  checkListing(listing, files);
  const chosen = named.length ? named.map((f) => f.replace(/^t\//, "")) : all ? files : listing.run;
  const dir = prepareDir(server, tree);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WASMCACHED_CLI,
    NODE: process.execPath,
    TIMEDRUN_MAX_SECONDS: String(SERVER_SECONDS),
  };
  if (server === "memcached") env.TSUITE_MEMCACHED = MEMCACHED_BIN;
  else delete env.TSUITE_MEMCACHED;
  process.stderr.write(`memcached's t/ suite: ${chosen.length} files on ${server}\n`);
  const side = chosen.filter((f) => !ALONE.has(f) && !isTlsFile(f));
  const tls = chosen.filter(isTlsFile);
  const alone = chosen.filter((f) => ALONE.has(f));
  const groups = [
    { files: side, jobs: JOBS, env },
    { files: tls, jobs: JOBS, env: { ...env, SSL_TEST: "1" } },
    { files: alone, jobs: 1, env },
  ];
  const statuses = groups.filter((g) => g.files.length > 0).map((g) => prove(g.files, g.jobs, dir, g.env));
  return statuses.find((s) => s !== 0) ?? 0;
}

function prove(files: string[], jobs: number, dir: string, env: NodeJS.ProcessEnv): number {
  const run = spawnSync("prove", [
    "--timer", "-j", String(jobs), "--exec", `timeout -k 10 ${FILE_SECONDS} perl`,
    ...files.map((f) => `t/${f}`),
  ], { cwd: dir, env, stdio: "inherit" });
  return run.status ?? 1;
}

if (!existsSync(WASMCACHED_CLI)) throw new Error("build first: npm run build");
process.exitCode = main();
