// Every option, declared once: its command-line flag (memcached's), -o suboption name,
// default, the core setting slot it fills, its `stats settings` name and its help text.
// The engine wrapper, the CLI and the docs all read this table.
import { Setting } from "../assembly/settings.js";

export interface EngineOptions {
  memoryLimitMb: number;
  itemSizeMax: number;
  growthFactor: number;
  chunkSize: number;
  slabChunkMax: number;
  evictions: boolean;
  cas: boolean;
  hashpower: number;
  hashExpand: boolean;
  lruMaintainer: boolean;
  lruSegmented: boolean;
  temporaryTtl: number;
  hotLruPct: number;
  warmLruPct: number;
  hotMaxFactor: number;
  warmMaxFactor: number;
  lruCrawler: boolean;
  lruCrawlerTocrawl: number;
  maxConns: number;
  reqsPerEvent: number;
  shutdownCommand: boolean;
  flushEnabled: boolean;
  verbose: number;
  port: number;
  udpPort: number;
  idleTimeout: number;
}

export interface ServerOptions extends EngineOptions {
  listen: string[];
  threads: number;
  bindingProtocol: "auto" | "ascii" | "binary";
  backlog: number;
  user: string;
  pidFile: string;
  daemonize: boolean;
}

type Value = number | boolean | string | string[];

export interface OptionSpec {
  key: keyof ServerOptions;
  /** memcached's short flag, e.g. "m" for -m */
  short?: string;
  long?: string;
  /** -o suboption name; a boolean also accepts no_<sub> */
  sub?: string;
  arg?: "num" | "size" | "float" | "text" | "list";
  default: Value;
  setting?: Setting;
  toCore?: (o: ServerOptions) => number;
  stats?: string;
  help: string;
}

const MB = 1024 * 1024;
const SLAB_PAGE_SIZE = MB;

export const OPTIONS: readonly OptionSpec[] = [
  { key: "port", short: "p", long: "port", arg: "num", default: 11211, setting: Setting.TCP_PORT,
    toCore: (o) => Math.max(o.port, 0), stats: "tcpport", help: "TCP port to listen on (0 = off, -1 = any free port)" },
  { key: "udpPort", short: "U", long: "udp-port", arg: "num", default: 0, setting: Setting.UDP_PORT,
    stats: "udpport", help: "UDP port to listen on (0 = off)" },
  { key: "listen", short: "l", long: "listen", arg: "list", default: ["127.0.0.1"], stats: "inter",
    help: "interfaces to listen on (default: 127.0.0.1, loopback only)" },
  { key: "memoryLimitMb", short: "m", long: "memory-limit", arg: "num", default: 64, setting: Setting.MAXBYTES,
    toCore: (o) => o.memoryLimitMb * MB, stats: "maxbytes", help: "item memory in megabytes" },
  { key: "evictions", short: "M", long: "disable-evictions", default: true, setting: Setting.EVICT_TO_FREE,
    stats: "evictions", help: "return errors when memory is exhausted instead of evicting" },
  { key: "maxConns", short: "c", long: "conn-limit", arg: "num", default: 1024, setting: Setting.MAX_CONNS,
    stats: "maxconns", help: "max simultaneous connections" },
  { key: "threads", short: "t", long: "threads", arg: "num", default: 4, stats: "num_threads",
    help: "number of threads (accepted for compatibility; one event loop serves all)" },
  { key: "reqsPerEvent", short: "R", long: "max-reqs-per-event", arg: "num", default: 20,
    setting: Setting.REQS_PER_EVENT, stats: "reqs_per_event", help: "max commands served per connection before yielding" },
  { key: "itemSizeMax", short: "I", long: "max-item-size", arg: "size", default: MB, setting: Setting.ITEM_SIZE_MAX,
    stats: "item_size_max", help: "largest item, with k/m suffix (default 1m, min 1k, max 1024m)" },
  { key: "growthFactor", short: "f", long: "slab-growth-factor", arg: "float", default: 1.25,
    setting: Setting.GROWTH_FACTOR, stats: "growth_factor", help: "chunk size growth factor" },
  { key: "chunkSize", short: "n", long: "slab-min-size", arg: "num", default: 48, setting: Setting.CHUNK_SIZE,
    stats: "chunk_size", help: "min space for key, value and flags" },
  { key: "cas", short: "C", long: "disable-cas", default: true, setting: Setting.USE_CAS,
    stats: "cas_enabled", help: "disable use of CAS" },
  { key: "bindingProtocol", short: "B", long: "protocol", arg: "text", default: "auto",
    stats: "binding_protocol", help: "protocol: ascii, binary or auto" },
  { key: "backlog", short: "b", long: "listen-backlog", arg: "num", default: 1024, stats: "tcp_backlog",
    help: "listen backlog" },
  { key: "shutdownCommand", short: "A", long: "enable-shutdown", default: false, setting: Setting.SHUTDOWN_COMMAND,
    stats: "shutdown_command", help: "enable the ascii shutdown command" },
  { key: "flushEnabled", short: "F", long: "disable-flush-all", default: true, setting: Setting.FLUSH_ENABLED,
    stats: "flush_enabled", help: "disable flush_all" },
  { key: "verbose", short: "v", long: "verbose", default: 0, setting: Setting.VERBOSE, stats: "verbosity",
    help: "verbose (print errors); -vv also commands and replies" },
  { key: "user", short: "u", long: "user", arg: "text", default: "", help: "user to run as (required when started as root)" },
  { key: "pidFile", short: "P", long: "pidfile", arg: "text", default: "", help: "file to write the process id to" },
  { key: "daemonize", short: "d", long: "daemon", default: false, help: "run as a daemon" },
  { key: "hashpower", sub: "hashpower", arg: "num", default: 16, setting: Setting.HASHPOWER_INIT,
    stats: "hashpower_init", help: "log2 of the initial hash table size" },
  { key: "hashExpand", sub: "hashexpand", default: true, setting: Setting.HASH_EXPAND,
    help: "grow the hash table as items are added (no_hashexpand turns it off)" },
  { key: "slabChunkMax", sub: "slab_chunk_max", arg: "num", default: SLAB_PAGE_SIZE / 2, setting: Setting.SLAB_CHUNK_MAX,
    stats: "slab_chunk_max", help: "largest slab chunk in bytes" },
  { key: "lruMaintainer", sub: "lru_maintainer", default: true, setting: Setting.MAINTAINER,
    stats: "lru_maintainer_thread", help: "run the LRU maintainer" },
  { key: "lruSegmented", sub: "lru_segmented", default: true, setting: Setting.LRU_SEGMENTED,
    toCore: (o) => Number(o.lruSegmented && o.lruMaintainer), stats: "lru_segmented", help: "segmented HOT/WARM/COLD LRU" },
  { key: "temporaryTtl", sub: "temporary_ttl", arg: "num", default: -1, setting: Setting.TEMPORARY_TTL,
    toCore: (o) => Math.max(o.temporaryTtl, 0), stats: "temporary_ttl", help: "TTLs up to this go to the TEMP LRU" },
  { key: "hotLruPct", sub: "hot_lru_pct", arg: "num", default: 20, setting: Setting.HOT_LRU_PCT,
    stats: "hot_lru_pct", help: "share of a class's bytes HOT may hold" },
  { key: "warmLruPct", sub: "warm_lru_pct", arg: "num", default: 40, setting: Setting.WARM_LRU_PCT,
    stats: "warm_lru_pct", help: "share of a class's bytes WARM may hold" },
  { key: "hotMaxFactor", sub: "hot_max_factor", arg: "float", default: 0.2, setting: Setting.HOT_MAX_FACTOR,
    stats: "hot_max_factor", help: "HOT tail may be this times COLD's age" },
  { key: "warmMaxFactor", sub: "warm_max_factor", arg: "float", default: 2.0, setting: Setting.WARM_MAX_FACTOR,
    stats: "warm_max_factor", help: "WARM tail may be this times COLD's age" },
  { key: "lruCrawler", sub: "lru_crawler", default: true, setting: Setting.LRU_CRAWLER,
    stats: "lru_crawler", help: "reclaim expired items in the background" },
  { key: "lruCrawlerTocrawl", sub: "lru_crawler_tocrawl", arg: "num", default: 0, setting: Setting.CRAWLER_TOCRAWL,
    stats: "lru_crawler_tocrawl", help: "items checked per LRU per crawl, 0 = all" },
  { key: "idleTimeout", sub: "idle_timeout", arg: "num", default: 0, setting: Setting.IDLE_TIMEOUT,
    stats: "idle_timeout", help: "close connections idle this many seconds (0 = never)" },
];

// -o suboptions memcached accepts that change nothing here (its defaults are ours already, or
// they tune machinery a single-threaded core does not have).
export const ACCEPTED_NOOP_SUBOPTIONS = new Set([
  "maxconns_fast", "no_maxconns_fast", "modern", "slab_reassign", "no_slab_reassign", "slab_automove",
  "no_slab_automove", "slab_automove_ratio", "slab_automove_window", "tail_repair_time",
  "hash_algorithm", "lru_crawler_sleep", "watcher_logbuf_size", "worker_logbuf_size",
  "read_buf_mem_limit", "inline_ascii_resp", "no_inline_ascii_resp", "resp_obj_mem_limit",
  "drop_privileges", "no_drop_privileges", "track_sizes", "no_chunked_items", "sock_cookie_id",
]);

export const ENGINE_OPTIONS = OPTIONS;

export function defaultServerOptions(): ServerOptions {
  const o: Record<string, Value> = {};
  for (const s of OPTIONS) o[s.key] = Array.isArray(s.default) ? [...s.default] : s.default;
  return o as unknown as ServerOptions;
}

export function defaultEngineOptions(): EngineOptions {
  return defaultServerOptions();
}

// The value of every core setting slot for these options.
export function coreSettings(o: EngineOptions): Float64Array {
  const full = { ...defaultServerOptions(), ...o };
  const slots = new Float64Array(Setting.COUNT);
  for (const s of OPTIONS) {
    if (s.setting === undefined) continue;
    slots[s.setting] = s.toCore ? s.toCore(full) : Number(full[s.key]);
  }
  // memcached turns the TEMP LRU on by giving -o temporary_ttl; it needs the maintainer.
  slots[Setting.TEMP_LRU] = Number(full.temporaryTtl >= 0 && full.lruMaintainer);
  return slots;
}

// What memcached refuses at start-up, with its messages. Returns the first problem or null.
export function validateEngineOptions(o: EngineOptions): string | null {
  if (!(o.memoryLimitMb > 0)) return "Memory limit must be greater than 0";
  if (!(o.maxConns > 0)) return "Maximum connections must be greater than 0";
  if (!(o.reqsPerEvent > 0)) return "Number of requests per event must be greater than 0";
  if (!(o.growthFactor > 1)) return "Factor must be greater than 1";
  if (!(o.chunkSize > 0)) return "Chunk size must be greater than 0";
  if (o.itemSizeMax < 1024) return "Item max size cannot be less than 1024 bytes.";
  if (o.itemSizeMax > o.memoryLimitMb * MB / 2) return "Cannot set item size limit higher than 1/2 of memory max.";
  if (o.itemSizeMax > 1024 * MB) return "Cannot set item size limit higher than a gigabyte.";
  if (o.slabChunkMax > SLAB_PAGE_SIZE) return "slab_chunk_max cannot be larger than slab_page_size";
  if (o.itemSizeMax % o.slabChunkMax !== 0) return "-I must be a multiple of slab_chunk_max";
  if (o.hotLruPct + o.warmLruPct > 80) return "hot_lru_pct + warm_lru_pct cannot be more than 80% combined";
  if (o.hotMaxFactor <= 0 || o.warmMaxFactor <= 0) return "hot_max_factor and warm_max_factor must be greater than 0";
  if (o.hashpower < 12) return `Initial hashtable multiplier of ${o.hashpower} is too low`;
  if (o.hashpower > 32) return `Initial hashtable multiplier of ${o.hashpower} is too high\n` +
    'Choose a value based on "STAT hash_power_level" from a running instance';
  return null;
}
