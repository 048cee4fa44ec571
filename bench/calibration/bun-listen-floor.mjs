// The do-nothing server on Bun's own sockets (Bun.listen, as host/bun/listen.ts serves), the
// suite's `bun-listen-floor` target: the least Bun can do per request, beside `bun-floor` (the
// same replies through Bun's node:net). Single-key text requests only, one at a time.
const END = Buffer.from("VALUE key:000000001234 0 100\r\n" + "v".repeat(100) + "\r\nEND\r\n");
const STORED = Buffer.from("STORED\r\n");
Bun.listen({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 22130),
  socket: {
    open(s) { s.setNoDelay?.(true); s.data = { skip: false }; },
    data(s, d) {
      let i = 0;
      while (i < d.length) {
        const nl = d.indexOf(10, i);
        if (nl < 0) break;
        if (s.data.skip) { s.data.skip = false; s.write(STORED); }
        else if (d[i] === 0x73) s.data.skip = true; // set: the data line follows
        else s.write(END);
        i = nl + 1;
      }
    },
    error() {},
  },
});
