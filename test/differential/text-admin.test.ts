// flush_all, version, verbosity, quit, shutdown, cache_memlimit and stats (reference §1.5, §1.7, §5).
import { describeCorpus, TEXT, type Case } from "../helpers/differential.js";

const BAD_EXPTIME = "CLIENT_ERROR invalid exptime argument\r\n";
const BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";
const NO_SHUTDOWN = "ERROR: shutdown not enabled\r\n";
const TOO_SMALL = "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n";
const NOT_BYTES = "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n";
const DETAIL_USAGE = "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
const seed = (key: string, value = "x") => `set ${key} 0 0 ${value.length}\r\n${value}\r\n`;
// Each cache_memlimit case ends by restoring the default so later cases keep their memory.
const RESTORE_LIMIT = "cache_memlimit 64\r\n";

/** A stats listing: names (values are masked) and the END line. */
const statsListing = (first: string) => new RegExp(`^STAT ${first}\\r\\n(STAT [a-z0-9_:]+\\r\\n)+END\\r\\n$`);

const cases: Case[] = [
  // --- flush_all (the runner's own flush_all before each case does not interfere: it is immediate)
  { name: "flush_all", send: seed("ad-f1") + "flush_all\r\nget ad-f1\r\n", expect: "STORED\r\nOK\r\nEND\r\n", bytewise: true },
  { name: "flush_all 0 and negative are immediate", send: seed("ad-f2") + "flush_all 0\r\nget ad-f2\r\n" + seed("ad-f3") + "flush_all -1\r\nget ad-f3\r\n", expect: "STORED\r\nOK\r\nEND\r\nSTORED\r\nOK\r\nEND\r\n" },
  { name: "items stored after flush_all survive", send: seed("ad-f4") + "flush_all\r\n" + seed("ad-f5") + "get ad-f4 ad-f5\r\n", expect: "STORED\r\nOK\r\nSTORED\r\nVALUE ad-f5 0 1\r\nx\r\nEND\r\n" },
  { name: "flush_all with a future delay keeps items for now", send: seed("ad-f6") + "flush_all 100\r\nget ad-f6\r\nflush_all\r\n", expect: "STORED\r\nOK\r\nVALUE ad-f6 0 1\r\nx\r\nEND\r\nOK\r\n" },
  { name: "flush_all 1: deadline is already reached", send: seed("ad-f7") + "flush_all 1\r\nget ad-f7\r\n", expect: "STORED\r\nOK\r\nEND\r\n" },
  { name: "flush_all noreply", send: seed("ad-f8") + seed("ad-f9") + "flush_all noreply\r\nget ad-f8\r\n" + seed("ad-f9") + "flush_all 0 noreply\r\nget ad-f9\r\n", expect: "STORED\r\nSTORED\r\nEND\r\nSTORED\r\nEND\r\n" },
  { name: "flush_all with a bad delay", send: seed("ad-f10") + "flush_all x\r\nflush_all 1.5\r\nflush_all 99999999999999999999\r\nget ad-f10\r\n", expect: "STORED\r\n" + BAD_EXPTIME.repeat(3) + "VALUE ad-f10 0 1\r\nx\r\nEND\r\n" },
  { name: "flush_all bad delay with noreply is silent", send: "flush_all x noreply\r\nflush_all noreply noreply\r\n", expect: "" },
  { name: "flush_all with a non-noreply second word", send: seed("ad-f11") + "flush_all 0 0\r\nget ad-f11\r\nflush_all noreply x\r\n", expect: "STORED\r\nOK\r\nEND\r\n" + BAD_EXPTIME },
  { name: "flush_all with three arguments", send: "flush_all 0 0 0\r\n", expect: "ERROR\r\n" },
  { name: "-F: flush_all not allowed", serverArgs: ["-F"], send: seed("ad-F1") + "flush_all\r\nflush_all noreply\r\nflush_all 0\r\nflush_all x\r\nget ad-F1\r\n", expect: "STORED\r\n" + "CLIENT_ERROR flush_all not allowed\r\n".repeat(3) + "VALUE ad-F1 0 1\r\nx\r\nEND\r\n" },

  // --- version
  { name: "version", send: "version\r\n", expect: /^VERSION <version>\r\n$/, bytewise: true },
  { name: "version ignores extra words", send: "version x y\r\n", expect: "VERSION 1.6.18\r\n" },

  // --- verbosity (level restored to 0 so the servers stay quiet)
  { name: "verbosity", send: "verbosity 1\r\nverbosity 5\r\nverbosity 4294967296\r\nverbosity 0\r\n", expect: "OK\r\nOK\r\nOK\r\nOK\r\n" },
  { name: "verbosity with a bad level", send: "verbosity x\r\nverbosity -1\r\nverbosity 99999999999999999999\r\n", expect: BAD_FORMAT.repeat(3) },
  { name: "verbosity noreply", send: "verbosity 0 noreply\r\nverbosity x noreply\r\nverbosity noreply\r\n", expect: "" },
  { name: "verbosity with an ignored second word", send: "verbosity 0 2\r\n", expect: "OK\r\n" },
  { name: "verbosity word counts", send: "verbosity\r\nverbosity 1 2 3\r\n", expect: "ERROR\r\nERROR\r\n" },

  // --- quit
  { name: "quit closes without a reply", send: "quit\r\n", expect: "", closes: true, bytewise: true },
  { name: "quit sends pending replies first and ignores the rest", send: "version\r\nquit\r\nversion\r\n", expect: "VERSION 1.6.18\r\n", closes: true },
  { name: "quit with arguments", send: "quit now please\r\n", expect: "", closes: true },
  { name: "quit without a newline does nothing", send: "quit", expect: "" },

  // --- shutdown
  { name: "shutdown without -A", send: "shutdown\r\nshutdown graceful\r\nshutdown x\r\nshutdown a b c\r\n", expect: NO_SHUTDOWN.repeat(4) },
  { name: "-A: invalid shutdown modes", serverArgs: ["-A"], send: "shutdown x\r\nshutdown graceful x\r\nshutdown graceful noreply\r\n", expect: "CLIENT_ERROR invalid shutdown mode\r\n".repeat(3) },
  { name: "-A: shutdown exits, dropping queued replies", serverArgs: ["-A"], serverExits: true, send: "version\r\nshutdown\r\nversion\r\n", expect: "", closes: true },
  { name: "-A: shutdown graceful exits", serverArgs: ["-A"], serverExits: true, send: "shutdown graceful\r\n", expect: "", closes: true },

  // --- cache_memlimit
  { name: "cache_memlimit", send: "cache_memlimit 8\r\ncache_memlimit 1000000000\r\n" + RESTORE_LIMIT, expect: "OK\r\nOK\r\nOK\r\n" },
  { name: "cache_memlimit below 8 MB", send: "cache_memlimit 7\r\ncache_memlimit 0\r\ncache_memlimit 4294967296\r\n", expect: TOO_SMALL.repeat(3) },
  { name: "cache_memlimit given in bytes", send: "cache_memlimit 1000000001\r\n", expect: NOT_BYTES },
  { name: "cache_memlimit with a bad number", send: "cache_memlimit x\r\ncache_memlimit -1\r\ncache_memlimit 1.5\r\ncache_memlimit 99999999999999999999\r\n", expect: "ERROR\r\n".repeat(4) },
  { name: "cache_memlimit noreply", send: "cache_memlimit 8 noreply\r\ncache_memlimit 7 noreply\r\ncache_memlimit 1000000001 noreply\r\n" + RESTORE_LIMIT, expect: "OK\r\n" },
  { name: "cache_memlimit with an ignored second word", send: "cache_memlimit 64 x\r\n", expect: "OK\r\n" },
  { name: "cache_memlimit word counts", send: "cache_memlimit\r\ncache_memlimit 64 x y\r\n", expect: "ERROR\r\nERROR\r\n" },

  // --- stats: field names in order (values masked unless statValues)
  { name: "stats", send: "stats\r\n", expect: statsListing("pid") },
  { name: "stats with trailing spaces", send: "stats   \r\n", expect: statsListing("pid") },
  { name: "stats settings", send: "stats settings\r\n", expect: statsListing("maxbytes") },
  { name: "stats settings with -C -I 2m -m 128", serverArgs: ["-C", "-I", "2m", "-m", "128"], send: "stats settings\r\n", expect: statsListing("maxbytes") },
  { name: "stats settings ignores an extra word", send: "stats settings x\r\n", expect: statsListing("maxbytes") },
  { name: "stats items and slabs on a fresh server", isolate: true, send: seed("ad-s1") + `set ad-s2 0 0 600000\r\n${"b".repeat(600000)}\r\nstats items\r\nstats slabs\r\n`, expect: /^STORED\r\nSTORED\r\nSTAT items:1:number\r\n(STAT items:[0-9]+:[a-z_]+\r\n)+END\r\nSTAT 1:chunk_size\r\n(STAT [0-9]+:[a-z_]+\r\n)+STAT active_slabs\r\nSTAT total_malloced\r\nEND\r\n$/ },
  { name: "stats items and slabs with nothing stored", isolate: true, send: "stats items\r\nstats slabs\r\n", expect: "END\r\nSTAT active_slabs\r\nSTAT total_malloced\r\nEND\r\n" },
  { name: "stats sizes while disabled", statValues: true, send: "stats sizes\r\n", expect: "STAT sizes_status disabled\r\nEND\r\n" },
  { name: "stats sizes_enable / sizes_disable (no END)", isolate: true, statValues: true, send: "stats sizes_enable\r\n" + seed("ad-z1", "0123456789") + "stats sizes\r\nstats sizes_disable\r\nstats sizes\r\n", expect: "STAT sizes_status enabled\r\nSTORED\r\nSTAT 96 1\r\nEND\r\nSTAT sizes_status disabled\r\nSTAT sizes_status disabled\r\nEND\r\n" },
  { name: "stats reset", send: "stats reset\r\nstats reset x\r\nstats reset noreply\r\n", expect: "RESET\r\nRESET\r\nRESET\r\n" },
  { name: "stats detail usage", send: "stats detail\r\nstats detail x\r\n", expect: DETAIL_USAGE.repeat(2) },
  { name: "stats detail on/dump/off", isolate: true, send: "stats detail dump\r\nstats detail on\r\n" + seed("ad:d1") + "get ad:d1 ad:d2 ad-nodelim\r\ndelete ad:d1\r\nstats detail off\r\nstats detail dump\r\n", expect: "END\r\nOK\r\nSTORED\r\nVALUE ad:d1 0 1\r\nx\r\nEND\r\nDELETED\r\nOK\r\nPREFIX ad get 2 hit 1 set 1 del 1\r\nEND\r\n" },
  { name: "stats cachedump argument errors", send: "stats cachedump\r\nstats cachedump 1\r\nstats cachedump x 1\r\nstats cachedump 1 x\r\nstats cachedump -1 1\r\nstats cachedump 64 1\r\n", expect: "CLIENT_ERROR bad command line\r\n".repeat(2) + BAD_FORMAT.repeat(3) + "CLIENT_ERROR Illegal slab id\r\n" },
  { name: "stats cachedump of an empty class", send: "stats cachedump 20 10\r\nstats cachedump 0 1\r\n", expect: "END\r\nEND\r\n" },
  // Only items already moved to the COLD LRU are listed; the LRU maintainer moves them
  // asynchronously, hence the pause.
  { name: "stats cachedump lists items", isolate: true, send: [seed("ad-c1") + seed("ad-c2"), "stats cachedump 1 10\r\nstats cachedump 1 1\r\n"], pauseMs: 1500, expect: "STORED\r\nSTORED\r\nITEM ad-c2 [1 b; 0 s]\r\nITEM ad-c1 [1 b; 0 s]\r\nEND\r\nITEM ad-c2 [1 b; 0 s]\r\nEND\r\n" },
  { name: "stats with unknown or too many arguments", send: "stats bogus\r\nstats a b c d e f\r\nstats noreply\r\nSTATS\r\n", expect: "ERROR\r\n".repeat(4) },
];

describeCorpus("text protocol: flush_all, version, verbosity, quit, shutdown, cache_memlimit, stats", cases, TEXT);
