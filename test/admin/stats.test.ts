// Every stats family against Debian's memcached 1.6.18 (reference §5), after the same known
// sequence of commands on both servers: field names in memcached's order, and the values that
// must agree (the counters, stats settings, stats sizes, stats detail dump).
//
// Values that legitimately differ and are not compared: process facts (pid, rusage, libevent,
// pointer_size, hash_bytes: wasm pointers are 32-bit), buffer accounting (response_obj_*,
// read_buf_*), timing-driven maintainer and crawler counters, and ages. Byte counts (bytes,
// mem_requested) do agree: wasmcached reports memcached's item sizes although its own items
// are 23 bytes smaller; the sequence keeps its items away from class boundaries, where a
// smaller item can land one class lower than memcached's (see the meta 250-byte key case).
import { expect } from "chai";
import type { RunningServer } from "../helpers/servers.js";
import { SocketClient } from "../helpers/socket-client.js";
import { describeCorpus, META, startPair, type Case } from "../helpers/differential.js";
import { normalisedText } from "../helpers/normal-form.js";

type Stats = [name: string, value: string][];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// The listener, the connection asking and the idle one.
const OWN_CONNS = 3;
const CONNS_SETTLE_MS = 5000;
const POLL_MS = 20;

async function command(port: number, text: string, until: string): Promise<string> {
  const c = await SocketClient.connect(port);
  try {
    c.write(text);
    return (await c.readUntil(until, 10000)).toString("latin1");
  } finally {
    c.destroy();
  }
}

async function statsOf(port: number, group = ""): Promise<Stats> {
  const text = await command(port, group ? `stats ${group}\r\n` : "stats\r\n", "END\r\n");
  const out: Stats = [];
  for (const line of text.split("\r\n")) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

const names = (s: Stats) => s.map(([n]) => n);
const valuesOf = (s: Stats, fields: readonly string[]) => {
  const m = new Map(s);
  return Object.fromEntries(fields.map((f) => [f, m.get(f)]));
};

/**
 * The known sequence: every counter moves at least once. Runs on one connection; the cas hit
 * echoes the CAS that server gave.
 */
async function runSequence(port: number): Promise<void> {
  const c = await SocketClient.connect(port);
  const step = async (text: string, until: string) => {
    c.write(text);
    return (await c.readUntil(until, 10000)).toString("latin1");
  };
  try {
    await step("set st:old 0 0 1\r\nx\r\nflush_all\r\nget st:old\r\nset st:exp 0 -1 1\r\nx\r\nget st:exp\r\n", "END\r\nSTORED\r\nEND\r\n");
    await step(
      "set st:a 0 0 1\r\n1\r\nset st:b 0 0 2\r\n10\r\nadd st:a 0 0 1\r\nx\r\nreplace st:c 0 0 1\r\nx\r\n" +
        "append st:a 0 0 1\r\n2\r\nprepend nope 0 0 1\r\nx\r\nget st:a st:b st:c\r\ncas st:a 0 0 1 999\r\nx\r\n" +
        "cas zz 0 0 1 1\r\nx\r\nincr st:b 5\r\nincr nope 1\r\ndecr st:b 100\r\ndecr nope 1\r\nincr st:a 1\r\n" +
        "touch st:a 100\r\ntouch nope 100\r\ngat 10 st:b nope\r\ndelete st:b\r\ndelete st:b\r\nmn\r\n",
      "MN\r\n",
    );
    const gets = await step("gets st:a\r\n", "END\r\n");
    const cas = /^VALUE st:a 0 2 (\d+)\r\n/.exec(gets)![1];
    await step(
      `cas st:a 0 0 2 ${cas}\r\n14\r\nmg st:a v\r\nmg nope v\r\nms st:m 1\r\nx\r\nmd st:m\r\nmd st:m\r\nma nope\r\n` +
        "ma st:cnt N0\r\nma st:cnt\r\nma st:cnt MD\r\nme st:a\r\nmg st:a T30\r\nmg nope T30\r\n" +
        `set st:k 0 0 1000\r\n${"k".repeat(1000)}\r\nset st:big 0 0 2000000\r\n${"b".repeat(2000000)}\r\nmn\r\n`,
      "MN\r\n",
    );
  } finally {
    c.destroy();
  }
}

// Counters the sequence moves by a known amount on both servers.
const GENERAL_VALUES = [
  "max_connections", "rejected_connections", "reserved_fds", "cmd_get", "cmd_set", "cmd_flush",
  "cmd_touch", "cmd_meta", "get_hits", "get_misses", "get_expired", "get_flushed", "delete_misses",
  "delete_hits", "incr_misses", "incr_hits", "decr_misses", "decr_hits", "cas_misses", "cas_hits",
  "cas_badval", "touch_hits", "touch_misses", "store_too_large", "store_no_memory", "auth_cmds",
  "auth_errors", "limit_maxbytes", "accepting_conns", "listen_disabled_num", "threads",
  "hash_power_level", "hash_is_expanding", "slab_reassign_rescues", "slab_reassign_chunk_rescues",
  "slab_reassign_evictions_nomem", "slab_reassign_inline_reclaim", "slab_reassign_busy_items",
  "slab_reassign_busy_deletes", "slab_reassign_running", "slabs_moved", "malloc_fails",
  "bytes", "curr_items", "total_items", "slab_global_page_pool", "evicted_unfetched", "evicted_active",
  "evictions", "lru_bumps_dropped",
];
const ITEM_VALUES = ["number", "mem_requested", "evicted", "evicted_nonzero", "evicted_time", "outofmemory", "tailrepairs", "evicted_unfetched", "evicted_active"];
const SLAB_VALUES = [
  "chunk_size", "chunks_per_page", "total_pages", "total_chunks", "used_chunks", "free_chunks",
  "free_chunks_end", "get_hits", "cmd_set", "delete_hits", "incr_hits", "decr_hits", "cas_hits",
  "cas_badval", "touch_hits",
];

describe("stats families after the same commands (memcached vs wasmcached)", function () {
  let pair: Awaited<ReturnType<typeof startPair>>;
  let ref: RunningServer;
  let cand: RunningServer;

  before(async function () {
    this.timeout(30000);
    pair = await startPair([]);
    ref = pair.reference;
    cand = pair.candidate;
    await Promise.all([runSequence(ref.port), runSequence(cand.port)]);
  });
  after(async function () {
    this.timeout(15000);
    await pair?.stop();
  });

  it("stats: the same names in the same order", async () => {
    const [a, b] = await Promise.all([statsOf(ref.port), statsOf(cand.port)]);
    expect(names(b)).to.deep.equal(names(a));
  });

  it("stats: counters agree after the sequence", async () => {
    const [a, b] = await Promise.all([statsOf(ref.port), statsOf(cand.port)]);
    const want = valuesOf(a, GENERAL_VALUES);
    // The sequence really moved every counter it is meant to (so the comparison can fail).
    const moved = GENERAL_VALUES.filter((f) => want[f] !== "0" && f !== "max_connections");
    expect(moved).to.include.members(["cmd_get", "cmd_set", "cmd_flush", "cmd_touch", "cmd_meta", "get_hits", "get_misses",
      "get_expired", "get_flushed", "delete_misses", "delete_hits", "incr_misses", "incr_hits", "decr_misses", "decr_hits",
      "cas_misses", "cas_hits", "cas_badval", "touch_hits", "touch_misses", "store_too_large", "curr_items", "total_items"]);
    expect(valuesOf(b, GENERAL_VALUES)).to.deep.equal(want);
  });

  it("stats: bytes_read agrees (both read the same bytes)", async () => {
    const [a, b] = await Promise.all([statsOf(ref.port), statsOf(cand.port)]);
    expect(new Map(b).get("bytes_read")).to.equal(new Map(a).get("bytes_read"));
  });

  it("stats items: the same names, and the counters agree", async () => {
    const [a, b] = await Promise.all([statsOf(ref.port, "items"), statsOf(cand.port, "items")]);
    expect(names(b)).to.deep.equal(names(a));
    const pick = (s: Stats) => s.filter(([n]) => ITEM_VALUES.includes(n.split(":")[2]));
    expect(pick(a).length).to.be.greaterThan(0);
    expect(pick(b)).to.deep.equal(pick(a));
  });

  it("stats slabs: the same names, and chunk counts and per-class counters agree", async () => {
    const [a, b] = await Promise.all([statsOf(ref.port, "slabs"), statsOf(cand.port, "slabs")]);
    expect(names(b)).to.deep.equal(names(a));
    const pick = (s: Stats) => s.filter(([n]) => SLAB_VALUES.includes(n.split(":")[1]) || n === "active_slabs" || n === "total_malloced");
    expect(pick(b)).to.deep.equal(pick(a));
  });

  it("stats settings: byte for byte (both were started with -p -1)", async () => {
    const [a, b] = await Promise.all([statsOf(ref.port, "settings"), statsOf(cand.port, "settings")]);
    expect(new Map(a).get("tcpport")).to.equal("-1");
    // `oldest` is the flush_all's time on each server's own clock, which counts from its start:
    // two servers started in different wall-clock seconds differ by one.
    const oldest = (s: Stats) => Number(new Map(s).get("oldest"));
    expect(Math.abs(oldest(b) - oldest(a)), "oldest").to.be.at.most(1);
    const rest = (s: Stats) => s.filter(([n]) => n !== "oldest");
    expect(rest(b)).to.deep.equal(rest(a));
  });

  // `stats conns` from a connection of its own: each connection's fields, by connection id.
  async function connsOf(port: number): Promise<Map<string, [string, string][]>> {
    const text = await command(port, "stats conns\r\n", "END\r\n");
    const conns = new Map<string, [string, string][]>();
    for (const m of text.matchAll(/^STAT (\d+):(\S+) (.*)\r$/gm)) {
      if (!conns.has(m[1])) conns.set(m[1], []);
      conns.get(m[1])!.push([m[2], m[3]]);
    }
    return conns;
  }

  it("stats conns: listener, this connection and an idle one, field by field", async () => {
    const shape = async (port: number) => {
      const idle = await SocketClient.connect(port);
      idle.write("version\r\n");
      await idle.readUntil("\r\n");
      // An earlier test's connection may not be closed on the server yet (either server): ask
      // again until only the listener, the asking connection and the idle one are listed.
      const deadline = Date.now() + CONNS_SETTLE_MS;
      let conns = await connsOf(port);
      while (conns.size > OWN_CONNS && Date.now() < deadline) {
        await sleep(POLL_MS);
        conns = await connsOf(port);
      }
      idle.destroy();
      // Identify each connection by role; addresses and fds differ between the servers.
      return [...conns.values()].map((fields) => {
        const f = new Map(fields);
        const listen = f.get("listen_addr");
        return {
          fields: fields.map(([n]) => n),
          state: f.get("state"),
          addr: f.get("addr")!.replace(/:\d+$/, ":<port>"),
          listensOnServer: listen === undefined ? undefined : listen === `tcp:127.0.0.1:${port}`,
          // Whole seconds of idleness: a clock tick may separate the two servers' answers.
          secs: Number(f.get("secs_since_last_cmd")) <= 1,
        };
      }).sort((x, y) => String(x.state).localeCompare(String(y.state)));
    };
    const [a, b] = await Promise.all([shape(ref.port), shape(cand.port)]);
    expect(a.map((c) => c.state)).to.deep.equal(["conn_listening", "conn_parse_cmd", "conn_read"]);
    expect(b).to.deep.equal(a);
  });

  it("stats reset: RESET, then the counters restart from zero on both", async () => {
    const after = "get st:a\r\nset st:r 0 0 1\r\nx\r\nincr st:cnt 1\r\ndelete nope\r\n";
    await Promise.all([ref, cand].map((s) => command(s.port, "stats reset\r\n" + after + "mn\r\n", "MN\r\n")));
    const [a, b] = await Promise.all([statsOf(ref.port), statsOf(cand.port)]);
    const want = valuesOf(a, GENERAL_VALUES);
    expect(want).to.include({ cmd_get: "1", cmd_set: "1", get_hits: "1", incr_hits: "1", delete_misses: "1", total_items: "1", cmd_touch: "0" });
    expect(valuesOf(b, GENERAL_VALUES)).to.deep.equal(want);
  });

  it("stats reset clears the connection and byte counters too", async () => {
    await Promise.all([ref, cand].map((s) => command(s.port, "stats reset\r\n", "RESET\r\n")));
    const [a, b] = await Promise.all([statsOf(ref.port), statsOf(cand.port)]);
    const fields = ["total_connections", "bytes_read", "conn_yields", "rejected_connections"];
    expect(valuesOf(a, fields)).to.deep.equal({ total_connections: "1", bytes_read: "7", conn_yields: "0", rejected_connections: "0" });
    expect(valuesOf(b, fields)).to.deep.equal(valuesOf(a, fields));
  });
});

describe("stats settings with every option changed (memcached vs wasmcached)", function () {
  const configurations: [string, string[]][] = [
    ["defaults", []],
    ["-m -c -f -n -I -R -C -t -b -D -A -F -X -M -B and -o tunables", [
      "-m", "128", "-c", "500", "-f", "1.5", "-n", "64", "-I", "2m", "-R", "10", "-C", "-t", "2", "-b", "512",
      "-D", "#", "-A", "-F", "-X", "-M", "-B", "ascii", "-vv", "-o",
      "hashpower=14,slab_automove=2,slab_automove_ratio=0.5,lru_crawler_sleep=50,lru_crawler_tocrawl=7," +
        "hot_lru_pct=10,warm_lru_pct=30,hot_max_factor=0.5,warm_max_factor=3,temporary_ttl=30,idle_timeout=20," +
        "track_sizes,slab_chunk_max=262144",
    ]],
    ["no_ switches", ["-W", "-o", "no_lru_maintainer,no_lru_crawler,no_hashexpand,slab_automove=0"]],
    ["-o no_slab_reassign", ["-o", "no_slab_reassign"]],
  ];
  for (const [label, args] of configurations) {
    it(label, async function () {
      this.timeout(30000);
      const pair = await startPair(args);
      try {
        const [a, b] = await Promise.all([statsOf(pair.reference.port, "settings"), statsOf(pair.candidate.port, "settings")]);
        expect(b).to.deep.equal(a);
      } finally {
        await pair.stop();
      }
    });
  }
});

// Whole replies, byte for byte (CAS values labelled, absolute times within two seconds).
const value = (n: number, c = "v") => c.repeat(n);
const sizesItems =
  `set sz-a 0 0 1\r\nx\r\nset sz-b 7 0 100\r\n${value(100)}\r\nset sz-c 0 0 1000\r\n${value(1000)}\r\n` +
  `set sz-d 0 0 5000\r\n${value(5000)}\r\nset sz-e 0 0 600000\r\n${value(600000)}\r\nset sz-a 0 0 2\r\nxy\r\n` +
  `ms sz-f 30 F5\r\n${value(30)}\r\nma sz-g N0\r\ndelete sz-b\r\nappend sz-c 0 0 10\r\n${value(10)}\r\n`;
// memcached's 32-byte buckets of its own item size (header 48, key+1, value+2, CAS 8, flags 4).
const SIZES = "STAT 64 1\r\nSTAT 96 1\r\nSTAT 128 1\r\nSTAT 1088 1\r\nSTAT 5088 1\r\nSTAT 600064 1\r\nEND\r\n";
const REPLY_CASES: Case[] = [
  { name: "stats sizes with -o track_sizes", serverArgs: ["-o", "track_sizes"], isolate: true, send: sizesItems + "stats sizes\r\n", expect: "STORED\r\n".repeat(6) + "HD\r\nHD\r\nDELETED\r\nSTORED\r\n" + SIZES },
  { name: "stats sizes with -C (no CAS field)", serverArgs: ["-C", "-o", "track_sizes"], isolate: true, send: sizesItems + "stats sizes\r\n", expect: "STORED\r\n".repeat(6) + "HD\r\nHD\r\nDELETED\r\nSTORED\r\nSTAT 64 2\r\nSTAT 96 1\r\nSTAT 1088 1\r\nSTAT 5056 1\r\nSTAT 600064 1\r\nEND\r\n" },
  { name: "stats sizes_enable counts from then on; sizes_disable (no END)", isolate: true, send: "stats sizes\r\nstats sizes_enable\r\n" + sizesItems + "stats sizes\r\nstats sizes_disable\r\nstats sizes\r\nstats sizes_enable x\r\nstats sizes_disable\r\n", expect: "STAT sizes_status disabled\r\nEND\r\nSTAT sizes_status enabled\r\n" + "STORED\r\n".repeat(6) + "HD\r\nHD\r\nDELETED\r\nSTORED\r\n" + SIZES + "STAT sizes_status disabled\r\nSTAT sizes_status disabled\r\nEND\r\nSTAT sizes_status enabled\r\nSTAT sizes_status disabled\r\n" },
  {
    name: "stats detail on/dump/off across text and meta commands",
    isolate: true,
    send: "stats detail dump\r\nstats detail on\r\nset a:1 0 0 1\r\nx\r\nset a:2 0 0 1\r\nx\r\nset b:1 0 0 1\r\nx\r\nset nodelim 0 0 1\r\nx\r\nget a:1 a:2 a:3 b:1 b:2 c:1 nodelim\r\n" +
      "delete a:1\r\ndelete zz:1\r\nincr a:2 1\r\ntouch b:1 10\r\ngat 10 c:9\r\nmg a:2 v\r\nmg q:1 v\r\nms m:1 1\r\nx\r\nmd m:1\r\nma m:2 N0\r\n" +
      "append a:2 0 0 1\r\nx\r\ncas b:1 0 0 1 1\r\nx\r\ngets b:1\r\nstats detail dump\r\nstats detail off\r\nget a:1\r\nstats detail dump\r\n",
    expect: "END\r\nOK\r\nSTORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nVALUE a:1 0 1\r\nx\r\nVALUE a:2 0 1\r\nx\r\nVALUE b:1 0 1\r\nx\r\nVALUE nodelim 0 1\r\nx\r\nEND\r\n" +
      "DELETED\r\nNOT_FOUND\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nTOUCHED\r\nEND\r\nVA 1\r\nx\r\nEN\r\nHD\r\nHD\r\nHD\r\nSTORED\r\nEXISTS\r\n" +
      "VALUE b:1 0 1 <cas1>\r\nx\r\nEND\r\n" +
      "PREFIX b get 3 hit 2 set 2 del 0\r\nPREFIX zz get 0 hit 0 set 0 del 1\r\nPREFIX c get 2 hit 0 set 0 del 0\r\nPREFIX a get 3 hit 2 set 3 del 1\r\nEND\r\nOK\r\nEND\r\n" +
      "PREFIX b get 3 hit 2 set 2 del 0\r\nPREFIX zz get 0 hit 0 set 0 del 1\r\nPREFIX c get 2 hit 0 set 0 del 0\r\nPREFIX a get 3 hit 2 set 3 del 1\r\nEND\r\n",
  },
  { name: "stats detail with -D #", serverArgs: ["-D", "#"], isolate: true, send: "set a#1 0 0 1\r\nx\r\nset a:1 0 0 1\r\nx\r\nget a#1 a:1\r\nstats detail dump\r\nstats settings\r\n", expect: /^STORED\r\nSTORED\r\nVALUE a#1 0 1\r\nx\r\nVALUE a:1 0 1\r\nx\r\nEND\r\nPREFIX a get 1 hit 1 set 1 del 0\r\nEND\r\n(STAT \S+ \S+\r\n)*STAT stat_key_prefix #\r\nSTAT detail_enabled yes\r\n/ },
  { name: "stats reset clears stats detail", isolate: true, send: "stats detail on\r\nset r:1 0 0 1\r\nx\r\nstats detail dump\r\nstats reset\r\nstats detail dump\r\n", expect: "OK\r\nSTORED\r\nPREFIX r get 0 hit 0 set 1 del 0\r\nEND\r\nRESET\r\nEND\r\n" },
  { name: "stats detail usage errors", send: "stats detail\r\nstats detail x\r\nstats detail on x\r\nstats detail off\r\n", expect: "CLIENT_ERROR usage: stats detail on|off|dump\r\n".repeat(2) + "OK\r\nOK\r\n" },
  // cachedump lists the COLD LRU newest first; the pause lets both maintainers move items there.
  {
    name: "stats cachedump: lines, limits, classes",
    isolate: true,
    pauseMs: 1200,
    send: [
      "set cd1 0 100 3\r\nabc\r\nset cd2 7 0 2\r\nab\r\nset cd3 0 -1 1\r\nx\r\nset cd4 0 0 1000\r\n" + value(1000) + "\r\n",
      "stats cachedump 1 0\r\nstats cachedump 1 1\r\nstats cachedump 12 0\r\nstats cachedump 2 0\r\nstats cachedump 0 0\r\nstats cachedump 63 0\r\nstats cachedump 64 0\r\n",
    ],
    expect: normalisedText("STORED\r\nSTORED\r\nSTORED\r\nSTORED\r\nITEM cd2 [2 b; 0 s]\r\nITEM cd1 [3 b; <t> s]\r\nEND\r\nITEM cd2 [2 b; 0 s]\r\nEND\r\nITEM cd4 [1000 b; 0 s]\r\nEND\r\nEND\r\nEND\r\nEND\r\nCLIENT_ERROR Illegal slab id\r\n"),
  },
  { name: "stats cachedump argument errors", send: "stats cachedump\r\nstats cachedump 1\r\nstats cachedump x 0\r\nstats cachedump 1 x\r\nstats cachedump -1 1\r\n", expect: "CLIENT_ERROR bad command line\r\n".repeat(2) + "CLIENT_ERROR bad command line format\r\n".repeat(3) },
  { name: "stats with unknown words", send: "stats bogus\r\nstats items x\r\nstats a b c d e f\r\n", expect: /^ERROR\r\n(END\r\n|(STAT items:\S+ \d+\r\n)+END\r\n)ERROR\r\n$/ },
];
describeCorpus("stats replies", REPLY_CASES, META);
