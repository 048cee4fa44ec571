// A server process's resident memory, sampled from /proc while a test runs, and the open-file
// limit the connection-heavy tests need.
import { readFileSync } from "node:fs";

export const MiB = 1024 * 1024;
const SAMPLE_MS = 20;

/** VmRSS of `pid` in bytes. */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's RSS every 20 ms from construction until stop(); keeps the peak. */
export class RssSampler {
  readonly start: number;
  private highest: number;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly pid: number) {
    this.start = rssOf(pid);
    this.highest = this.start;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    // A test that fails before stop() must not keep mocha from exiting.
    this.timer.unref();
  }

  private sample(): void {
    try {
      this.highest = Math.max(this.highest, rssOf(this.pid));
    } catch {
      // The process has exited; the test that killed it reports that.
    }
  }

  /** The peak so far, sampling once more now. */
  get peak(): number {
    this.sample();
    return this.highest;
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peak;
  }
}

/**
 * How many files this process may open. Node raises its soft limit to the hard one at start-up,
 * and so does the server (Node too), so this is what both may use.
 */
export function openFileLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
}
