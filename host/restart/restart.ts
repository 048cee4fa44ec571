// memcached's restartable cache (-e, restart.c and the restart half of memcached.c), for the
// WASM core: saveCache() after a graceful stop, restoreCache() at start, before any thread
// serves. The image file comes first, then its metadata: a crash anywhere leaves either no
// metadata (a clean start next time) or both, whole.
import { unlinkSync } from "node:fs";
import type { CoreImage } from "../wasm_engine.js";
import { readMeta, writeMeta, META_SUFFIX } from "./meta_file.js";
import { checkMeta, metaEntries, type CoreLayout } from "./compatibility.js";
import { readImage, writeImage } from "./image_file.js";

/** The metadata file is not one memcached would read: it refuses to start (it aborts). The
 * file is left where it is, as memcached leaves it. */
export class CorruptMetadata extends Error {
  constructor(readonly lines: string[]) { super(lines.join("\n")); }
}

function removeIfThere(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

const unixNow = () => Math.floor(Date.now() / 1000);

function layoutOf(core: CoreImage): CoreLayout {
  return { format: core.x.imageFormat(), threadBlocks: core.threadBlocks };
}

/** Whether the cache came back. Lines go to `log` (stderr) as memcached writes them; the
 * metadata file is gone afterwards either way, so a crash after this start means a clean next
 * one. Throws CorruptMetadata. */
export function restoreCache(core: CoreImage, file: string, log: (line: string) => void): boolean {
  const meta = readMeta(file);
  if (meta.kind === "missing") {
    log("[restart] no metadata save file, starting with a clean cache");
    return false;
  }
  if (meta.kind === "corrupt") throw new CorruptMetadata(meta.lines);
  unlinkSync(file + META_SUFFIX);
  const now = unixNow();
  const verdict = checkMeta(meta.entries, core.opts, layoutOf(core), now);
  if (!verdict.ok) {
    verdict.lines.forEach((l) => log(l));
    return false;
  }
  verdict.notes.forEach((l) => log(l));
  const problem = readImage(file, core, verdict.image, now);
  if (problem) log(`[restart] memory file ${file} ${problem}, starting with a clean cache`);
  return problem === null;
}

/** Writes the cache to `file` (the -e file) and its metadata; every other thread has left the core
 * for good. Throws what the file system refused. */
export function saveCache(core: CoreImage, file: string): void {
  // Metadata from an earlier save must never be paired with a half-written image.
  removeIfThere(file + META_SUFFIX);
  const image = writeImage(file, core);
  writeMeta(file, metaEntries(core.opts, layoutOf(core), image, unixNow()));
}

/** Why Cache.load found no cache to adopt: memcached's lines for it. */
export class RestoreRefused extends Error {
  constructor(readonly lines: string[]) { super(lines.join("\n")); }
}

/** restoreCache for the in-process API: a cache that did not come back is an error. */
export function restoreOrThrow(core: CoreImage, file: string): void {
  const lines: string[] = [];
  let restored: boolean;
  try {
    restored = restoreCache(core, file, (line) => lines.push(line));
  } catch (err) {
    if (err instanceof CorruptMetadata) throw new RestoreRefused(err.lines);
    throw err;
  }
  if (!restored) throw new RestoreRefused(lines);
}
