// The image file (<file>): the core's sections (assembly/restart/image.ts) behind a header, the
// same bytes whichever runtime wrote them. Little-endian, as WebAssembly memory is:
//
//    0 ┌──────────────────────────────┐
//      │ MAGIC     8 B  "wasmimg\n"   │
//    8 │ FORMAT    u32                │ the core's layout fingerprint (imageFormat())
//   12 │ SECTIONS  u32                │ ImageSection.COUNT
//   16 │ LENGTHS   SECTIONS × u64     │ bytes of each section, in file order
//   48 │ CHECKSUM  u64                │ the core's checksum over every section
//   56 │ (zero)    u64                │
//   64 ├──────────────────────────────┤
//      │ GLOBALS, CLASSES, PAGEMAP,   │ back to back
//      │ ARENA                        │
//      └──────────────────────────────┘
import { openSync, closeSync, readSync, fstatSync } from "node:fs";
import { ImageSection, ImageAdopt } from "../../assembly/abi/image.js";
import type { CoreImage } from "../wasm_engine.js";
import { writeAll, writeDurably } from "./durable_file.js";
import type { ImageFacts } from "./compatibility.js";

const MAGIC = new TextEncoder().encode("wasmimg\n");
const FORMAT_AT = 8;
const SECTIONS_AT = 12;
const LENGTHS_AT = 16;
const CHECKSUM_AT = 48;
const HEADER_SIZE = 64;
const U64 = 8;
const SECTIONS = [ImageSection.GLOBALS, ImageSection.CLASSES, ImageSection.PAGEMAP, ImageSection.ARENA];
const READ_CHUNK = 64 * 1024 * 1024;

function header(format: number, lengths: number[], checksum: bigint): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE);
  const dv = new DataView(bytes.buffer);
  bytes.set(MAGIC);
  dv.setUint32(FORMAT_AT, format, true);
  dv.setUint32(SECTIONS_AT, SECTIONS.length, true);
  lengths.forEach((len, i) => dv.setBigUint64(LENGTHS_AT + i * U64, BigInt(len), true));
  dv.setBigUint64(CHECKSUM_AT, checksum, true);
  return bytes;
}

/** Writes the cache out; every other thread has left the core for good. */
export function writeImage(path: string, core: CoreImage): ImageFacts {
  core.x.imageQuiesce();
  const lengths = SECTIONS.map((s) => core.x.imageLength(s));
  const checksum = BigInt.asUintN(64, core.x.imageChecksum(0, lengths[ImageSection.ARENA]));
  writeDurably(path, (fd) => {
    writeAll(fd, header(core.x.imageFormat(), lengths, checksum));
    for (const s of SECTIONS) {
      const at = core.x.imageAddr(s, 0);
      writeAll(fd, core.memory().subarray(at, at + lengths[s]));
    }
  });
  return { bytes: HEADER_SIZE + lengths.reduce((a, b) => a + b, 0), checksum };
}

/** Why an image was not adopted (the cache is then empty), or null once it is. */
export function readImage(path: string, core: CoreImage, facts: ImageFacts, now: number): string | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    return `cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  try {
    return loadFrom(fd, core, facts, now);
  } finally {
    closeSync(fd);
  }
}

function loadFrom(fd: number, core: CoreImage, facts: ImageFacts, now: number): string | null {
  const size = fstatSync(fd).size;
  if (size !== facts.bytes) return `holds ${size} bytes where its metadata says ${facts.bytes}`;
  const head = new Uint8Array(HEADER_SIZE);
  if (readInto(fd, head, 0) !== HEADER_SIZE) return "is truncated";
  const lengths = headerProblem(head, core, facts);
  if (typeof lengths === "string") return lengths;
  let offset = HEADER_SIZE;
  for (const s of SECTIONS) {
    const at = core.x.imageAddr(s, 1);
    const got = readInto(fd, core.memory().subarray(at, at + lengths[s]), offset);
    offset += got;
    if (got !== lengths[s]) return discard(core, lengths, now, "is truncated");
  }
  const adopted = core.x.imageAdopt(lengths[ImageSection.ARENA], facts.checksum, now);
  if (adopted === ImageAdopt.CHECKSUM) return discard(core, lengths, now, "does not match its checksum");
  if (adopted !== ImageAdopt.OK) return discard(core, lengths, now, "places the arena elsewhere");
  return null;
}

// The section lengths the header gives, or what is wrong with it; nothing is loaded yet.
function headerProblem(head: Uint8Array, core: CoreImage, facts: ImageFacts): number[] | string {
  const dv = new DataView(head.buffer);
  if (!MAGIC.every((b, i) => head[i] === b)) return "is not a wasmcached cache image";
  if (dv.getUint32(FORMAT_AT, true) !== core.x.imageFormat()) return "was written by another core";
  if (dv.getUint32(SECTIONS_AT, true) !== SECTIONS.length) return "was written by another core";
  if (dv.getBigUint64(CHECKSUM_AT, true) !== facts.checksum) return "does not match its metadata";
  const lengths = SECTIONS.map((_, i) => Number(dv.getBigUint64(LENGTHS_AT + i * U64, true)));
  const fixed = SECTIONS.filter((s) => s !== ImageSection.ARENA);
  if (fixed.some((s) => lengths[s] !== core.x.imageLength(s))) return "was written by another core";
  const room = core.x.memoryCap() - core.x.imageAddr(ImageSection.ARENA, 1);
  if (lengths[ImageSection.ARENA] > room || HEADER_SIZE + lengths.reduce((a, b) => a + b, 0) !== facts.bytes) {
    return "does not fit this cache";
  }
  return lengths;
}

function discard(core: CoreImage, lengths: number[], now: number, why: string): string {
  core.x.imageDiscard(lengths[ImageSection.ARENA], now);
  return why;
}

// Reads up to into.length bytes from `position`; returns how many there were.
function readInto(fd: number, into: Uint8Array, position: number): number {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, Math.min(READ_CHUNK, into.length - got), position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
