// Whether a saved image may be adopted by this process: the metadata keys written at save and
// checked, in file order, at start, with memcached's outcomes and lines (its
// _mc_meta_load_cb): a setting that differs, or a missing key, starts the cache clean.
//
// memcached's keys are kept where they mean the same here. Ours besides: `maxconns` and
// `thread_blocks` place the areas before the arena (an image is adopted only where the arena
// starts at the same address: nothing is relocated), `image_format` names the core's layout,
// `image_bytes` and `image_checksum` the image file. memcached keeps the CAS counter, clock,
// flush point and hash power as keys too; here they travel inside the image.
import { SLAB_PAGE_SIZE, type ServerOptions } from "../options.js";

const MB = 1024 * 1024;
const HEX = 16;

/** What the image file must be, as the metadata says. */
export interface ImageFacts { bytes: number; checksum: bigint }

/** The layout an image is adopted into: the core's format and how many thread blocks it has. */
export interface CoreLayout { format: number; threadBlocks: number }

export type Verdict =
  | { ok: true; image: ImageFacts; notes: string[] }
  | { ok: false; lines: string[] };

function settings(o: ServerOptions, layout: CoreLayout): [string, string][] {
  return [
    ["slab_config", String(o.growthFactor)],
    ["maxbytes", String(o.memoryLimitMb * MB)],
    ["chunk_size", String(o.chunkSize)],
    ["item_size_max", String(o.itemSizeMax)],
    ["slab_chunk_size_max", String(o.slabChunkMax)],
    ["slab_page_size", String(SLAB_PAGE_SIZE)],
    ["use_cas", String(o.cas)],
    ["slab_reassign", String(o.slabReassign)],
    ["maxconns", String(o.maxConns)],
    ["thread_blocks", String(layout.threadBlocks)],
    ["image_format", String(layout.format)],
  ];
}

export function metaEntries(o: ServerOptions, layout: CoreLayout, image: ImageFacts, stopTime: number): [string, string][] {
  return [
    ...settings(o, layout),
    ["stop_time", String(stopTime)],
    ["image_bytes", String(image.bytes)],
    ["image_checksum", image.checksum.toString(HEX)],
  ];
}

const DECIMAL = /^\d+$/;
const HEXADECIMAL = /^[0-9a-f]+$/;

export function checkMeta(entries: [string, string][], o: ServerOptions, layout: CoreLayout, now: number): Verdict {
  const expected = new Map(settings(o, layout));
  const required = expected.size + 3;
  const notes: string[] = [];
  let bytes = -1;
  let checksum = -1n;
  const seen = new Set<string>();
  const refuse = (key: string, old: string): Verdict => ({
    ok: false,
    lines: [...notes, `[restart] restart incompatible due to setting for [${key}] [old value: ${old}]`, FAILED],
  });
  for (const [key, value] of entries) {
    if (expected.has(key)) {
      if (expected.get(key) !== value) return refuse(key, value);
    } else if (key === "stop_time") {
      // The clock went back past the save: expiry times cannot be trusted.
      if (!DECIMAL.test(value) || Number(value) > now) return refuse(key, value);
    } else if (key === "image_bytes") {
      if (!DECIMAL.test(value)) return refuse(key, value);
      bytes = Number(value);
    } else if (key === "image_checksum") {
      if (!HEXADECIMAL.test(value)) return refuse(key, value);
      checksum = BigInt(`0x${value}`);
    } else {
      notes.push(`[restart] unknown/unhandled key: ${key}`);
      continue;
    }
    seen.add(key);
  }
  if (seen.size < required) return { ok: false, lines: [...notes, "[restart] missing some metadata lines", FAILED] };
  return { ok: true, image: { bytes, checksum }, notes };
}

export const FAILED = "[restart] failed to validate metadata, starting with a clean cache";
