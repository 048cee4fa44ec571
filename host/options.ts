// Every engine option, declared once: its default, the core setting slot it fills, its
// `stats settings` name and its help text. The wrapper, the CLI and the docs read this table.
import { Setting } from "../assembly/settings.js";

export interface EngineOptions {
  /** -m: item memory in megabytes */
  memoryLimitMb: number;
  /** -I: largest item, bytes */
  itemSizeMax: number;
  /** -f: chunk size growth factor */
  growthFactor: number;
  /** -n: minimum space for key, value and flags in the smallest class */
  chunkSize: number;
  /** -o slab_chunk_max: largest slab chunk, bytes (0 = half a page) */
  slabChunkMax: number;
  /** -M turns this off: refuse stores instead of evicting */
  evictions: boolean;
  /** -C turns this off */
  cas: boolean;
  /** -o hashpower */
  hashpower: number;
  /** -o no_hashexpand turns this off */
  hashExpand: boolean;
  /** -o lru_maintainer / no_lru_maintainer: the maintainer and the segmented LRU */
  lruMaintainer: boolean;
  /** -o lru_segmented (lru mode segmented|flat) */
  lruSegmented: boolean;
  /** -o temporary_ttl: TEMP LRU for items with at most this TTL; -1 = off */
  temporaryTtl: number;
  /** -o hot_lru_pct */
  hotLruPct: number;
  /** -o warm_lru_pct */
  warmLruPct: number;
  /** -o hot_max_factor */
  hotMaxFactor: number;
  /** -o warm_max_factor */
  warmMaxFactor: number;
  /** -o lru_crawler / no_lru_crawler */
  lruCrawler: boolean;
  /** -o lru_crawler_tocrawl: items per LRU per crawl, 0 = all */
  lruCrawlerTocrawl: number;
}

interface OptionSpec<K extends keyof EngineOptions> {
  key: K;
  default: EngineOptions[K];
  stats: string;
  help: string;
  setting: Setting;
  toCore?: (o: EngineOptions) => number;
}

const MB = 1024 * 1024;
const SLAB_PAGE_SIZE = MB;

function spec<K extends keyof EngineOptions>(s: OptionSpec<K>): OptionSpec<K> { return s; }

export const ENGINE_OPTIONS = [
  spec({ key: "memoryLimitMb", default: 64, stats: "maxbytes", setting: Setting.MAXBYTES,
    toCore: (o) => o.memoryLimitMb * MB, help: "item memory in megabytes" }),
  spec({ key: "itemSizeMax", default: MB, stats: "item_size_max", setting: Setting.ITEM_SIZE_MAX,
    help: "maximum item size in bytes" }),
  spec({ key: "growthFactor", default: 1.25, stats: "growth_factor", setting: Setting.GROWTH_FACTOR,
    help: "chunk size growth factor" }),
  spec({ key: "chunkSize", default: 48, stats: "chunk_size", setting: Setting.CHUNK_SIZE,
    help: "minimum space allocated for key+value+flags" }),
  spec({ key: "slabChunkMax", default: 0, stats: "slab_chunk_max", setting: Setting.SLAB_CHUNK_MAX,
    toCore: (o) => o.slabChunkMax || SLAB_PAGE_SIZE / 2, help: "largest slab chunk in bytes" }),
  spec({ key: "evictions", default: true, stats: "evictions", setting: Setting.EVICT_TO_FREE,
    help: "evict items when memory is full (-M: return errors instead)" }),
  spec({ key: "cas", default: true, stats: "cas_enabled", setting: Setting.USE_CAS,
    help: "CAS uniques on items (-C disables)" }),
  spec({ key: "hashpower", default: 16, stats: "hashpower_init", setting: Setting.HASHPOWER_INIT,
    help: "log2 of the initial hash table size" }),
  spec({ key: "hashExpand", default: true, stats: "hash_expand", setting: Setting.HASH_EXPAND,
    help: "grow the hash table as items are added" }),
  spec({ key: "lruMaintainer", default: true, stats: "lru_maintainer_thread", setting: Setting.MAINTAINER,
    help: "run the LRU maintainer" }),
  spec({ key: "lruSegmented", default: true, stats: "lru_segmented", setting: Setting.LRU_SEGMENTED,
    toCore: (o) => Number(o.lruSegmented && o.lruMaintainer), help: "segmented HOT/WARM/COLD LRU" }),
  spec({ key: "temporaryTtl", default: -1, stats: "temporary_ttl", setting: Setting.TEMPORARY_TTL,
    toCore: (o) => Math.max(o.temporaryTtl, 0), help: "TTLs up to this go to the TEMP LRU" }),
  spec({ key: "hotLruPct", default: 20, stats: "hot_lru_pct", setting: Setting.HOT_LRU_PCT,
    help: "share of a class's bytes HOT may hold" }),
  spec({ key: "warmLruPct", default: 40, stats: "warm_lru_pct", setting: Setting.WARM_LRU_PCT,
    help: "share of a class's bytes WARM may hold" }),
  spec({ key: "hotMaxFactor", default: 0.2, stats: "hot_max_factor", setting: Setting.HOT_MAX_FACTOR,
    help: "HOT tail may be this times COLD's age" }),
  spec({ key: "warmMaxFactor", default: 2.0, stats: "warm_max_factor", setting: Setting.WARM_MAX_FACTOR,
    help: "WARM tail may be this times COLD's age" }),
  spec({ key: "lruCrawler", default: true, stats: "lru_crawler", setting: Setting.LRU_CRAWLER,
    help: "reclaim expired items in the background" }),
  spec({ key: "lruCrawlerTocrawl", default: 0, stats: "lru_crawler_tocrawl", setting: Setting.CRAWLER_TOCRAWL,
    help: "items checked per LRU per crawl, 0 = all" }),
] as const;

// TEMP_LRU is derived, not an option of its own: memcached turns it on with -o temporary_ttl.
function derivedSettings(o: EngineOptions): Array<[Setting, number]> {
  return [[Setting.TEMP_LRU, Number(o.temporaryTtl >= 0 && o.lruMaintainer)]];
}

export function defaultEngineOptions(): EngineOptions {
  const o: Record<string, unknown> = {};
  for (const s of ENGINE_OPTIONS) o[s.key] = s.default;
  return o as unknown as EngineOptions;
}

// The value of every core setting slot for these options.
export function coreSettings(o: EngineOptions): Float64Array {
  const slots = new Float64Array(Setting.COUNT);
  for (const s of ENGINE_OPTIONS) {
    const v = s.toCore ? s.toCore(o) : Number(o[s.key]);
    slots[s.setting] = v;
  }
  for (const [slot, v] of derivedSettings(o)) slots[slot] = v;
  return slots;
}

// What memcached refuses at start-up, with its messages. Returns the first problem or null.
export function validateEngineOptions(o: EngineOptions): string | null {
  if (!(o.growthFactor > 1)) return "Factor must be greater than 1";
  if (o.itemSizeMax < 1024) return "Item max size cannot be less than 1024 bytes.";
  if (o.itemSizeMax > o.memoryLimitMb * MB / 2) return "Cannot set item size limit higher than 1/2 of memory max.";
  if (o.itemSizeMax > 1024 * MB) return "Cannot set item size limit higher than a gigabyte.";
  const chunkMax = o.slabChunkMax || SLAB_PAGE_SIZE / 2;
  if (chunkMax > SLAB_PAGE_SIZE) return "slab_chunk_max cannot be larger than slab_page_size";
  if (o.itemSizeMax % chunkMax !== 0) return "-I must be a multiple of slab_chunk_max";
  if (o.hotLruPct + o.warmLruPct > 80) return "hot_lru_pct + warm_lru_pct cannot be more than 80% combined";
  if (o.hashpower < 12) return `Initial hashtable multiplier of ${o.hashpower} is too low`;
  if (o.hashpower > 32) return `Initial hashtable multiplier of ${o.hashpower} is too high\n` +
    'Choose a value based on "STAT hash_power_level" from a running instance';
  return null;
}
