// The runtime-agnostic UDP path: one datagram in, the core's reply datagrams out.
//
// The core does everything protocol-shaped (assembly/protocols/udp.ts): it checks the 8-byte header,
// serves the payload, cuts the replies into datagrams and writes each one's header. This side
// copies the datagram in, then copies each reply out and hands it to the adapter's socket.
import { ProcFlag } from "../assembly/abi/proc_flags.js";
import { Engine } from "./wasm_engine.js";
import { shutdownMode, type ShutdownMode } from "./driver.js";
import { HostStat } from "../assembly/abi/host_stats.js";

const UDP_HEADER_LEN = 8;

/** Sends one datagram (its parts back to back) to where the request came from. */
export type DatagramReply = (parts: Uint8Array[]) => void;

export interface UdpOptions {
  /** Called when a datagram carries `shutdown` (with -A). */
  onShutdown: (mode: ShutdownMode) => void;
  /** Called when the engine threw serving a datagram (the driver recovers it); nothing more is sent for it. */
  onTrap: (err: unknown, datagram: Uint8Array, peer: string) => void;
  /** refresh_certs (-Z): its reply line, or null for none (Driver.refreshCerts). */
  refreshCerts?: (noreply: boolean) => Uint8Array | null;
}

// A reply of its own: the request's id, sequence 0 of 1 (memcached's UDP frame header).
const UDP_SEQ_TOTAL_ONE = Uint8Array.of(0, 0, 0, 1, 0, 0);

export class UdpEndpoint {
  constructor(private readonly engine: Engine, private readonly opts: UdpOptions) {}

  /** `peer` names the sender ("udp:<ip>:<port>") in a trap report. */
  onDatagram(msg: Uint8Array, reply: DatagramReply, peer = ""): void {
    try {
      this.serve(msg, reply);
    } catch (err) {
      this.opts.onTrap(err, msg, peer);
    }
  }

  private serve(msg: Uint8Array, reply: DatagramReply): void {
    const e = this.engine;
    e.addHostStat(HostStat.BYTES_READ, msg.length);
    // A datagram larger than the input area cannot be a valid request: memcached's read buffer
    // is 64 KiB, ours is larger still, so only the first part is looked at.
    let input = msg.subarray(0, e.inSize);
    let fresh = true;
    for (;;) {
      e.memory().set(input, e.inAddr);
      const consumed = e.udpProcess(input.length, fresh);
      const flags = e.procFlags();
      this.sendReplies(reply);
      e.drainLog();
      if (flags & ProcFlag.SHUTDOWN) this.opts.onShutdown(shutdownMode(flags));
      if (flags & ProcFlag.REFRESH_CERTS) this.refreshCerts(input, e.procNeed() !== 0, reply);
      if (!(flags & (ProcFlag.AGAIN | ProcFlag.REFRESH_CERTS))) return;
      // The output area filled up, or the host had a command to answer: the rest of the
      // payload goes in behind the same header.
      const rest = input.subarray(UDP_HEADER_LEN + consumed);
      const next = new Uint8Array(UDP_HEADER_LEN + rest.length);
      next.set(input.subarray(0, UDP_HEADER_LEN));
      next.set(rest, UDP_HEADER_LEN);
      input = next;
      fresh = false;
    }
  }

  private refreshCerts(request: Uint8Array, noreply: boolean, reply: DatagramReply): void {
    const line = this.opts.refreshCerts?.(noreply);
    if (!line) return;
    this.engine.addHostStat(HostStat.BYTES_WRITTEN, UDP_HEADER_LEN + line.length);
    reply([request.slice(0, 2), UDP_SEQ_TOTAL_ONE, line]);
  }

  private sendReplies(reply: DatagramReply): void {
    const e = this.engine;
    const header = e.udpHeaderAddr();
    for (let n = e.udpNext(); n >= 0; n = e.udpNext()) {
      const mem = e.memory();
      const at = e.outAddr + e.udpPayload();
      // Copies: the socket may send after the core has reused both areas.
      const parts = [mem.slice(header, header + UDP_HEADER_LEN), mem.slice(at, at + n)];
      e.addHostStat(HostStat.BYTES_WRITTEN, UDP_HEADER_LEN + n);
      reply(parts);
    }
  }
}
