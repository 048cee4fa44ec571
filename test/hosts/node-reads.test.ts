// host/node/reads.ts switches accepted sockets to net.Socket's `onread` through node:net's own
// fields: these tests fail if a Node version moves them (the server would then fall back to
// 'data' events, correct but slower), or if pausing and EOF stop working on such a socket.
import { expect } from "chai";
import net from "node:net";
import { once } from "node:events";
import { readInPlace } from "../../host/node/reads.js";

interface Accepted {
  server: net.Server;
  client: net.Socket;
  socket: net.Socket;
}

async function accepted(): Promise<Accepted> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const got = once(server, "connection");
  const client = net.connect(port, "127.0.0.1");
  const [socket] = await got as [net.Socket];
  return { server, client, socket };
}

function close(a: Accepted): void {
  a.client.destroy();
  a.socket.destroy();
  a.server.close();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UNTIL_LIMIT_MS = 10_000;

// However slow the machine: polls until `done`, failing only after UNTIL_LIMIT_MS.
async function until(done: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + UNTIL_LIMIT_MS;
  while (!done()) {
    if (Date.now() > limit) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe("host/node/reads: accepted sockets read into one receive buffer", () => {
  it("is switched on, and hands over the bytes in the same buffer every time", async () => {
    const a = await accepted();
    try {
      const buffers = new Set<Uint8Array>();
      let text = "";
      expect(readInPlace(a.socket, (n, bytes) => {
        buffers.add(bytes);
        text += Buffer.from(bytes.subarray(0, n)).toString();
      })).to.equal(true);
      // Two reads: the second write goes out only after the first one was read.
      a.client.write("get a\r\n");
      await until(() => text.length === 7, "the first read");
      a.client.write("get b\r\n");
      await until(() => text.length === 14, "the second read");
      expect(text).to.equal("get a\r\nget b\r\n");
      expect(buffers.size).to.equal(1);
    } finally {
      close(a);
    }
  });

  it("pause() stops the reads until resume(), and EOF still ends the socket", async () => {
    const a = await accepted();
    try {
      let text = "";
      readInPlace(a.socket, (n, bytes) => { text += Buffer.from(bytes.subarray(0, n)).toString(); });
      a.socket.pause();
      a.client.write("held back");
      a.client.end();
      await sleep(100);
      expect(text).to.equal("");
      const ended = once(a.socket, "end");
      a.socket.resume();
      await ended;
      expect(text).to.equal("held back");
    } finally {
      close(a);
    }
  });
});
