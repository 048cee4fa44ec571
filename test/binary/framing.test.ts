// Binary framing through the connection driver: a large value arriving in many TCP segments is
// parsed once it is whole (ProcFlag.NEED_MORE / PROC_NEED), not once per segment.
import { expect } from "chai";
import { startServer, type RunningServer } from "../../host/node/server.js";
import { Op, packet, u32s, parsePackets } from "../helpers/binary.js";
import { SocketClient } from "../helpers/socket-client.js";

const VALUE_LEN = 1000 * 1000;
const SEGMENT = 64 * 1024;
const PAUSE_MS = 5;
const REPLY_WAIT_MS = 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("binary framing", function () {
  this.timeout(20000);
  let server: RunningServer | undefined;
  before(async () => {
    // One thread: the engine counted here is the one serving the connection.
    server = await startServer({ port: -1, udpPort: 0, listen: ["127.0.0.1"], threads: 1 });
  });
  after(async () => {
    await server?.close();
  });

  it("a 1 MB value in 64 KiB segments costs two process() calls, not one per segment", async () => {
    const engine = server!.engine;
    const original = engine.process.bind(engine);
    let calls = 0;
    engine.process = (id: number, len: number) => {
      calls++;
      return original(id, len);
    };
    const sock = await SocketClient.connect(server!.ports[0]);
    try {
      const set = packet(Op.SET, { key: "framed", extras: u32s(0, 0), value: Buffer.alloc(VALUE_LEN, 0x7a), opaque: 1 });
      for (let at = 0; at < set.length; at += SEGMENT) {
        sock.write(set.subarray(at, at + SEGMENT));
        await sleep(PAUSE_MS);
      }
      await sock.waitQuiet(REPLY_WAIT_MS, REPLY_WAIT_MS, (b) => parsePackets(b).packets.length >= 1);
      const [reply] = parsePackets(sock.received()).packets;
      expect(reply.status).to.equal(0);
      expect(reply.opaque).to.equal(1);
      expect(calls).to.be.within(1, 2);
      expect(engine.get("framed")?.value.length).to.equal(VALUE_LEN);
    } finally {
      engine.process = original;
      sock.destroy();
    }
  });
});
