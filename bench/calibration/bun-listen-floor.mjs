// The do-nothing server on Bun's own sockets (Bun.listen, as host/bun/listen.ts serves), the
// suite's `bun-listen-floor` target: the least Bun can do per request, beside `bun-floor` (the
// same replies through Bun's node:net). Single-key text requests, one at a time or pipelined:
// the replies to one read go out in one write, as wasmcached's do.
import { Lines } from "./floor-lines.mjs";
const END = Buffer.from("VALUE key:000000001234 0 100\r\n" + "v".repeat(100) + "\r\nEND\r\n");
const STORED = Buffer.from("STORED\r\n");
Bun.listen({
  hostname: "127.0.0.1",
  port: Number(process.argv[2] ?? 22130),
  socket: {
    open(s) { s.setNoDelay?.(true); s.data = new Lines(END, STORED); },
    data(s, d) {
      const out = s.data.replies(d);
      if (out.length) s.write(out.length === 1 ? out[0] : Buffer.concat(out));
    },
    error() {},
  },
});
