// memcached's restart metadata file, `<file>.meta` (restart.c): a tag line `T<tag>` naming
// whose keys follow, then `K<key> <value>` lines. memcached's one tag is `main`, and so is
// ours; the keys are ours where its mmap'ed memory differs from our image (compatibility.ts).
//
// Reading has memcached's outcomes: no file is a clean start; a file that does not open with
// a tag line memcached knows is corrupt, and memcached aborts rather than start (restart.t
// checks it with an empty file); otherwise the keys go to the checks, and an unknown one is
// reported and skipped.
import { readFileSync } from "node:fs";
import { writeAll, writeDurably } from "./durable_file.js";

export const META_SUFFIX = ".meta";
export const META_TAG = "main";
const TAG = "T";
const KEY = "K";

export type MetaRead =
  | { kind: "missing" }
  | { kind: "corrupt"; lines: string[] }
  | { kind: "read"; entries: [key: string, value: string][] };

export function readMeta(file: string): MetaRead {
  let text: string;
  try {
    text = readFileSync(file + META_SUFFIX, "latin1");
  } catch {
    return { kind: "missing" };
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const problem = tagProblem(lines[0]);
  if (problem) return { kind: "corrupt", lines: problem };
  return { kind: "read", entries: keyLines(lines.slice(1)) };
}

// Why the first line is not a tag we have a handler for, or null.
function tagProblem(first: string | undefined): string[] | null {
  const corrupt = "[restart] corrupt metadata file";
  if (first === undefined) return ["[restart] Failed to read a tag from metadata file"];
  if (first.startsWith(TAG)) {
    const tag = first.slice(TAG.length);
    return tag === META_TAG ? null : [`[restart] internal handler for metadata tag not found: ${tag}:`, corrupt];
  }
  if (first.startsWith(KEY)) return [corrupt];
  return ["[restart] invalid metadata line:", "", first, corrupt];
}

// The K lines of the tag's section, up to the first line that is not one.
function keyLines(lines: string[]): [string, string][] {
  const entries: [string, string][] = [];
  for (const line of lines) {
    if (!line.startsWith(KEY)) break;
    const space = line.indexOf(" ");
    entries.push(space < 0 ? [line.slice(KEY.length), ""] : [line.slice(KEY.length, space), line.slice(space + 1)]);
  }
  return entries;
}

export function writeMeta(file: string, entries: [string, string][]): void {
  const text = `${TAG}${META_TAG}\n` + entries.map(([k, v]) => `${KEY}${k} ${v}\n`).join("");
  writeDurably(file + META_SUFFIX, (fd) => writeAll(fd, new TextEncoder().encode(text)));
}
