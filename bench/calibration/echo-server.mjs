// The do-nothing Node server (the suite's `node-floor` target, bench/servers.ts): the least a
// Node server can do per request (no storage, no parsing beyond line ends, static replies of the
// same size as a 100-byte hit), through node:net's ordinary 'data' events and write(). It tells
// how much of wasmcached's cost per request is node:net itself. Single-key text requests, one
// at a time or pipelined: the replies to one read go out in one write, as wasmcached's do.
import net from "node:net";
import { Lines } from "./floor-lines.mjs";
const END = Buffer.from("VALUE key:000000001234 0 100\r\n" + "v".repeat(100) + "\r\nEND\r\n"), STORED = Buffer.from("STORED\r\n");
net.createServer({ noDelay: true }, (s) => {
  const lines = new Lines(END, STORED);
  s.on("data", (d) => {
    const out = lines.replies(d);
    if (out.length) s.write(out.length === 1 ? out[0] : Buffer.concat(out));
  });
  s.on("error", () => {});
}).listen(Number(process.argv[2] ?? 22130), "127.0.0.1");
