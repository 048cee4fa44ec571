// The operator commands against Debian's memcached 1.6.18 (reference §1.5): lru_crawler, lru,
// slabs reassign/automove, verbosity, cache_memlimit and watch errors, each reply byte for byte.
import { describeCorpus, META, type Case } from "../helpers/differential.js";
import { normalisedText } from "../helpers/normal-form.js";

const BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";
const BADCLASS_CRAWL = "BADCLASS invalid class id\r\n";
const CRAWLER_OFF = "CLIENT_ERROR lru crawler disabled\r\n";
const CANNOT_START = "ERROR failed to start lru crawler thread\r\n";
const NOSPARE = "NOSPARE source class has no spare pages\r\n";
const BADCLASS_SLABS = "BADCLASS invalid src or dst class id\r\n";
const SAME = "SAME src and dst class are identical\r\n";
const PCTS = "ERROR hot and warm pcts must not exceed 80\r\n";
const FACTORS = "ERROR hot/warm age factors must be greater than 0\r\n";
const set = (key: string, value = "x", exptime = 0) => `set ${key} 0 ${exptime} ${value.length}\r\n${value}\r\n`;
/** Enough 1-byte items for three pages of class 1 (10922 chunks a page) in both servers. */
const fillClass1 = (prefix: string) => {
  let s = "";
  for (let i = 0; i < 25000; i++) s += `set ${prefix}${i} 0 0 1 noreply\r\nx\r\n`;
  return s;
};

const crawler: Case[] = [
  { name: "lru_crawler word counts", send: "lru_crawler\r\nlru_crawler crawl\r\nlru_crawler bogus\r\nlru_crawler enable x\r\nlru_crawler noreply\r\nlru_crawler crawl all noreply\r\nlru_crawler metadump all x\r\nlru_crawler tocrawl\r\nlru_crawler tocrawl 1 2\r\n", expect: "ERROR\r\n".repeat(9) },
  // Spaced out: a crawl still running answers BUSY, and memcached's thread is the faster one.
  { name: "lru_crawler crawl: class lists and all", isolate: true, pauseMs: 400, send: ["lru_crawler crawl 1,2,3\r\n", "lru_crawler crawl all\r\n", "lru_crawler crawl 1,,2\r\n"], expect: "OK\r\nOK\r\nOK\r\n" },
  { name: "lru_crawler crawl: bad class ids", send: "lru_crawler crawl 0\r\nlru_crawler crawl 64\r\nlru_crawler crawl x\r\nlru_crawler crawl 1,x\r\nlru_crawler crawl -1\r\nlru_crawler crawl ALL\r\n", expect: BADCLASS_CRAWL.repeat(6) },
  { name: "lru_crawler tocrawl", send: "lru_crawler tocrawl 10\r\nlru_crawler tocrawl x\r\nlru_crawler tocrawl -1\r\nlru_crawler tocrawl 0\r\n", expect: "OK\r\n" + BAD_FORMAT.repeat(2) + "OK\r\n" },
  { name: "lru_crawler sleep", send: "lru_crawler sleep 1000000\r\nlru_crawler sleep 1000001\r\nlru_crawler sleep x\r\nlru_crawler sleep -1\r\nlru_crawler sleep 100\r\n", expect: "OK\r\nCLIENT_ERROR sleep must be one second or less\r\n" + BAD_FORMAT.repeat(2) + "OK\r\n" },
  // Spaced out: memcached's crawler thread takes a moment to start and stop.
  { name: "lru_crawler enable twice fails, disable twice does not", isolate: true, pauseMs: 150, send: ["lru_crawler enable\r\n", "lru_crawler disable\r\n", "lru_crawler disable\r\n", "lru_crawler crawl all\r\n", "lru_crawler metadump all\r\n", "lru_crawler enable\r\n", "lru_crawler enable\r\n"], expect: CANNOT_START + "OK\r\nOK\r\n" + CRAWLER_OFF + CRAWLER_OFF + "OK\r\n" + CANNOT_START },
  { name: "-o no_lru_crawler", serverArgs: ["-o", "no_lru_crawler"], send: "lru_crawler crawl all\r\nlru_crawler metadump all\r\nlru_crawler metadump 0\r\nlru_crawler sleep 10\r\nlru_crawler tocrawl 5\r\nlru_crawler enable\r\nlru_crawler enable\r\nlru_crawler disable\r\n", expect: CRAWLER_OFF.repeat(3) + "OK\r\nOK\r\nOK\r\n" + CANNOT_START + "OK\r\n" },
  // One at a time: after any reply is queued, a metadump is refused as pipelined.
  { name: "metadump: argument errors", pauseMs: 50, send: ["lru_crawler metadump\r\n", "lru_crawler metadump 0\r\n", "lru_crawler metadump x\r\n", "lru_crawler metadump 64\r\n"], expect: "ERROR\r\n" + BADCLASS_CRAWL.repeat(3) },
  { name: "metadump: nothing may be pipelined before it", send: "version\r\nlru_crawler metadump all\r\n", expect: "VERSION <version>\r\nERROR cannot pipeline other commands before metadump\r\n" },
  { name: "metadump: -X refuses it (before the pipelining check)", serverArgs: ["-X"], send: "lru_crawler metadump all\r\nversion\r\nlru_crawler metadump all\r\nstats cachedump 1 1\r\n", expect: "ERROR metadump not allowed\r\nVERSION <version>\r\nERROR metadump not allowed\r\nCLIENT_ERROR stats cachedump not allowed\r\n" },
  { name: "metadump of an empty cache", send: "lru_crawler metadump all\r\n", expect: "END\r\n" },
  // The items reach COLD through the LRU maintainers first, so both servers list them in the
  // same order (COLD from its tail).
  {
    name: "metadump lines: encoding, exp, la, cas, fetch, cls, size; per class",
    isolate: true,
    pauseMs: [1200, 100, 100, 100],
    send: [
      set("md1") + set("md2", "x", 100) + `set md3 5 0 300\r\n${"y".repeat(300)}\r\n` + set("md%20") + set("md/x") + "get md1\r\n" + set("expired", "x", -1),
      "lru_crawler metadump all\r\n", "lru_crawler metadump 1\r\n", "lru_crawler metadump 7\r\n", "lru_crawler metadump 2,3\r\n",
    ],
    expect: normalisedText("STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nVALUE md1 0 1\r\nx\r\nEND\r\nSTORED\r\n" +
      "key=md1 exp=-1 la=<t> cas=<cas1> fetch=yes cls=1 size=63\nkey=md3 exp=-1 la=<t> cas=<cas2> fetch=no cls=7 size=366\nkey=md2 exp=<t> la=<t> cas=<cas3> fetch=no cls=1 size=63\nkey=md%2520 exp=-1 la=<t> cas=<cas4> fetch=no cls=1 size=65\nkey=md%2Fx exp=-1 la=<t> cas=<cas5> fetch=no cls=1 size=64\nEND\r\n" +
      "key=md1 exp=-1 la=<t> cas=<cas1> fetch=yes cls=1 size=63\nkey=md2 exp=<t> la=<t> cas=<cas3> fetch=no cls=1 size=63\nkey=md%2520 exp=-1 la=<t> cas=<cas4> fetch=no cls=1 size=65\nkey=md%2Fx exp=-1 la=<t> cas=<cas5> fetch=no cls=1 size=64\nEND\r\n" +
      "key=md3 exp=-1 la=<t> cas=<cas2> fetch=no cls=7 size=366\nEND\r\n" +
      "END\r\n"),
  },
];

const lru: Case[] = [
  { name: "lru tune and its errors", instance: "settings", send: "lru\r\nlru tune\r\nlru tune 10 10 0.1 2\r\nlru tune 50 40 0.1 2\r\nlru tune 40 40 0.1 2\r\nlru tune 10 10 0 2\r\nlru tune 10 10 0.1 0\r\nlru tune 10 10 -1 2\r\nlru tune x 10 0.1 2\r\nlru tune 10 10 x 2\r\nlru tune 10 10 0.1\r\nlru tune 20 40 0.20 2.00\r\n", expect: "ERROR\r\nERROR\r\nOK\r\n" + PCTS + "OK\r\n" + FACTORS.repeat(3) + "ERROR\r\nERROR\r\nERROR\r\nOK\r\n" },
  { name: "lru tune noreply, and extra words", instance: "settings", send: "lru tune 10 10 0.1 2 noreply\r\nlru tune 50 50 0.1 2 noreply\r\nlru tune 20 40 0.2 2 x\r\n", expect: "OK\r\n" },
  { name: "lru tune shows in stats settings", instance: "settings", send: "lru tune 15 35 0.5 3.25\r\nstats settings\r\n", expect: /^OK\r\n(STAT \S+ \S+\r\n)*STAT hot_lru_pct 15\r\nSTAT warm_lru_pct 35\r\nSTAT hot_max_factor 0.50\r\nSTAT warm_max_factor 3.25\r\n/ },
  { name: "lru mode", instance: "settings", send: "lru mode flat\r\nlru mode segmented\r\nlru mode x\r\nlru mode\r\nlru mode flat noreply\r\nlru mode segmented noreply\r\nlru mode segmented\r\n", expect: "OK\r\nOK\r\nERROR\r\nERROR\r\nOK\r\n" },
  { name: "lru temp_ttl", instance: "settings", send: "lru temp_ttl 10\r\nlru temp_ttl -1\r\nlru temp_ttl x\r\nlru temp_ttl\r\nlru temp_ttl 61 noreply\r\nlru bogus\r\nlru bogus x\r\n", expect: "OK\r\nOK\r\nERROR\r\nERROR\r\nERROR\r\nERROR\r\n" },
  { name: "lru temp_ttl turns the TEMP LRU on and off in stats settings", instance: "settings", send: "lru temp_ttl 30\r\nstats settings\r\nlru temp_ttl -1\r\nstats settings\r\n", expect: /^OK\r\n(STAT \S+ \S+\r\n)*STAT temp_lru yes\r\nSTAT temporary_ttl 30\r\n(STAT \S+ \S+\r\n)*END\r\nOK\r\n(STAT \S+ \S+\r\n)*STAT temp_lru no\r\nSTAT temporary_ttl 30\r\n/ },
  { name: "-o no_lru_maintainer: lru mode and temp_ttl refused, tune allowed", serverArgs: ["-o", "no_lru_maintainer"], send: "lru mode flat\r\nlru mode segmented\r\nlru temp_ttl 10\r\nlru tune 10 10 0.1 2\r\n", expect: "ERROR\r\nERROR\r\nERROR\r\nOK\r\n" },
];

const slabs: Case[] = [
  { name: "slabs reassign: word counts and number errors", send: "slabs\r\nslabs reassign\r\nslabs reassign 1\r\nslabs reassign 1 2 3\r\nslabs reassign x 1\r\nslabs reassign 1 x\r\nslabs reassign 1.5 2\r\nslabs bogus\r\nslabs bogus 1\r\n", expect: "ERROR\r\nERROR\r\nERROR\r\nERROR\r\n" + BAD_FORMAT.repeat(3) + "ERROR\r\nERROR\r\n" },
  // -1 with no class to spare a page is BADCLASS (memcached's pick_any finds no source).
  { name: "slabs reassign: SAME, BADCLASS, NOSPARE", isolate: true, send: set("sr-a") + "slabs reassign 1 1\r\nslabs reassign -1 -1\r\nslabs reassign 64 1\r\nslabs reassign 1 64\r\nslabs reassign 40 1\r\nslabs reassign -2 1\r\nslabs reassign 1 -1\r\nslabs reassign 39 1\r\nslabs reassign 1 2\r\nslabs reassign 0 1\r\nslabs reassign 1 0\r\nslabs reassign -1 5\r\n", expect: "STORED\r\n" + SAME.repeat(2) + BADCLASS_SLABS.repeat(5) + NOSPARE.repeat(4) + BADCLASS_SLABS },
  // memcached moves the page on a background thread (a second request meanwhile is BUSY);
  // wasmcached moves it within the command. Spaced out, both answer the same.
  {
    name: "slabs reassign: OK while the class has spare pages, then NOSPARE",
    isolate: true,
    pauseMs: 200,
    send: [fillClass1("sr-b") + "version\r\n", "slabs reassign 1 2\r\n", "slabs reassign 1 2\r\n", "slabs reassign 1 0\r\n", "slabs reassign -1 5\r\n", "slabs reassign 2 5\r\n"],
    expect: "VERSION <version>\r\nOK\r\nOK\r\n" + NOSPARE + "OK\r\n" + NOSPARE,
  },
  { name: "slabs reassign -1 picks a class with spare pages", isolate: true, pauseMs: 200, send: [fillClass1("sr-c") + "version\r\n", "slabs reassign -1 5\r\n", "stats slabs\r\n"], expect: /^VERSION \S+\r\nOK\r\nSTAT 1:chunk_size 96\r\n(STAT 1:\S+ \d+\r\n)*STAT 5:chunk_size 240\r\nSTAT 5:chunks_per_page 4369\r\nSTAT 5:total_pages 1\r\n/ },
  { name: "-o no_slab_reassign: slabs reassign refused, automove still answers", serverArgs: ["-o", "no_slab_reassign"], send: "slabs reassign 1 2\r\nslabs reassign x y\r\nslabs reassign 1 1\r\nslabs automove 1\r\nslabs automove 3\r\n", expect: "CLIENT_ERROR slab reassignment disabled\r\n".repeat(3) + "OK\r\nERROR\r\n" },
  { name: "slabs automove", send: "slabs automove 0\r\nslabs automove 1\r\nslabs automove 2\r\nslabs automove 3\r\nslabs automove x\r\nslabs automove -1\r\nslabs automove\r\nslabs automove ratio 0.5\r\nslabs automove ratio x\r\nslabs automove ratio\r\nslabs automove ratio 2\r\nslabs automove 1 noreply\r\nslabs automove 5 noreply\r\nslabs automove x noreply\r\nslabs automove ratio 0.8 noreply\r\nslabs automove 1 x\r\n", expect: "OK\r\nOK\r\nOK\r\nERROR\r\n" + BAD_FORMAT.repeat(2) + "ERROR\r\nOK\r\nERROR\r\nERROR\r\nOK\r\nOK\r\n" },
  { name: "slabs automove shows in stats settings", instance: "settings", send: "slabs automove 2\r\nslabs automove ratio 0.25\r\nstats settings\r\n", expect: /^OK\r\nOK\r\n(STAT \S+ \S+\r\n)*STAT slab_automove 2\r\nSTAT slab_automove_ratio 0.25\r\n/ },
];

const misc: Case[] = [
  { name: "verbosity: levels, errors, noreply, word counts", instance: "settings", send: "verbosity\r\nverbosity 1 2 3\r\nverbosity x\r\nverbosity -1\r\nverbosity 1\r\nverbosity 0 noreply\r\nverbosity x noreply\r\nverbosity 1 x\r\nstats settings\r\nverbosity 0\r\n", expect: /^ERROR\r\nERROR\r\nCLIENT_ERROR bad command line format\r\nCLIENT_ERROR bad command line format\r\nOK\r\nOK\r\n(STAT \S+ \S+\r\n)*STAT verbosity 1\r\n(STAT \S+ \S+\r\n)*END\r\nOK\r\n$/ },
  { name: "cache_memlimit: every reply", instance: "memlimit", send: "cache_memlimit 8\r\ncache_memlimit 1000000000\r\ncache_memlimit 7\r\ncache_memlimit 0\r\ncache_memlimit 4294967296\r\ncache_memlimit 1000000001\r\ncache_memlimit x\r\ncache_memlimit -1\r\ncache_memlimit 1.5\r\ncache_memlimit\r\ncache_memlimit 64 x y\r\ncache_memlimit 8 noreply\r\ncache_memlimit 7 noreply\r\ncache_memlimit 96 x\r\nstats settings\r\n", expect: /^OK\r\nOK\r\n(MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n){3}MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n(ERROR\r\n){5}OK\r\nSTAT maxbytes 100663296\r\n/ },
  { name: "cache_memlimit below what is in use", instance: "memlimit", send: Array.from({ length: 60 }, (_, i) => `set ml${i} 0 0 200000 noreply\r\n${"z".repeat(200000)}\r\n`).join("") + "cache_memlimit 8\r\nget ml59\r\ncache_memlimit 64\r\n", expect: /^OK\r\n(VALUE ml59 0 200000\r\n<200000 bytes, sha1 \w+>\r\n)?END\r\nOK\r\n$/ },
  { name: "watch: unknown words and case", pauseMs: 50, send: ["watch bogus\r\n", "watch FETCHERS\r\n", "watch fetchers bogus\r\n", "watch sysevents rawcmds proxyreqs proxyevents proxyuser deletions\r\n"], expect: "ERROR\r\n".repeat(4) },
  { name: "watch: after an error reply, the next watch is refused as pipelined", send: "watch bogus\r\nwatch\r\n", expect: "ERROR\r\nERROR cannot pipeline other commands before watch\r\n" },
  { name: "watch: nothing may be pipelined before it", send: "version\r\nwatch\r\n", expect: "VERSION <version>\r\nERROR cannot pipeline other commands before watch\r\n" },
  { name: "watch: an unknown word is still an error after a pipelined command", send: "version\r\nwatch bogus\r\n", expect: "VERSION <version>\r\nERROR cannot pipeline other commands before watch\r\n" },
  { name: "watch: every memcached word is accepted", send: "watch fetchers mutations evictions connevents sysevents rawcmds proxyreqs proxyevents proxyuser\r\n", expect: "OK\r\n" },
  { name: "watch noreply still watches, silently", send: "watch fetchers noreply\r\n", expect: "" },
  { name: "watch: its own input is ignored afterwards", send: ["watch mutations\r\n", "version\r\n"], pauseMs: 50, expect: "OK\r\n" },
  { name: "-W: watch not allowed", serverArgs: ["-W"], send: "watch\r\nwatch bogus\r\nversion\r\nwatch\r\n", expect: "CLIENT_ERROR watch commands not allowed\r\n".repeat(2) + "VERSION <version>\r\nCLIENT_ERROR watch commands not allowed\r\n" },
];

describeCorpus("admin commands", [...crawler, ...lru, ...slabs, ...misc], META);
