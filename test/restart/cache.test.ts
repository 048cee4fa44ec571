// The in-process API's warm restart: Cache.save(path) and Cache.load(path, options).
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Cache, RestoreRefused } from "../../host/index.js";
import { patternBytes } from "../helpers/socket-client.js";
import { imageDir } from "./contents.js";

const SIZES = [1, 100, 1000, 10_000, 100_000, 600_000, 1_000_000];

async function savedCache(file: string): Promise<Map<string, { value: Uint8Array; flags: number; cas: bigint }>> {
  const cache = await Cache.create();
  try {
    for (const n of SIZES) cache.set(`k${n}`, patternBytes(n, n), { flags: n });
    cache.set("expired-by-load", "x", { ttl: -1 });
    const kept = new Map(SIZES.map((n) => [`k${n}`, cache.gets(`k${n}`)!]));
    cache.save(file);
    return kept;
  } finally {
    cache.close();
  }
}

async function refusal(load: Promise<Cache>): Promise<string> {
  try {
    (await load).close();
  } catch (err) {
    expect(err).to.be.instanceOf(RestoreRefused);
    return (err as Error).message;
  }
  throw new Error("Cache.load adopted a cache it should have refused");
}

describe("Cache.save / Cache.load", () => {
  let dir: ReturnType<typeof imageDir>;
  beforeEach(() => { dir = imageDir(); });
  afterEach(() => dir.cleanup());

  it("gives back every value with its flags and CAS, and counts the items", async () => {
    const kept = await savedCache(dir.file);
    const cache = await Cache.load(dir.file);
    try {
      for (const [key, entry] of kept) {
        const got = cache.gets(key)!;
        expect(Buffer.from(got.value).equals(Buffer.from(entry.value)), key).to.equal(true);
        expect(got.flags).to.equal(entry.flags);
        expect(got.cas).to.equal(entry.cas);
      }
      expect(cache.get("expired-by-load")).to.equal(undefined);
      expect(cache.stats().curr_items).to.equal(String(SIZES.length));
      // New items go on from the saved CAS counter.
      cache.set("new", "v");
      expect(cache.gets("new")!.cas > [...kept.values()].reduce((a, e) => (e.cas > a ? e.cas : a), 0n)).to.equal(true);
    } finally {
      cache.close();
    }
  });

  it("consumes the metadata file: a second load finds none", async () => {
    await savedCache(dir.file);
    (await Cache.load(dir.file)).close();
    expect(existsSync(`${dir.file}.meta`)).to.equal(false);
    expect(await refusal(Cache.load(dir.file))).to.equal("[restart] no metadata save file, starting with a clean cache");
  });

  it("refuses other settings, naming the first that differs, as memcached does", async () => {
    await savedCache(dir.file);
    expect(await refusal(Cache.load(dir.file, { memoryLimitMb: 128 }))).to.equal(
      "[restart] restart incompatible due to setting for [maxbytes] [old value: 67108864]\n" +
      "[restart] failed to validate metadata, starting with a clean cache");
  });

  it("refuses an image with one byte changed", async () => {
    await savedCache(dir.file);
    const bytes = readFileSync(dir.file);
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(dir.file, bytes);
    expect(await refusal(Cache.load(dir.file))).to.equal(
      `[restart] memory file ${dir.file} does not match its checksum, starting with a clean cache`);
  });

  it("a shared cache saves only once its other threads have closed it, and loads with the same threads", async () => {
    const cache = await Cache.create({ threads: 2 });
    try {
      cache.set("shared", "saved");
      const other = await Cache.attach(cache.share());
      expect(() => cache.save(dir.file)).to.throw(/every other thread must close it first/);
      expect(existsSync(dir.file)).to.equal(false);
      other.close();
      cache.save(dir.file);
      // The save let go of the cache: threads attach to it again.
      (await Cache.attach(cache.share())).close();
    } finally {
      cache.close();
    }
    const loaded = await Cache.load(dir.file, { threads: 2 });
    try {
      expect(loaded.getString("shared")).to.equal("saved");
      const worker = await Cache.attach(loaded.share());
      expect(worker.getString("shared")).to.equal("saved");
      worker.close();
    } finally {
      loaded.close();
    }
  });

  it("a refused load leaves no cache behind: the next save and load work", async () => {
    await savedCache(dir.file);
    writeFileSync(dir.file, readFileSync(dir.file).subarray(0, 1000));
    await refusal(Cache.load(dir.file));
    const kept = await savedCache(dir.file);
    const cache = await Cache.load(dir.file);
    try {
      for (const key of kept.keys()) expect(cache.get(key), key).to.not.equal(undefined);
    } finally {
      cache.close();
    }
  });
});
