// The other text commands over a real socket (reference §1.4, §1.5, §5): delete, incr/decr,
// touch, flush_all, version, verbosity, quit, shutdown, cache_memlimit, stats, unknown
// commands and the HTTP guard.
import { expect } from "chai";
import { TestServer, roundTrip, serverPerSuite } from "../helpers/in-process.js";
import { SocketClient, canConnect, parseStats, stats } from "../helpers/socket-client.js";

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// A worker thread's stderr reaches this thread's a moment later: after fn, capturing goes on
// until `awaited` shows up (or a deadline passes).
const STDERR_DEADLINE_MS = 2000;
async function captureStderr(fn: () => Promise<void>, awaited: string): Promise<string> {
  const write = process.stderr.write;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
    const deadline = Date.now() + STDERR_DEADLINE_MS;
    while (!text.includes(awaited) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } finally {
    process.stderr.write = write;
  }
  return text;
}

describe("protocol: other commands", function () {
  let srv: TestServer;
  let c: SocketClient;

  serverPerSuite((x) => (c = x), {}, (s) => (srv = s));

  describe("delete", () => {
    it("DELETED, then NOT_FOUND", async () => {
      expect(await roundTrip(c, "set dl-a 0 0 1\r\nx\r\ndelete dl-a\r\ndelete dl-a\r\nget dl-a\r\n"))
        .to.equal("STORED\r\nDELETED\r\nNOT_FOUND\r\nEND\r\n");
    });

    it("accepts `0`, `noreply` and `0 noreply` after the key", async () => {
      expect(await roundTrip(c, "set dl-b 0 0 1\r\nx\r\ndelete dl-b 0\r\n")).to.equal("STORED\r\nDELETED\r\n");
      expect(await roundTrip(c, "set dl-b 0 0 1\r\nx\r\ndelete dl-b noreply\r\nget dl-b\r\n")).to.equal("STORED\r\nEND\r\n");
      expect(await roundTrip(c, "set dl-b 0 0 1\r\nx\r\ndelete dl-b 0 noreply\r\nget dl-b\r\n")).to.equal("STORED\r\nEND\r\n");
      expect(await roundTrip(c, "delete dl-b noreply\r\n")).to.equal("");
    });

    it("any other extra word is the usage error (silenced by noreply); too many words or none is ERROR", async () => {
      const usage = "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
      expect(await roundTrip(c, "set dl-c 0 0 1\r\nx\r\ndelete dl-c 1\r\ndelete dl-c 0 0\r\ndelete dl-c x noreply\r\nget dl-c\r\n"))
        .to.equal(`STORED\r\n${usage}${usage}VALUE dl-c 0 1\r\nx\r\nEND\r\n`);
      expect(await roundTrip(c, "delete\r\ndelete dl-c 0 noreply x\r\n")).to.equal("ERROR\r\nERROR\r\n");
    });

    it("a key over 250 bytes is a format error", async () => {
      expect(await roundTrip(c, `delete ${"k".repeat(251)}\r\n`)).to.equal("CLIENT_ERROR bad command line format\r\n");
    });

    it("counts delete_hits and delete_misses", async () => {
      const a = await stats(c);
      await roundTrip(c, "set dl-d 0 0 1\r\nx\r\ndelete dl-d\r\ndelete dl-d\r\n");
      const b = await stats(c);
      expect(Number(b.get("delete_hits")) - Number(a.get("delete_hits"))).to.equal(1);
      expect(Number(b.get("delete_misses")) - Number(a.get("delete_misses"))).to.equal(1);
    });
  });

  describe("incr / decr", () => {
    it("adds and subtracts, replying with the new value", async () => {
      expect(await roundTrip(c, "set ar-a 0 0 2\r\n10\r\nincr ar-a 5\r\ndecr ar-a 3\r\nget ar-a\r\n"))
        .to.equal("STORED\r\n15\r\n12\r\nVALUE ar-a 0 2\r\n12\r\nEND\r\n");
    });

    it("decr clamps at 0 and rewrites in place, padding with spaces", async () => {
      expect(await roundTrip(c, "set ar-b 0 0 3\r\n100\r\ndecr ar-b 1\r\nget ar-b\r\ndecr ar-b 1000\r\nget ar-b\r\n"))
        .to.equal("STORED\r\n99\r\nVALUE ar-b 0 3\r\n99 \r\nEND\r\n0\r\nVALUE ar-b 0 3\r\n0  \r\nEND\r\n");
    });

    it("incr wraps at 2^64 and grows the value when the digits do not fit", async () => {
      expect(await roundTrip(c, "set ar-c 0 0 20\r\n18446744073709551615\r\nincr ar-c 1\r\n")).to.equal("STORED\r\n0\r\n");
      expect(await roundTrip(c, "set ar-d 3 0 2\r\n99\r\nincr ar-d 1\r\nget ar-d\r\n"))
        .to.equal("STORED\r\n100\r\nVALUE ar-d 3 3\r\n100\r\nEND\r\n");
      expect(await roundTrip(c, "incr ar-d 18446744073709551615\r\n")).to.equal("99\r\n");
    });

    it("a new value takes a new CAS unique", async () => {
      await roundTrip(c, "set ar-e 0 0 1\r\n1\r\n");
      const a = await roundTrip(c, "gets ar-e\r\n");
      await roundTrip(c, "incr ar-e 1\r\n");
      const b = await roundTrip(c, "gets ar-e\r\n");
      expect(a.split(" ")[4]).to.not.equal(b.split(" ")[4]);
    });

    it("non-numeric values: text, negative numbers, empty values", async () => {
      const nn = "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
      expect(await roundTrip(c, "set ar-f 0 0 3\r\nabc\r\nincr ar-f 1\r\nset ar-f 0 0 2\r\n-5\r\ndecr ar-f 1\r\nset ar-f 0 0 0\r\n\r\nincr ar-f 1\r\n"))
        .to.equal(`STORED\r\n${nn}STORED\r\n${nn}STORED\r\n${nn}`);
      expect(await roundTrip(c, "set ar-f 0 0 3\r\n 12\r\nincr ar-f 1\r\n")).to.equal("STORED\r\n13\r\n");
    });

    it("a bad delta, a missing key, wrong word counts", async () => {
      const bad = "CLIENT_ERROR invalid numeric delta argument\r\n";
      expect(await roundTrip(c, "set ar-g 0 0 1\r\n1\r\nincr ar-g -1\r\nincr ar-g abc\r\ndecr ar-g 18446744073709551616\r\n"))
        .to.equal(`STORED\r\n${bad}${bad}${bad}`);
      expect(await roundTrip(c, "incr ar-nope 1\r\ndecr ar-nope 1\r\n")).to.equal("NOT_FOUND\r\nNOT_FOUND\r\n");
      expect(await roundTrip(c, "incr\r\nincr ar-g\r\ndecr ar-g 1 2 3\r\n")).to.equal("ERROR\r\nERROR\r\nERROR\r\n");
      expect(await roundTrip(c, `incr ${"k".repeat(251)} 1\r\n`)).to.equal("CLIENT_ERROR bad command line format\r\n");
    });

    it("noreply silences the value and the errors", async () => {
      expect(await roundTrip(c, "set ar-h 0 0 1\r\n5\r\nincr ar-h 1 noreply\r\nincr ar-h x noreply\r\ndecr ar-nope 1 noreply\r\nget ar-h\r\n"))
        .to.equal("STORED\r\nVALUE ar-h 0 1\r\n6\r\nEND\r\n");
    });

    it("counts incr/decr hits and misses", async () => {
      const a = await stats(c);
      await roundTrip(c, "set ar-i 0 0 1\r\n5\r\nincr ar-i 1\r\ndecr ar-i 1\r\nincr ar-nope 1\r\ndecr ar-nope 1\r\n");
      const b = await stats(c);
      for (const name of ["incr_hits", "incr_misses", "decr_hits", "decr_misses"]) {
        expect(Number(b.get(name)) - Number(a.get(name)), name).to.equal(1);
      }
    });
  });

  describe("touch", () => {
    it("TOUCHED / NOT_FOUND, and a negative exptime expires the item", async () => {
      expect(await roundTrip(c, "set tc-a 0 0 1\r\nx\r\ntouch tc-a 100\r\ntouch tc-nope 100\r\nget tc-a\r\ntouch tc-a -1\r\nget tc-a\r\n"))
        .to.equal("STORED\r\nTOUCHED\r\nNOT_FOUND\r\nVALUE tc-a 0 1\r\nx\r\nEND\r\nTOUCHED\r\nEND\r\n");
    });

    it("does not change the CAS unique", async () => {
      await roundTrip(c, "set tc-b 0 0 1\r\nx\r\n");
      const a = await roundTrip(c, "gets tc-b\r\n");
      await roundTrip(c, "touch tc-b 1000\r\n");
      expect(await roundTrip(c, "gets tc-b\r\n")).to.equal(a);
    });

    it("errors and noreply", async () => {
      expect(await roundTrip(c, "touch\r\ntouch tc-c\r\ntouch tc-c 1 2 3\r\n")).to.equal("ERROR\r\nERROR\r\nERROR\r\n");
      expect(await roundTrip(c, "touch tc-c abc\r\n")).to.equal("CLIENT_ERROR invalid exptime argument\r\n");
      expect(await roundTrip(c, "set tc-c 0 0 1\r\nx\r\ntouch tc-c 10 noreply\r\ntouch tc-nope 10 noreply\r\ntouch tc-c x noreply\r\n"))
        .to.equal("STORED\r\n");
    });

    it("counts cmd_touch, touch_hits, touch_misses", async () => {
      const a = await stats(c);
      await roundTrip(c, "set tc-d 0 0 1\r\nx\r\ntouch tc-d 10\r\ntouch tc-nope 10\r\n");
      const b = await stats(c);
      expect(Number(b.get("cmd_touch")) - Number(a.get("cmd_touch"))).to.equal(2);
      expect(Number(b.get("touch_hits")) - Number(a.get("touch_hits"))).to.equal(1);
      expect(Number(b.get("touch_misses")) - Number(a.get("touch_misses"))).to.equal(1);
    });
  });

  describe("version / verbosity / quit", () => {
    it("version ignores extra words", async () => {
      expect(await c.request("version\r\nversion 1 2 3\r\n", "VERSION 1.6.18\r\nVERSION 1.6.18\r\n"))
        .to.equal("VERSION 1.6.18\r\nVERSION 1.6.18\r\n");
    });

    it("verbosity sets the level (capped at 2) shown in stats settings; at 2 commands are traced", async () => {
      expect(await roundTrip(c, "verbosity 1\r\n")).to.equal("OK\r\n");
      expect((await stats(c, "settings")).get("verbosity")).to.equal("1");
      // Level 2 traces every command to stderr: catch it rather than print it.
      const traced = await captureStderr(async () => {
        const reply = await c.request("verbosity 7 noreply\r\nstats settings\r\nverbosity 0 noreply\r\n", "END\r\n");
        expect(parseStats(reply).get("verbosity")).to.equal("2");
        expect(await roundTrip(c, "")).to.equal("");
      }, "stats settings");
      expect(traced).to.include("stats settings");
      expect((await stats(c, "settings")).get("verbosity")).to.equal("0");
    });

    it("verbosity errors", async () => {
      expect(await roundTrip(c, "verbosity\r\nverbosity 1 2 3\r\n")).to.equal("ERROR\r\nERROR\r\n");
      expect(await roundTrip(c, "verbosity x\r\n")).to.equal("CLIENT_ERROR bad command line format\r\n");
    });

    it("quit sends the replies before it, runs nothing after it and closes", async () => {
      await c.send("set qt-a 0 0 1\r\nx\r\nquit\r\nset qt-b 0 0 1\r\ny\r\n");
      expect(await c.waitClosed()).to.equal("STORED\r\n");
      const d = await srv.connect();
      expect(await roundTrip(d, "get qt-a qt-b\r\n")).to.equal("VALUE qt-a 0 1\r\nx\r\nEND\r\n");
    });

    it("quit with extra words still quits", async () => {
      await c.send("quit now please\r\n");
      expect(await c.waitClosed()).to.equal("");
    });
  });

  describe("cache_memlimit", () => {
    it("replies for every range and changes limit_maxbytes", async () => {
      expect(await roundTrip(c, "cache_memlimit 7\r\n")).to.equal("MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n");
      expect(await roundTrip(c, "cache_memlimit 1000000001\r\n"))
        .to.equal("MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n");
      expect(await roundTrip(c, "cache_memlimit abc\r\ncache_memlimit -5\r\ncache_memlimit\r\ncache_memlimit 1 2 3\r\n"))
        .to.equal("ERROR\r\nERROR\r\nERROR\r\nERROR\r\n");
      expect(await roundTrip(c, "cache_memlimit 100\r\n")).to.equal("OK\r\n");
      expect((await stats(c)).get("limit_maxbytes")).to.equal(String(100 * MB));
      expect(await roundTrip(c, "cache_memlimit 64 noreply\r\ncache_memlimit 2 noreply\r\n")).to.equal("");
      expect((await stats(c)).get("limit_maxbytes")).to.equal(String(64 * MB));
    });
  });

  describe("stats", () => {
    it("general stats: process facts and counters", async () => {
      const s = await stats(c);
      expect(s.get("pid")).to.equal(String(process.pid));
      expect(s.get("version")).to.equal("1.6.18");
      expect(s.get("max_connections")).to.equal("1024");
      expect(Number(s.get("curr_connections"))).to.be.greaterThan(0);
      expect(Number(s.get("uptime"))).to.be.at.least(0);
      expect(Math.abs(Number(s.get("time")) - Date.now() / 1000)).to.be.lessThan(3);
      expect(s.get("limit_maxbytes")).to.not.equal(undefined);
      const before = Number(s.get("cmd_get"));
      const hits = Number(s.get("get_hits"));
      await roundTrip(c, "set stt-a 0 0 1\r\nx\r\nget stt-a stt-nope\r\n");
      const after = await stats(c);
      expect(Number(after.get("cmd_get"))).to.equal(before + 2);
      expect(Number(after.get("get_hits"))).to.equal(hits + 1);
    });

    it("bytes_read and bytes_written follow the traffic", async () => {
      const a = await stats(c);
      const input = "set stt-b 0 0 10\r\n0123456789\r\n";
      expect(await roundTrip(c, input)).to.equal("STORED\r\n");
      const b = await stats(c);
      // Between the two stats replies: the set, `version`, and the second `stats` line.
      expect(Number(b.get("bytes_read")) - Number(a.get("bytes_read"))).to.equal(input.length + "version\r\n".length + "stats\r\n".length);
      expect(Number(b.get("bytes_written")) - Number(a.get("bytes_written"))).to.be.at.least("STORED\r\nVERSION 1.6.18\r\n".length);
    });

    it("stats settings shows the defaults", async () => {
      const s = await stats(c, "settings");
      expect(s.get("maxbytes")).to.equal(String(64 * MB));
      expect(s.get("maxconns")).to.equal("1024");
      // The port as configured: the in-process server asked for an ephemeral one.
      expect(s.get("tcpport")).to.equal("-1");
      expect(s.get("item_size_max")).to.equal(String(MB));
      expect(s.get("evictions")).to.equal("on");
      expect(s.get("cas_enabled")).to.equal("yes");
      expect(s.get("reqs_per_event")).to.equal("20");
      expect(s.get("shutdown_command")).to.equal("no");
      expect(s.get("flush_enabled")).to.equal("yes");
      expect(s.get("idle_timeout")).to.equal("0");
    });

    it("stats items and stats slabs describe the stored items", async () => {
      await roundTrip(c, `set sti-a 0 0 3000\r\n${"a".repeat(3000)}\r\n`);
      const items = await stats(c, "items");
      const numbers = [...items].filter(([k]) => /^items:\d+:number$/.test(k));
      expect(numbers.length).to.be.greaterThan(0);
      expect(numbers.reduce((n, [, v]) => n + Number(v), 0)).to.equal(Number((await stats(c)).get("curr_items")));
      const slabs = await stats(c, "slabs");
      expect(Number(slabs.get("active_slabs"))).to.be.greaterThan(0);
      expect(Number(slabs.get("total_malloced"))).to.be.greaterThan(0);
      const cls = [...slabs.keys()].filter((k) => /^\d+:chunk_size$/.test(k));
      expect(cls.length).to.equal(Number(slabs.get("active_slabs")));
      expect(cls.some((k) => Number(slabs.get(k)) >= 3000)).to.equal(true);
    });

    it("an unknown stats group is ERROR", async () => {
      expect(await roundTrip(c, "stats nonsense\r\n")).to.equal("ERROR\r\n");
    });

    it("stats reset zeroes the counters but keeps the item counts", async () => {
      await roundTrip(c, "set str-a 0 0 1\r\nx\r\nget str-a\r\nget str-nope\r\nincr str-nope 1\r\n");
      const items = (await stats(c)).get("curr_items");
      expect(await roundTrip(c, "stats reset\r\n")).to.equal("RESET\r\n");
      const s = await stats(c);
      for (const name of ["cmd_get", "cmd_set", "get_hits", "get_misses", "incr_misses", "total_items"]) {
        expect(s.get(name), name).to.equal("0");
      }
      expect(s.get("curr_items")).to.equal(items);
      expect(Number(s.get("curr_connections"))).to.be.greaterThan(0);
    });

    // memcached's stats_reset() also clears the per-thread and global connection counters.
    // Pending: assembly/counters/counters.ts statsReset() does not clear the host's HOSTSTATS slots.
    it("stats reset zeroes total_connections, bytes_read and bytes_written too", async () => {
      await roundTrip(c, "stats reset\r\n");
      const s = await stats(c);
      expect(s.get("total_connections")).to.equal("0");
      expect(Number(s.get("bytes_read"))).to.be.lessThan(40);
      expect(Number(s.get("bytes_written"))).to.be.lessThan(40);
    });
  });

  describe("unknown commands and the HTTP guard", () => {
    it("unknown, upper-case, one-character and empty commands are ERROR", async () => {
      expect(await roundTrip(c, "bogus\r\nGET x\r\nSet x 0 0 1\r\ng\r\n\r\n   \r\nge x\r\ngett x\r\n"))
        .to.equal("ERROR\r\n".repeat(8));
    });

    it("an HTTP request line closes the connection without a word", async () => {
      await c.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
      expect(await c.waitClosed()).to.equal("");
    });

    it("the guard drops replies queued in the same batch", async () => {
      await c.send("version\r\nPOST /x HTTP/1.0\r\nversion\r\n");
      expect(await c.waitClosed()).to.equal("");
    });

    it("HTTP/ not as the last word is an ordinary ERROR", async () => {
      expect(await roundTrip(c, "foo HTTP/1.1 bar\r\nfoo http/1.1\r\n")).to.equal("ERROR\r\nERROR\r\n");
    });
  });
});

describe("protocol: flush_all", function () {
  let c: SocketClient;

  serverPerSuite((x) => (c = x));

  it("flushes at once, and later stores are kept", async () => {
    expect(await roundTrip(c, "set fl-a 0 0 1\r\na\r\nflush_all\r\nget fl-a\r\nset fl-b 0 0 1\r\nb\r\nget fl-b\r\n"))
      .to.equal("STORED\r\nOK\r\nEND\r\nSTORED\r\nVALUE fl-b 0 1\r\nb\r\nEND\r\n");
  });

  it("flush_all 0 and a negative delay are immediate", async () => {
    expect(await roundTrip(c, "set fl-c 0 0 1\r\nc\r\nflush_all 0\r\nget fl-c\r\nset fl-c 0 0 1\r\nc\r\nflush_all -1\r\nget fl-c\r\n"))
      .to.equal("STORED\r\nOK\r\nEND\r\nSTORED\r\nOK\r\nEND\r\n");
  });

  it("noreply flushes silently", async () => {
    expect(await roundTrip(c, "set fl-d 0 0 1\r\nd\r\nflush_all noreply\r\nget fl-d\r\n")).to.equal("STORED\r\nEND\r\n");
  });

  it("a delay keeps items until the deadline", async () => {
    expect(await roundTrip(c, "set fl-e 0 0 1\r\ne\r\nflush_all 2 noreply\r\nget fl-e\r\n"))
      .to.equal("STORED\r\nVALUE fl-e 0 1\r\ne\r\nEND\r\n");
    const start = Date.now();
    let reply = "";
    while (Date.now() - start < 4000) {
      reply = await roundTrip(c, "get fl-e\r\n");
      if (reply === "END\r\n") break;
      await sleep(100);
    }
    expect(reply, "still there 4 s after flush_all 2").to.equal("END\r\n");
  });

  it("bad arguments", async () => {
    expect(await roundTrip(c, "flush_all abc\r\n")).to.equal("CLIENT_ERROR invalid exptime argument\r\n");
    expect(await roundTrip(c, "flush_all 1 2 3\r\n")).to.equal("ERROR\r\n");
  });

  it("counts cmd_flush", async () => {
    const a = Number((await stats(c)).get("cmd_flush"));
    await roundTrip(c, "flush_all\r\nflush_all noreply\r\n");
    expect(Number((await stats(c)).get("cmd_flush"))).to.equal(a + 2);
  });

  it("-F refuses flush_all but still counts it", async () => {
    const noFlush = await TestServer.start({ flushEnabled: false });
    try {
      const d = await noFlush.connect();
      expect(await roundTrip(d, "set fl-f 0 0 1\r\nf\r\nflush_all\r\nflush_all noreply\r\nget fl-f\r\n"))
        .to.equal("STORED\r\nCLIENT_ERROR flush_all not allowed\r\nVALUE fl-f 0 1\r\nf\r\nEND\r\n");
      expect((await stats(d)).get("cmd_flush")).to.equal("2");
      expect((await stats(d, "settings")).get("flush_enabled")).to.equal("no");
    } finally {
      await noFlush.close();
    }
  });
});

describe("protocol: shutdown", function () {
  it("is refused without -A", async () => {
    const srv = await TestServer.start();
    try {
      const c = await srv.connect();
      expect(await roundTrip(c, "shutdown\r\nshutdown graceful\r\nshutdown now\r\n"))
        .to.equal("ERROR: shutdown not enabled\r\n".repeat(3));
    } finally {
      await srv.close();
    }
  });

  for (const line of ["shutdown", "shutdown graceful"]) {
    it(`with -A, \`${line}\` closes the connection silently and asks the host to stop`, async () => {
      let asked = 0;
      const srv = await TestServer.start({ shutdownCommand: true }, () => asked++);
      try {
        const c = await srv.connect();
        expect(await roundTrip(c, "shutdown nonsense\r\n")).to.equal("CLIENT_ERROR invalid shutdown mode\r\n");
        expect(asked).to.equal(0);
        await c.send(`version\r\n${line}\r\nversion\r\n`);
        expect(await c.waitClosed()).to.equal("");
        expect(asked).to.equal(1);
      } finally {
        await srv.close();
      }
    });
  }

  it("with -A and the default handler the server stops listening and drops its clients", async () => {
    const srv = await TestServer.start({ shutdownCommand: true });
    try {
      const other = await srv.connect();
      const c = await srv.connect();
      await c.send("shutdown\r\n");
      await c.waitClosed();
      await other.waitClosed();
      expect(await canConnect(srv.port), "still accepting after shutdown").to.equal(false);
    } finally {
      await srv.close();
    }
  });
});
