// Progress on the terminal: permanent lines, and one status line that a TTY rewrites in place
// and a pipe (CI, a log file) gets only every few seconds.

const PIPE_STATUS_EVERY_MS = 5000;

export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private lastStatus = 0;
  private statusShown = false;
  private readonly t0 = Date.now();

  /** A line that stays, prefixed with the time since the suite started. */
  line(text: string): void {
    this.clearStatus();
    process.stderr.write(`[${this.elapsed()}] ${text}\n`);
  }

  /** A transient status: what is running now and how far it got. */
  status(text: string): void {
    const t = Date.now();
    if (!this.tty) {
      if (t - this.lastStatus < PIPE_STATUS_EVERY_MS) return;
      this.lastStatus = t;
      process.stderr.write(`[${this.elapsed()}]   ${text}\n`);
      return;
    }
    process.stderr.write(`\r[${this.elapsed()}]   ${text}\x1b[K`);
    this.statusShown = true;
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    process.stderr.write("\r\x1b[K");
    this.statusShown = false;
  }

  private elapsed(): string {
    const s = Math.floor((Date.now() - this.t0) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }
}
