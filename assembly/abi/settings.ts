// The settings the host hands the core, one f64 slot each in the SETTINGS block (layout/layout.ts).
//
// This file is plain TypeScript on purpose: the host imports the very same enum, so a slot
// number is declared once. The host writes every slot before calling `init()`; the core only
// reads them (plus `cache_memlimit`, which rewrites MAXBYTES at run time). Values are f64
// because every setting fits one exactly (sizes are < 2^53) and one slot type keeps the ABI
// trivial. Names in comments are memcached's `stats settings` names.
export enum Setting {
  MAXBYTES = 0,          // maxbytes: item memory limit (-m, bytes)
  ITEM_SIZE_MAX = 1,     // item_size_max (-I)
  SLAB_CHUNK_MAX = 2,    // slab_chunk_max (-o slab_chunk_max, default page/2)
  CHUNK_SIZE = 3,        // chunk_size (-n): minimum key+value+flags space of class 1
  GROWTH_FACTOR = 4,     // growth_factor (-f)
  EVICT_TO_FREE = 5,     // evictions on/off (-M turns it off): 1 = evict
  USE_CAS = 6,           // cas_enabled (-C turns it off)
  LRU_SEGMENTED = 7,     // lru_segmented (lru_maintainer on): HOT/WARM/COLD, else flat COLD
  TEMP_LRU = 8,          // temp_lru (-o temporary_ttl given)
  TEMPORARY_TTL = 9,     // temporary_ttl
  HOT_LRU_PCT = 10,      // hot_lru_pct
  WARM_LRU_PCT = 11,     // warm_lru_pct
  HOT_MAX_FACTOR = 12,   // hot_max_factor
  WARM_MAX_FACTOR = 13,  // warm_max_factor
  HASHPOWER_INIT = 14,   // hashpower_init (-o hashpower)
  HASH_EXPAND = 15,      // 0 with -o no_hashexpand
  LRU_CRAWLER = 16,      // lru_crawler
  CRAWLER_TOCRAWL = 17,  // lru_crawler_tocrawl: items per LRU per crawl, 0 = all
  MAINTAINER = 18,       // lru_maintainer_thread
  MAX_CONNS = 19,        // maxconns (-c): size of the connection table
  REQS_PER_EVENT = 20,   // reqs_per_event (-R)
  SHUTDOWN_COMMAND = 21, // shutdown_command (-A)
  FLUSH_ENABLED = 22,    // flush_enabled (-F turns it off)
  VERBOSE = 23,          // verbosity (-v count; the verbosity command changes it)
  TCP_PORT = 24,         // tcpport
  UDP_PORT = 25,         // udpport
  IDLE_TIMEOUT = 26,     // idle_timeout
  SLAB_AUTOMOVE = 27,    // slab_automove: 0 off, 1 balance by age, 2 move on every eviction
  SLAB_AUTOMOVE_RATIO = 28, // slab_automove_ratio
  CRAWLER_SLEEP = 29,    // lru_crawler_sleep (µs; accepted, the crawler runs in bounded steps)
  DUMP_ENABLED = 30,     // dump_enabled (-X turns it off): cachedump and metadump
  WATCH_ENABLED = 31,    // -W turns it off
  DETAIL_ENABLED = 32,   // detail_enabled (-D, stats detail on|off)
  TRACK_SIZES = 33,      // track_sizes (-o track_sizes, stats sizes_enable)
  DETAIL_DELIMITER = 34, // stat_key_prefix (-D): the byte that ends a key's prefix
  WATCH_MASK = 35,       // logger/logger.ts LogType bits some `watch` connection wants (host-kept)
  CONN_FD_BASE = 36,     // added to connection ids where memcached prints a file descriptor
  BINDING_PROTOCOL = 37, // binding_protocol (-B): a BindingProtocol
  SASL = 38,             // auth_enabled_sasl (-S): binary SASL PLAIN required
  ASCII_AUTH = 39,       // auth_enabled_ascii (-Y): text clients log in with a `set` first
  SLAB_REASSIGN = 40,    // slab_reassign (-o no_slab_reassign turns it off)
  INITIAL_MALLOCED = 41, // T_MEMD_INITIAL_MALLOC: slab bytes counted as allocated at start-up
  SLAB_AUTOMOVE_WINDOW = 42, // slab_automove_window: seconds of samples automove decides on
  SSL_ENABLED = 43,      // ssl_enabled (-Z): TLS lines in `stats`, refresh_certs served
  SSL_SESSION_CACHE = 44, // ssl_session_cache: `stats` shows ssl_new_sessions
  THREAD_BLOCKS = 45,    // instances that will attach to the memory (workers + control + background)
  ITEM_LOCK_POWER = 46,  // log2 of the item lock count (memcached's item_lock_hashpower, from -t)
  LOCK_STALE_MS = 47,    // a lock waited on this long traps, so the host can look for a dead holder (0: never)
  COUNT = 48,
}

// Setting.BINDING_PROTOCOL values: -B auto decides per connection on its first byte.
export enum BindingProtocol { AUTO = 0, ASCII = 1, BINARY = 2 }

// `stats settings` lines are rendered by the core from a descriptor the host writes
// (host/options.ts): per line a SettingFormat byte, a Setting slot byte, the name, and for
// TEXT the value, each string prefixed by its length byte; a 0 byte ends the descriptor.
export enum SettingFormat {
  END = 0,
  INT = 1,      // the slot as an integer
  FLOAT2 = 2,   // the slot as printf's %.2f
  YESNO = 3,    // yes / no
  ONOFF = 4,    // on / off
  TEXT = 5,     // the text the descriptor carries
  OLDEST = 6,   // flush_all's deadline (the core's own state, no slot)
}
