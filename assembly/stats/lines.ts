// The shapes of `stats` reply lines, shared by every family's renderer.
import { outStr, outU64, outCrlf, outByte } from "../session/output";

const USEC_PER_SEC: u64 = 1000000;

// STAT <name> <v>
export function line(name: string, v: u64): void {
  outStr("STAT ");
  outStr(name);
  outStr(" ");
  outU64(v);
  outCrlf();
}

// STAT <name> <value>
export function textLine(name: string, value: string): void {
  outStr("STAT ");
  outStr(name);
  outStr(" ");
  outStr(value);
  outCrlf();
}

// STAT <prefix><class>:<name> <v>
export function classLine(prefix: string, c: u32, name: string, v: u64): void {
  outStr("STAT ");
  outStr(prefix);
  outU64(c);
  outStr(":");
  outStr(name);
  outStr(" ");
  outU64(v);
  outCrlf();
}

// STAT <name> <seconds>.<microseconds, six digits>
export function usecLine(name: string, us: u64): void {
  outStr("STAT ");
  outStr(name);
  outStr(" ");
  outU64(us / USEC_PER_SEC);
  outByte(0x2e);
  const frac = us % USEC_PER_SEC;
  for (let d: u64 = USEC_PER_SEC / 10; d > 1 && frac < d; d /= 10) outByte(0x30);
  outU64(frac);
  outCrlf();
}

export function endLine(): void {
  outStr("END");
  outCrlf();
}
