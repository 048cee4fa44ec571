// Every option, declared once: its command-line flag (memcached's), -o suboption name,
// default, the core setting slot it fills, its `stats settings` name and its help text.
// The engine wrapper, the CLI and the docs all read this table.
import { Setting, SettingFormat, BindingProtocol } from "../assembly/abi/settings.js";

export interface EngineOptions {
  memoryLimitMb: number;
  /** -t: worker threads (a core on one thread still sizes its item locks from it) */
  threads: number;
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
  tempLru: boolean;
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
  slabAutomove: number;
  slabAutomoveRatio: number;
  slabAutomoveWindow: number;
  lruCrawlerSleep: number;
  /** The T_MEMD_INITIAL_MALLOC test hook: slab bytes counted as allocated at start-up. */
  initialMalloced: number;
  dumpEnabled: boolean;
  watchEnabled: boolean;
  detailEnabled: boolean;
  trackSizes: boolean;
}

export interface ServerOptions extends EngineOptions {
  listen: string[];
  /** -s: a UNIX socket to listen on instead of TCP and UDP. */
  unixSocket: string;
  /** -a: the UNIX socket's access mask. */
  unixMask: number;
  /** read_buf_mem_limit in megabytes, split over the -t worker threads (0: no limit). */
  readBufMemLimit: number;
  /** watcher_logbuf_size in kilobytes: what a watcher may have unsent before lines are skipped. */
  watcherLogbufSize: number;
  bindingProtocol: "auto" | "ascii" | "binary";
  backlog: number;
  user: string;
  pidFile: string;
  daemonize: boolean;
  statKeyPrefix: string;
  slabReassign: boolean;
  sasl: boolean;
  authFile: string;
  saslPwdb: string;
  /** The engine behind the protocol: the WASM core, or the pure-JS twin (host/js/). */
  engine: "wasm" | "js";
  sslEnabled: boolean;
  sslChainCert: string;
  sslKey: string;
  sslKeyformat: number;
  sslVerifyMode: number;
  sslCiphers: string;
  sslCaCert: string;
  /** KiB, as given */
  sslWbufSize: number;
  sslSessionCache: boolean;
  sslKernelTls: boolean;
  sslMinVersion: number;
  /** -e: where SIGUSR1 saves the cache and the next start restores it from (host/restart/). */
  memoryFile: string;
}

type Value = number | boolean | string | string[];

export interface OptionSpec {
  key: keyof ServerOptions;
  /** memcached's short flag, e.g. "m" for -m */
  short?: string;
  /** the long flag; an option with neither short flag nor -o name has only this one */
  long?: string;
  /** -o suboption that sets it (memcached's name), with `=value` unless `bare` applies */
  sub?: string;
  /** -o suboption that turns it off (memcached's no_ form) */
  noSub?: string;
  /** What `sub` without `=value` sets (memcached's slab_automove alone means 1); booleans: true */
  bare?: Value;
  /** memcached's message when `sub` needs a value and has none (default: "Missing <sub> argument") */
  missing?: string;
  arg?: "num" | "size" | "float" | "text" | "list" | "octal";
  default: Value;
  setting?: Setting;
  toCore?: (o: ServerOptions) => number;
  /**
   * Parsed as memcached parses its TLS suboptions, with its messages (exit 1): "Missing <sub>
   * argument"; for numbers "could not parse argument to <sub>" (negative too, if unsigned) and,
   * outside `choices`, "Invalid <sub>. Use help to see valid options."
   */
  checked?: { choices?: readonly number[]; unsigned?: boolean };
  help: string;
}

const KB = 1024;
const MB = 1024 * KB;
const BINDING_PROTOCOLS = { auto: BindingProtocol.AUTO, ascii: BindingProtocol.ASCII, binary: BindingProtocol.BINARY };
export const SLAB_PAGE_SIZE = MB;

// ssl_min_version's values as memcached numbers them, by the names `stats settings` prints.
export const TLS_VERSION_NAMES = ["tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"] as const;
// ssl_verify_mode's values (none, request, require, once) as the OpenSSL SSL_VERIFY_* bits
// `stats settings` prints.
export const TLS_VERIFY_BITS = [0, 1, 3, 7] as const;
export enum TlsVerify { NONE = 0, REQUEST = 1, REQUIRE = 2, ONCE = 3 }
// ssl_keyformat: OpenSSL's SSL_FILETYPE_PEM and SSL_FILETYPE_ASN1 (DER).
export enum KeyFormat { PEM = 1, DER = 2 }
const KIB = 1024;

export const OPTIONS: readonly OptionSpec[] = [
  { key: "port", short: "p", long: "port", arg: "num", default: 11211, setting: Setting.TCP_PORT,
    toCore: (o) => Math.max(o.port, 0), help: "TCP port to listen on (0 = off, -1 = any free port)" },
  { key: "udpPort", short: "U", long: "udp-port", arg: "num", default: 0, setting: Setting.UDP_PORT, help: "UDP port to listen on (0 = off)" },
  { key: "listen", short: "l", long: "listen", arg: "list", default: ["127.0.0.1"],
    help: "interfaces to listen on (default: 127.0.0.1, loopback only)" },
  { key: "unixSocket", short: "s", long: "unix-socket", arg: "text", default: "",
    help: "UNIX socket to listen on (turns TCP and UDP off)" },
  { key: "unixMask", short: "a", long: "unix-mask", arg: "octal", default: 0o700,
    help: "access mask for the UNIX socket, in octal (default: 700)" },
  { key: "memoryLimitMb", short: "m", long: "memory-limit", arg: "num", default: 64, setting: Setting.MAXBYTES,
    toCore: (o) => o.memoryLimitMb * MB, help: "item memory in megabytes" },
  { key: "evictions", short: "M", long: "disable-evictions", default: true, setting: Setting.EVICT_TO_FREE, help: "return errors when memory is exhausted instead of evicting" },
  { key: "maxConns", short: "c", long: "conn-limit", arg: "num", default: 1024, setting: Setting.MAX_CONNS, help: "max simultaneous connections" },
  { key: "threads", short: "t", long: "threads", arg: "num", default: 4, setting: Setting.ITEM_LOCK_POWER,
    toCore: (o) => itemLockPower(o.threads), help: "number of worker threads" },
  { key: "reqsPerEvent", short: "R", long: "max-reqs-per-event", arg: "num", default: 20,
    setting: Setting.REQS_PER_EVENT, help: "max commands served per connection before yielding" },
  { key: "itemSizeMax", short: "I", long: "max-item-size", arg: "size", default: MB, setting: Setting.ITEM_SIZE_MAX, help: "largest item, with k/m suffix (default 1m, min 1k, max 1024m)" },
  { key: "growthFactor", short: "f", long: "slab-growth-factor", arg: "float", default: 1.25,
    setting: Setting.GROWTH_FACTOR, help: "chunk size growth factor" },
  { key: "chunkSize", short: "n", long: "slab-min-size", arg: "num", default: 48, setting: Setting.CHUNK_SIZE, help: "min space for key, value and flags" },
  { key: "cas", short: "C", long: "disable-cas", default: true, setting: Setting.USE_CAS, help: "disable use of CAS" },
  { key: "bindingProtocol", short: "B", long: "protocol", arg: "text", default: "auto", setting: Setting.BINDING_PROTOCOL,
    toCore: (o) => BINDING_PROTOCOLS[o.bindingProtocol], help: "protocol: ascii, binary or auto" },
  { key: "sasl", short: "S", long: "enable-sasl", default: false, setting: Setting.SASL,
    help: "require SASL PLAIN authentication (binary protocol; users from -o sasl_pwdb)" },
  { key: "authFile", short: "Y", long: "auth-file", arg: "text", default: "", setting: Setting.ASCII_AUTH,
    toCore: (o) => Number(o.authFile !== ""), help: "text protocol authentication: file of user:password lines" },
  { key: "saslPwdb", sub: "sasl_pwdb", arg: "text", default: "",
    help: "-S users, a file of user:password lines (default: $MEMCACHED_SASL_PWDB)" },
  { key: "backlog", short: "b", long: "listen-backlog", arg: "num", default: 1024,
    help: "listen backlog" },
  { key: "shutdownCommand", short: "A", long: "enable-shutdown", default: false, setting: Setting.SHUTDOWN_COMMAND, help: "enable the ascii shutdown command" },
  { key: "flushEnabled", short: "F", long: "disable-flush-all", default: true, setting: Setting.FLUSH_ENABLED, help: "disable flush_all" },
  { key: "verbose", short: "v", long: "verbose", default: 0, setting: Setting.VERBOSE,
    help: "verbose (print errors); -vv also commands and replies" },
  // Not memcached's: no short flag, and no `stats settings` line (that list stays memcached's).
  { key: "engine", long: "engine", arg: "text", default: "wasm",
    help: "wasm (the WebAssembly core) or js (its pure-JS twin: text protocol over TCP only)" },
  { key: "user", short: "u", long: "user", arg: "text", default: "", help: "user to run as (required when started as root)" },
  { key: "pidFile", short: "P", long: "pidfile", arg: "text", default: "", help: "file to write the process id to" },
  { key: "daemonize", short: "d", long: "daemon", default: false, help: "run as a daemon" },
  { key: "memoryFile", short: "e", long: "memory-file", arg: "text", default: "",
    help: "restartable cache: SIGUSR1 saves it to this file, and the next start with it restores it" },
  { key: "dumpEnabled", short: "X", long: "disable-dumping", default: true, setting: Setting.DUMP_ENABLED,
    help: "disable stats cachedump and lru_crawler metadump" },
  { key: "watchEnabled", short: "W", long: "disable-watch", default: true, setting: Setting.WATCH_ENABLED,
    help: "disable watch commands (live logging)" },
  { key: "statKeyPrefix", short: "D", long: "stat-key-prefix", arg: "text", default: ":",
    setting: Setting.DETAIL_DELIMITER, toCore: (o) => o.statKeyPrefix.charCodeAt(0) || 0,
    help: "delimiter between key prefixes and ids for stats detail; turns detail on" },
  { key: "detailEnabled", default: false, setting: Setting.DETAIL_ENABLED, help: "per-prefix stats (stats detail on|off)" },
  { key: "hashpower", sub: "hashpower", arg: "num", default: 0, setting: Setting.HASHPOWER_INIT,
    missing: "Missing numeric argument for hashpower", help: "log2 of the initial hash table size (grows at run time)" },
  { key: "hashExpand", noSub: "no_hashexpand", default: true, setting: Setting.HASH_EXPAND,
    help: "grow the hash table as items are added" },
  { key: "slabChunkMax", sub: "slab_chunk_max", arg: "num", default: SLAB_PAGE_SIZE / 2, setting: Setting.SLAB_CHUNK_MAX, help: "largest slab chunk in bytes" },
  { key: "lruMaintainer", sub: "lru_maintainer", noSub: "no_lru_maintainer", default: true, setting: Setting.MAINTAINER,
    help: "run the LRU maintainer (and the segmented LRU)" },
  // No suboption of its own: lru_maintainer and no_modern set it, as in memcached.
  { key: "lruSegmented", default: true, setting: Setting.LRU_SEGMENTED,
    toCore: (o) => Number(o.lruSegmented && o.lruMaintainer), help: "segmented HOT/WARM/COLD LRU" },
  { key: "temporaryTtl", sub: "temporary_ttl", arg: "num", default: 61, setting: Setting.TEMPORARY_TTL,
    help: "items with at most this TTL go to the TEMP LRU (giving it turns the TEMP LRU on)" },
  { key: "tempLru", default: false, setting: Setting.TEMP_LRU,
    toCore: (o) => Number(o.tempLru && o.lruMaintainer), help: "TEMP LRU for short-lived items" },
  { key: "hotLruPct", sub: "hot_lru_pct", arg: "num", default: 20, setting: Setting.HOT_LRU_PCT, help: "share of a class's bytes HOT may hold" },
  { key: "warmLruPct", sub: "warm_lru_pct", arg: "num", default: 40, setting: Setting.WARM_LRU_PCT, help: "share of a class's bytes WARM may hold" },
  { key: "hotMaxFactor", sub: "hot_max_factor", arg: "float", default: 0.2, setting: Setting.HOT_MAX_FACTOR, help: "HOT tail may be this times COLD's age" },
  { key: "warmMaxFactor", sub: "warm_max_factor", arg: "float", default: 2.0, setting: Setting.WARM_MAX_FACTOR, help: "WARM tail may be this times COLD's age" },
  { key: "lruCrawler", sub: "lru_crawler", noSub: "no_lru_crawler", default: true, setting: Setting.LRU_CRAWLER, help: "reclaim expired items in the background" },
  { key: "lruCrawlerTocrawl", sub: "lru_crawler_tocrawl", arg: "num", default: 0, setting: Setting.CRAWLER_TOCRAWL,
    missing: "Missing lru_crawler_tocrawl value", help: "items checked per LRU per crawl, 0 = all" },
  { key: "idleTimeout", sub: "idle_timeout", arg: "num", default: 0, setting: Setting.IDLE_TIMEOUT,
    missing: "Missing numeric argument for idle_timeout",
    help: "close connections idle this many seconds (0 = never)" },
  { key: "slabAutomove", sub: "slab_automove", noSub: "no_slab_automove", bare: 1, arg: "num", default: 1,
    setting: Setting.SLAB_AUTOMOVE,
    help: "0 off, 1 move pages between classes by age, 2 move a page on every eviction" },
  { key: "slabAutomoveWindow", sub: "slab_automove_window", arg: "num", default: 30, setting: Setting.SLAB_AUTOMOVE_WINDOW,
    help: "seconds of history automove decides on (at most 30 are kept)" },
  { key: "slabAutomoveRatio", sub: "slab_automove_ratio", arg: "float", default: 0.8, setting: Setting.SLAB_AUTOMOVE_RATIO,
    help: "age ratio below which automove takes a page from the oldest class" },
  { key: "lruCrawlerSleep", sub: "lru_crawler_sleep", arg: "num", default: 100, setting: Setting.CRAWLER_SLEEP,
    missing: "Missing lru_crawler_sleep value",
    help: "microseconds the crawler pauses between batches" },
  { key: "trackSizes", sub: "track_sizes", default: false, setting: Setting.TRACK_SIZES,
    help: "keep the item size histogram for stats sizes" },
  { key: "sslEnabled", short: "Z", long: "enable-ssl", default: false, setting: Setting.SSL_ENABLED,
    help: "enable TLS/SSL (needs -o ssl_chain_cert=<file>,ssl_key=<file>)" },
  { key: "sslChainCert", sub: "ssl_chain_cert", arg: "text", default: "", checked: {},
    help: "certificate chain file in PEM format" },
  { key: "sslKey", sub: "ssl_key", arg: "text", default: "", checked: {},
    help: "private key file, if not part of ssl_chain_cert" },
  { key: "sslKeyformat", sub: "ssl_keyformat", arg: "num", default: KeyFormat.PEM, checked: {},
    help: "private key format: 1 PEM, 2 DER" },
  { key: "sslVerifyMode", sub: "ssl_verify_mode", arg: "num", default: TlsVerify.NONE, checked: { choices: [0, 1, 2, 3] },
    help: "client certificates: 0 not asked for, 1 checked if sent, 2 required, 3 required once" },
  { key: "sslCiphers", sub: "ssl_ciphers", arg: "text", default: "", checked: {}, help: "OpenSSL cipher list (TLS 1.2 and below)" },
  { key: "sslCaCert", sub: "ssl_ca_cert", arg: "text", default: "", checked: {},
    help: "PEM file of the CAs client certificates are checked against" },
  { key: "sslWbufSize", sub: "ssl_wbuf_size", arg: "num", default: 16, checked: { unsigned: true },
    help: "per-connection TLS output buffer in KiB (accepted; the runtime sizes its own records)" },
  { key: "sslSessionCache", sub: "ssl_session_cache", default: false, setting: Setting.SSL_SESSION_CACHE,
    help: "cache TLS sessions on the server for resumption by session id" },
  { key: "sslKernelTls", sub: "ssl_kernel_tls", default: false,
    help: "kernel TLS offload (accepted; the runtime's TLS runs in user space)" },
  { key: "sslMinVersion", sub: "ssl_min_version", arg: "num", default: 2, checked: { choices: [0, 1, 2, 3] },
    help: "oldest TLS version accepted: 0 1.0, 1 1.1, 2 1.2, 3 1.3" },
  { key: "slabReassign", sub: "slab_reassign", noSub: "no_slab_reassign", default: true, setting: Setting.SLAB_REASSIGN,
    help: "allow moving slab pages between classes" },
  // Each serving thread's driver tells its core instance its share (host/worker_buffers.ts).
  { key: "readBufMemLimit", sub: "read_buf_mem_limit", arg: "num", default: 0,
    help: "megabytes of connection read and reply buffers, split over the -t threads (0 = no limit)" },
  { key: "watcherLogbufSize", sub: "watcher_logbuf_size", arg: "num", default: 256,
    help: "kilobytes a watcher may have unsent before lines are skipped" },
  // memcached's test hook (slabs.c), an environment variable rather than a flag: -m 4098 can be
  // tried without 4 GiB of pages.
  { key: "initialMalloced", default: 0, setting: Setting.INITIAL_MALLOCED,
    help: "slab bytes counted as allocated at start-up (T_MEMD_INITIAL_MALLOC)" },
];

/**
 * -o suboptions that set several options at once. no_modern: memcached 1.4's defaults, as far
 * as they change behaviour here (a slab_chunk_max given anywhere on the line wins over its
 * 1 MiB); no_chunked_items: items in one chunk, however large.
 */
export const SUBOPTION_PRESETS: Record<string, Partial<ServerOptions>> = {
  no_modern: {
    slabChunkMax: SLAB_PAGE_SIZE, slabReassign: false, slabAutomove: 0, lruSegmented: false,
    lruCrawler: false, lruMaintainer: false,
  },
  no_chunked_items: { slabChunkMax: SLAB_PAGE_SIZE },
};

// -o suboptions memcached accepts that change nothing here (its defaults are ours already, or
// they tune machinery a single-threaded core does not have).
export const ACCEPTED_NOOP_SUBOPTIONS = new Set([
  "maxconns_fast", "no_maxconns_fast", "modern",
  "tail_repair_time", "hash_algorithm",
  "worker_logbuf_size", "inline_ascii_resp", "no_inline_ascii_resp",
  "resp_obj_mem_limit", "drop_privileges", "no_drop_privileges", "sock_cookie_id",
]);

export function defaultServerOptions(): ServerOptions {
  const o: Record<string, Value> = {};
  for (const s of OPTIONS) o[s.key] = Array.isArray(s.default) ? [...s.default] : s.default;
  return o as unknown as ServerOptions;
}

// The value of every core setting slot for these options, with `threadBlocks` instances of
// the core attached to the memory (1 on one thread).
export function coreSettings(o: Partial<ServerOptions>, threadBlocks = 1): Float64Array {
  const full = { ...defaultServerOptions(), ...o };
  const slots = new Float64Array(Setting.COUNT);
  for (const s of OPTIONS) {
    if (s.setting === undefined) continue;
    slots[s.setting] = s.toCore ? s.toCore(full) : Number(full[s.key]);
  }
  slots[Setting.THREAD_BLOCKS] = threadBlocks;
  return slots;
}

// memcached's item_lock_hashpower for -t: more threads, more item locks (thread.c).
export function itemLockPower(threads: number): number {
  if (threads < 3) return 10;
  if (threads === 3) return 11;
  if (threads === 4) return 12;
  if (threads <= 10) return 13;
  if (threads <= 20) return 14;
  return 15;
}

const HASHPOWER_DEFAULT = 16;

// What memcached refuses at start-up, with its messages. Returns the first problem or null.
export function validateEngineOptions(o: EngineOptions): string | null {
  return checkEngineOptions(o)?.message ?? null;
}

export interface OptionProblem {
  message: string;
  /** What memcached exits with: 1 for the checks in its option loop, EX_USAGE after it. */
  exitCode: number;
}

const EXIT_FAILURE = 1;
const EX_USAGE = 64;
const ITEM_SIZE_MIN = 1024;
const ITEM_SIZE_LIMIT = 1024 * MB;

// memcached's own order: the checks made while parsing options first, then main()'s checks
// of the item size against the memory limit and the slab geometry.
export function checkEngineOptions(o: EngineOptions): OptionProblem | null {
  const failure = (message: string) => ({ message, exitCode: EXIT_FAILURE });
  const usage = (message: string) => ({ message, exitCode: EX_USAGE });
  if (!(o.maxConns > 0)) return failure("Maximum connections must be greater than 0");
  if (!(o.reqsPerEvent > 0)) return failure("Number of requests per event must be greater than 0");
  if (!(o.growthFactor > 1)) return failure("Factor must be greater than 1");
  if (!(o.chunkSize > 0)) return failure("Chunk size must be greater than 0");
  if (o.hashpower !== 0 && o.hashpower < 12) return failure(`Initial hashtable multiplier of ${o.hashpower} is too low`);
  if (o.hashpower > 32) return failure(`Initial hashtable multiplier of ${o.hashpower} is too high\n` +
    'Choose a value based on "STAT hash_power_level" from a running instance');
  if (!(o.hotMaxFactor > 0)) return failure("hot_max_factor must be > 0");
  if (!(o.warmMaxFactor > 0)) return failure("warm_max_factor must be > 0");
  if (!(o.slabAutomove >= 0 && o.slabAutomove <= 2)) return failure("slab_automove must be between 0 and 2");
  if (!(o.slabAutomoveWindow > 2)) return failure("slab_automove_window must be > 2");
  if (o.itemSizeMax < ITEM_SIZE_MIN) return usage("Item max size cannot be less than 1024 bytes.");
  if (o.itemSizeMax > o.memoryLimitMb * MB / 2) return usage("Cannot set item size limit higher than 1/2 of memory max.");
  if (o.itemSizeMax > ITEM_SIZE_LIMIT) return usage("Cannot set item size limit higher than a gigabyte.");
  if (o.slabChunkMax > o.itemSizeMax) {
    return usage(`slab_chunk_max (bytes: ${o.slabChunkMax}) cannot be larger than -I (item_size_max ${o.itemSizeMax})`);
  }
  if (o.itemSizeMax % o.slabChunkMax !== 0) {
    return usage(`-I (item_size_max: ${o.itemSizeMax}) must be evenly divisible by slab_chunk_max (bytes: ${o.slabChunkMax})`);
  }
  if (SLAB_PAGE_SIZE % o.slabChunkMax !== 0) {
    return usage(`slab_chunk_max (bytes: ${o.slabChunkMax}) must divide evenly into ${SLAB_PAGE_SIZE} (slab_page_size)`);
  }
  // -m 0 already failed the item size check, as in memcached; this catches a limit that is
  // not a number at all (in-process callers).
  if (!(o.memoryLimitMb > 0)) return usage("Memory limit must be greater than 0");
  if (o.hotLruPct + o.warmLruPct > 80) return usage("hot_lru_pct + warm_lru_pct cannot be more than 80% combined");
  const hashpower = o.hashpower || HASHPOWER_DEFAULT;
  const lockPower = itemLockPower(o.threads ?? DEFAULT_THREADS);
  if (lockPower >= hashpower) {
    return failure(`Hash table power size (${hashpower}) cannot be equal to or less than item lock table (${lockPower})\n` +
      "Item lock table grows with `-t N` (worker threadcount)\nHash table grows with `-o hashpower=N` ");
  }
  return null;
}

const DEFAULT_THREADS = 4;

// ── `stats settings` ───────────────────────────────────────────────────────────────────
// The lines in memcached 1.6.18's order, as Debian's build prints them (its extstore lines
// included, showing that feature off). A line either reads a core setting slot, so
// commands that change a setting (verbosity, lru tune, cache_memlimit…) show at once, or is
// text fixed at start-up.

type SettingLine = [name: string, format: SettingFormat, source: Setting | ((o: ServerOptions) => string) | null];

const PROTOCOL_NAMES = { auto: "auto-negotiate", ascii: "ascii", binary: "binary" };
const text = (v: string | number) => () => String(v);

export const STATS_SETTINGS: readonly SettingLine[] = [
  ["maxbytes", SettingFormat.INT, Setting.MAXBYTES],
  ["maxconns", SettingFormat.INT, Setting.MAX_CONNS],
  // As given, so -p -1 (an ephemeral port) shows -1 like memcached's; the core slot is clamped.
  ["tcpport", SettingFormat.TEXT, (o) => String(o.port)],
  ["udpport", SettingFormat.INT, Setting.UDP_PORT],
  ["inter", SettingFormat.TEXT, (o) => o.listen.join(",") || "NULL"],
  ["verbosity", SettingFormat.INT, Setting.VERBOSE],
  ["oldest", SettingFormat.OLDEST, null],
  ["evictions", SettingFormat.ONOFF, Setting.EVICT_TO_FREE],
  ["domain_socket", SettingFormat.TEXT, (o) => o.unixSocket || "NULL"],
  ["umask", SettingFormat.TEXT, (o) => o.unixMask.toString(8)],
  ["shutdown_command", SettingFormat.YESNO, Setting.SHUTDOWN_COMMAND],
  ["growth_factor", SettingFormat.FLOAT2, Setting.GROWTH_FACTOR],
  ["chunk_size", SettingFormat.INT, Setting.CHUNK_SIZE],
  ["num_threads", SettingFormat.TEXT, (o) => String(o.threads)],
  ["num_threads_per_udp", SettingFormat.TEXT, (o) => String(o.threads)],
  ["stat_key_prefix", SettingFormat.TEXT, (o) => o.statKeyPrefix],
  ["detail_enabled", SettingFormat.YESNO, Setting.DETAIL_ENABLED],
  ["reqs_per_event", SettingFormat.INT, Setting.REQS_PER_EVENT],
  ["cas_enabled", SettingFormat.YESNO, Setting.USE_CAS],
  ["tcp_backlog", SettingFormat.TEXT, (o) => String(o.backlog)],
  ["binding_protocol", SettingFormat.TEXT, (o) => PROTOCOL_NAMES[o.bindingProtocol]],
  ["auth_enabled_sasl", SettingFormat.TEXT, (o) => (o.sasl ? "yes" : "no")],
  ["auth_enabled_ascii", SettingFormat.TEXT, (o) => o.authFile || "no"],
  ["item_size_max", SettingFormat.INT, Setting.ITEM_SIZE_MAX],
  ["maxconns_fast", SettingFormat.TEXT, text("yes")],
  ["hashpower_init", SettingFormat.INT, Setting.HASHPOWER_INIT],
  ["slab_reassign", SettingFormat.TEXT, (o) => (o.slabReassign ? "yes" : "no")],
  ["slab_automove", SettingFormat.INT, Setting.SLAB_AUTOMOVE],
  ["slab_automove_ratio", SettingFormat.FLOAT2, Setting.SLAB_AUTOMOVE_RATIO],
  ["slab_automove_window", SettingFormat.INT, Setting.SLAB_AUTOMOVE_WINDOW],
  ["slab_chunk_max", SettingFormat.INT, Setting.SLAB_CHUNK_MAX],
  ["lru_crawler", SettingFormat.YESNO, Setting.LRU_CRAWLER],
  ["lru_crawler_sleep", SettingFormat.INT, Setting.CRAWLER_SLEEP],
  ["lru_crawler_tocrawl", SettingFormat.INT, Setting.CRAWLER_TOCRAWL],
  ["tail_repair_time", SettingFormat.TEXT, text(0)],
  ["flush_enabled", SettingFormat.YESNO, Setting.FLUSH_ENABLED],
  ["dump_enabled", SettingFormat.YESNO, Setting.DUMP_ENABLED],
  ["hash_algorithm", SettingFormat.TEXT, text("murmur3")],
  ["lru_maintainer_thread", SettingFormat.YESNO, Setting.MAINTAINER],
  ["lru_segmented", SettingFormat.YESNO, Setting.LRU_SEGMENTED],
  ["hot_lru_pct", SettingFormat.INT, Setting.HOT_LRU_PCT],
  ["warm_lru_pct", SettingFormat.INT, Setting.WARM_LRU_PCT],
  ["hot_max_factor", SettingFormat.FLOAT2, Setting.HOT_MAX_FACTOR],
  ["warm_max_factor", SettingFormat.FLOAT2, Setting.WARM_MAX_FACTOR],
  ["temp_lru", SettingFormat.YESNO, Setting.TEMP_LRU],
  ["temporary_ttl", SettingFormat.INT, Setting.TEMPORARY_TTL],
  ["idle_timeout", SettingFormat.INT, Setting.IDLE_TIMEOUT],
  ["watcher_logbuf_size", SettingFormat.TEXT, (o) => String(o.watcherLogbufSize * KB)],
  ["worker_logbuf_size", SettingFormat.TEXT, text(65536)],
  ["read_buf_mem_limit", SettingFormat.TEXT, (o) => String(o.readBufMemLimit * MB)],
  ["track_sizes", SettingFormat.YESNO, Setting.TRACK_SIZES],
  ["inline_ascii_response", SettingFormat.TEXT, text("no")],
  ["ext_item_size", SettingFormat.TEXT, text(512)],
  ["ext_item_age", SettingFormat.TEXT, text(4294967295)],
  ["ext_low_ttl", SettingFormat.TEXT, text(0)],
  ["ext_recache_rate", SettingFormat.TEXT, text(2000)],
  ["ext_wbuf_size", SettingFormat.TEXT, text(4194304)],
  ["ext_compact_under", SettingFormat.TEXT, text(0)],
  ["ext_drop_under", SettingFormat.TEXT, text(0)],
  ["ext_max_sleep", SettingFormat.TEXT, text(1000000)],
  ["ext_max_frag", SettingFormat.TEXT, text("0.80")],
  ["slab_automove_freeratio", SettingFormat.TEXT, text("0.010")],
  ["ext_drop_unread", SettingFormat.TEXT, text("no")],
  ["ssl_enabled", SettingFormat.YESNO, Setting.SSL_ENABLED],
  ["ssl_chain_cert", SettingFormat.TEXT, (o) => o.sslChainCert || "(null)"],
  ["ssl_key", SettingFormat.TEXT, (o) => o.sslKey || "(null)"],
  ["ssl_verify_mode", SettingFormat.TEXT, (o) => String(TLS_VERIFY_BITS[o.sslVerifyMode])],
  ["ssl_keyformat", SettingFormat.TEXT, (o) => String(o.sslKeyformat)],
  ["ssl_ciphers", SettingFormat.TEXT, (o) => o.sslCiphers || "NULL"],
  ["ssl_ca_cert", SettingFormat.TEXT, (o) => o.sslCaCert || "NULL"],
  // memcached keeps the size in an unsigned int
  ["ssl_wbuf_size", SettingFormat.TEXT, (o) => String((o.sslWbufSize * KIB) >>> 0)],
  ["ssl_session_cache", SettingFormat.YESNO, Setting.SSL_SESSION_CACHE],
  ["ssl_kernel_tls", SettingFormat.TEXT, (o) => (o.sslKernelTls ? "yes" : "no")],
  ["ssl_min_version", SettingFormat.TEXT, (o) => TLS_VERSION_NAMES[o.sslMinVersion]],
  ["num_napi_ids", SettingFormat.TEXT, text("(null)")],
  ["memory_file", SettingFormat.TEXT, (o) => o.memoryFile || "(null)"],
];

// The descriptor the core renders `stats settings` from: per line a format byte, a slot byte,
// the name, and (TEXT) the value, each string prefixed by its length; a 0 byte ends it.
export function statsSettingsDescriptor(o: ServerOptions): Uint8Array {
  const enc = new TextEncoder();
  const bytes: number[] = [];
  const str = (v: string) => {
    const b = enc.encode(v).subarray(0, 255);
    bytes.push(b.length, ...b);
  };
  for (const [name, format, source] of STATS_SETTINGS) {
    bytes.push(format, typeof source === "number" ? source : 0);
    str(name);
    if (format === SettingFormat.TEXT) str((source as (o: ServerOptions) => string)(o));
  }
  bytes.push(SettingFormat.END);
  return Uint8Array.from(bytes);
}
