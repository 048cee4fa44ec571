// Files a server must not adopt: each starts it empty with a line saying why, or (a corrupt
// metadata file) keeps it from starting, as memcached's restart.c does. Never a crash, never
// part of a cache.
import { expect } from "chai";
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { Cache } from "../../host/index.js";
import { startWasmcached, startServer, WASMCACHED_CLI, REPO_ROOT, type RunningServer } from "../helpers/servers.js";
import { SocketClient, stats, patternBytes } from "../helpers/socket-client.js";
import { fetch, fill, gracefulStop, imageDir } from "./contents.js";

const KEYS = 40;
const FAILED = "[restart] failed to validate metadata, starting with a clean cache";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// A cache saved in process: the same layout as `-t 1` with the default flags.
async function save(file: string): Promise<void> {
  const cache = await Cache.create();
  for (let i = 0; i < KEYS; i++) cache.set(`key-${i}`, patternBytes(1000 + i, i));
  cache.save(file);
  cache.close();
}

async function itemsIn(server: RunningServer): Promise<number> {
  const c = await SocketClient.connect(server.port);
  try {
    let hits = 0;
    for (let i = 0; i < KEYS; i++) if (await fetch(c, `key-${i}`)) hits++;
    expect((await stats(c)).get("curr_items")).to.equal(String(hits));
    return hits;
  } finally {
    c.socket.destroy();
  }
}

async function startsEmpty(file: string, lines: string[], args: string[] = []): Promise<void> {
  const server = await startWasmcached(["-t", "1", "-e", file, ...args]);
  try {
    expect(server.stderr()).to.equal(lines.map((l) => l + "\n").join(""));
    expect(await itemsIn(server)).to.equal(0);
    expect(existsSync(`${file}.meta`), "the metadata is consumed").to.equal(false);
  } finally {
    await server.stop();
  }
}

function memoryFileLine(file: string, why: string): string {
  return `[restart] memory file ${file} ${why}, starting with a clean cache`;
}

function flipByte(file: string, at: number): void {
  const bytes = readFileSync(file);
  bytes[at] ^= 0x40;
  writeFileSync(file, bytes);
}

function editMeta(file: string, key: string, value: string): void {
  const meta = readFileSync(`${file}.meta`, "latin1");
  writeFileSync(`${file}.meta`, meta.replace(new RegExp(`^K${key} .*$`, "m"), `K${key} ${value}`));
}

describe("warm restart: files that are refused", function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof imageDir>;
  beforeEach(async () => {
    dir = imageDir();
    await save(dir.file);
  });
  afterEach(() => dir.cleanup());

  it("(control) the intact file comes back whole, silently", async () => {
    const server = await startWasmcached(["-t", "1", "-e", dir.file]);
    try {
      expect(server.stderr()).to.equal("");
      expect(await itemsIn(server)).to.equal(KEYS);
    } finally {
      await server.stop();
    }
  });

  it("no metadata file: a clean start", async () => {
    await startsEmpty(`${dir.file}-elsewhere`, ["[restart] no metadata save file, starting with a clean cache"]);
  });

  it("a truncated image", async () => {
    const size = statSync(dir.file).size;
    truncateSync(dir.file, size - 4096);
    await startsEmpty(dir.file, [memoryFileLine(dir.file, `holds ${size - 4096} bytes where its metadata says ${size}`)]);
  });

  it("a truncated image whose metadata was made to agree", async () => {
    const size = statSync(dir.file).size;
    truncateSync(dir.file, size - 4096);
    editMeta(dir.file, "image_bytes", String(size - 4096));
    await startsEmpty(dir.file, [memoryFileLine(dir.file, "does not fit this cache")]);
  });

  for (const [where, at] of [["the arena", (n: number) => n - 5000], ["the globals", () => 64 + 8 * 2]] as const) {
    it(`one flipped byte in ${where}`, async () => {
      flipByte(dir.file, at(statSync(dir.file).size));
      await startsEmpty(dir.file, [memoryFileLine(dir.file, "does not match its checksum")]);
    });
  }

  it("an image from another core (its header's format)", async () => {
    flipByte(dir.file, 8);
    await startsEmpty(dir.file, [memoryFileLine(dir.file, "was written by another core")]);
  });

  it("metadata from another core (image_format)", async () => {
    editMeta(dir.file, "image_format", "1");
    await startsEmpty(dir.file, ["[restart] restart incompatible due to setting for [image_format] [old value: 1]", FAILED]);
  });

  for (const [args, key, old] of [
    [["-m", "128"], "maxbytes", "67108864"],
    [["-I", "2m"], "item_size_max", "1048576"],
    [["-f", "1.5"], "slab_config", "1.25"],
    [["-n", "64"], "chunk_size", "48"],
    [["-o", "slab_chunk_max=262144"], "slab_chunk_size_max", "524288"],
    [["-c", "2048"], "maxconns", "1024"],
    [["-t", "4"], "thread_blocks", "1"],
  ] as const) {
    it(`other settings: ${args.join(" ")}`, async () => {
      await startsEmpty(dir.file, [`[restart] restart incompatible due to setting for [${key}] [old value: ${old}]`, FAILED], [...args]);
    });
  }

  it("metadata missing a line", async () => {
    const meta = readFileSync(`${dir.file}.meta`, "latin1");
    writeFileSync(`${dir.file}.meta`, meta.replace(/^Kimage_checksum .*\n/m, ""));
    await startsEmpty(dir.file, ["[restart] missing some metadata lines", FAILED]);
  });

  for (const [what, text, lines] of [
    ["empty", "", ["[restart] Failed to read a tag from metadata file"]],
    ["without its tag line", "Kmaxbytes 1\n", ["[restart] corrupt metadata file"]],
    ["of another tag", "Textstore\nKx 1\n", ["[restart] internal handler for metadata tag not found: extstore:", "[restart] corrupt metadata file"]],
  ] as const) {
    it(`a corrupt metadata file (${what}) keeps the server from starting, and is left in place`, async () => {
      writeFileSync(`${dir.file}.meta`, text);
      const refused = startServer("wasmcached", process.execPath, [WASMCACHED_CLI, "-u", "root", "-t", "1", "-e", dir.file], REPO_ROOT);
      const err = await refused.then(async (s) => { await s.stop(); return undefined; }, (e: Error) => e);
      expect(err?.message).to.include("exited during start-up");
      expect(err!.message).to.include(lines.map((l) => l + "\n").join(""));
      expect(readFileSync(`${dir.file}.meta`, "latin1")).to.equal(text);
    });
  }

  it("a server killed while it saves leaves either the whole cache or none, never part", async () => {
    const big = Array.from({ length: 120 }, (_, i) => ({ key: `big-${i}`, value: patternBytes(900_000, i), flags: i, ttl: 0 }));
    const first = await startWasmcached(["-t", "1", "-m", "256", "-e", dir.file]);
    await fill(first.port, big);
    first.proc.kill("SIGUSR1");
    // Past the connection close and the checksum, into the write of a 110 MB image.
    await sleep(60);
    first.proc.kill("SIGKILL");
    await first.exited;
    const second = await startWasmcached(["-t", "1", "-m", "256", "-e", dir.file]);
    try {
      const c = await SocketClient.connect(second.port);
      let hits = 0;
      for (const e of big) if (await fetch(c, e.key)) hits++;
      c.socket.destroy();
      if (hits === 0) expect(second.stderr()).to.equal("[restart] no metadata save file, starting with a clean cache\n");
      else expect(hits).to.equal(big.length);
    } finally {
      await second.stop();
    }
  });

  it("SIGUSR1 without -e stops as memcached does: a line, exit 0, nothing written", async () => {
    const server = await startWasmcached(["-t", "1"]);
    expect(await gracefulStop(server)).to.equal(0);
    expect(server.stderr()).to.equal("Gracefully stopping\n");
  });
});
