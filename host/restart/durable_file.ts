// A file that is either wholly the new bytes or not there at all, even across SIGKILL or power
// loss: written under a temporary name, synced, renamed over the real one, and the directory
// synced so the rename itself survives.
import { openSync, closeSync, writeSync, fsyncSync, renameSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";

const OWNER_ONLY = 0o600; // memcached's metadata file mode: the cache is nobody else's to read
const TEMPORARY_SUFFIX = ".tmp";
// One write call at a time: Node refuses lengths past 2 GiB in one call.
const WRITE_CHUNK = 64 * 1024 * 1024;

export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) {
    at += writeSync(fd, bytes, at, Math.min(WRITE_CHUNK, bytes.length - at));
  }
}

export function writeDurably(path: string, fill: (fd: number) => void): void {
  const temporary = path + TEMPORARY_SUFFIX;
  const fd = openSync(temporary, "w", OWNER_ONLY);
  try {
    fill(fd);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temporary);
    throw err;
  }
  closeSync(fd);
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}

// Linux syncs a directory through a read-only descriptor; a runtime or system that refuses
// leaves the rename to the file system's own ordering.
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // nothing more can be done portably
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
