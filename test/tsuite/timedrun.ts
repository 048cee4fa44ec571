#!/usr/bin/env node
// `timedrun <seconds> <command> [args...]`: what memcached's t/ harness wraps every server
// in. It runs the command as its child, passes on the signals the harness sends (the tests
// signal the PID they forked, which is this process), and stops the child when its time is up.
//
// The harness asks for 600 s per server; TIMEDRUN_MAX_SECONDS lowers that, so that a test
// file that hangs costs CI minutes, not ten of them per server it started.
import { spawn } from "node:child_process";
import { constants } from "node:os";

const FORWARDED = ["SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2"] as const;
// After the first signal the child gets this long to exit before SIGTERM, then SIGKILL.
const GRACE_MS = 5000;
const EX_USAGE = 64;
const SIGNALLED = 0x80;

function limitSeconds(asked: string): number {
  const n = Number(asked);
  if (!Number.isInteger(n) || n <= 0) {
    process.stderr.write(`timedrun: not a number of seconds: "${asked}"\n`);
    process.exit(EX_USAGE);
  }
  const cap = Number(process.env.TIMEDRUN_MAX_SECONDS);
  return cap > 0 ? Math.min(n, cap) : n;
}

function main(): void {
  const [asked, command, ...args] = process.argv.slice(2);
  if (command === undefined) {
    process.stderr.write("usage: timedrun <seconds> <command> [args...]\n");
    process.exit(EX_USAGE);
  }
  const seconds = limitSeconds(asked);
  const child = spawn(command, args, { stdio: "inherit" });
  // Escalation as memcached's timedrun: the first event passes its signal on (SIGTERM when
  // time ran out), and a child that outlives each grace period gets SIGTERM, then SIGKILL.
  const escalation: NodeJS.Signals[] = ["SIGTERM", "SIGKILL"];
  let grace: NodeJS.Timeout | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (grace !== undefined) return;
    child.kill(signal);
    const next = () => {
      const s = escalation.shift();
      if (s === undefined) return;
      child.kill(s);
      grace = setTimeout(next, GRACE_MS);
    };
    grace = setTimeout(next, GRACE_MS);
  };
  for (const s of FORWARDED) process.on(s, () => stop(s));
  const timer = setTimeout(() => {
    process.stderr.write(`timedrun: ${command} still running after ${seconds} s: stopping it\n`);
    stop("SIGTERM");
  }, seconds * 1000);
  child.on("error", (err) => {
    process.stderr.write(`timedrun: cannot run ${command}: ${err.message}\n`);
    process.exit(EX_USAGE);
  });
  child.on("exit", (code, signal) => {
    clearTimeout(timer);
    if (grace !== undefined) clearTimeout(grace);
    process.exit(signal ? SIGNALLED | constants.signals[signal] : code ?? 0);
  });
}

main();
