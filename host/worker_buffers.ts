// read_buf_mem_limit (memcached's per-worker buffer memory). memcached splits the limit over its
// -t worker threads; each worker's share, in 16 KiB units, holds the read buffers of its
// connections that have input not yet processed and the bundles its connections' replies are
// stacked in (response objects, a fixed number per bundle). Past it a connection that needs a
// read buffer is closed (read_buf_oom), and one whose stacked replies need one more response
// object than the rest of the share holds is closed too, or answered
// `SERVER_ERROR out of memory writing get response` mid-get (response_obj_oom, counted by the
// core, which knows where replies start).
//
// Each serving thread's driver owns one, over its own connections, as memcached's threads do
// (a server on one thread owns one worker's share: limit / threads).

/** memcached's READ_BUFFER_SIZE: a read buffer, and a bundle of response objects, take one. */
export const BUFFER_UNIT = 16 * 1024;
/**
 * Response objects per bundle in Debian's 64-bit memcached 1.6.18:
 * (16384 − a 24-byte bundle header) / a 1184-byte mc_resp (1 KiB of it its line buffer).
 */
export const RESPONSES_PER_UNIT = 13;
/** What responseObjects() says when there is no limit (the core's setResponseLimit). */
export const UNLIMITED_RESPONSES = 0xffffffff;

export class WorkerBuffers {
  /** This worker's share in units; 0: no limit. */
  readonly units: number;
  private readBuffers = 0;

  constructor(limitBytes: number, threads: number) {
    if (limitBytes <= 0) {
      this.units = 0;
      return;
    }
    // memcached: a share smaller than one unit still gets one.
    this.units = Math.max(1, Math.floor(limitBytes / threads / BUFFER_UNIT));
  }

  get limited(): boolean { return this.units > 0; }

  /** A connection about to read input takes a read buffer; false when the share is spent. */
  takeReadBuffer(): boolean {
    if (this.limited && this.readBuffers >= this.units) return false;
    this.readBuffers++;
    return true;
  }

  /** Its input is all processed (or it closed): the buffer goes back. */
  returnReadBuffer(): void {
    this.readBuffers--;
  }

  /** Response objects one connection may stack now: what the read buffers leave, in bundles. */
  responseObjects(): number {
    if (!this.limited) return UNLIMITED_RESPONSES;
    return Math.max(0, this.units - this.readBuffers) * RESPONSES_PER_UNIT;
  }
}
