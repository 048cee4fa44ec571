// Random command sequences for the differential fuzzer (test/fuzz/differential.test.ts): text
// and meta commands over five keys, valid for the most part, sent alike to memcached and to
// wasmcached. The generator stays clear of what may differ between the two:
//   - the clock: the servers' seconds tick at different instants, so no TTL may run out during
//     a run. Exptimes are 0, negative or an absolute time in the past (expired at once), or far
//     away (1000 s, 30 days, an absolute time a day ahead); flush_all is immediate; the meta
//     flags that show times (t, l) are compared within a second (normal-form.ts, mismatch).
//   - item sizes and slab classes: wasmcached's items are smaller than memcached's (assembly/
//     README.md, "Differences"), so `me`, metadump, cachedump, `stats items|slabs` show other
//     sizes and classes, and memory fills at other points: no size-showing commands, and the
//     servers run with memcached's default 64 MB, which five small keys never fill (no eviction,
//     so neither the LRU differences nor the binary protocol's out-of-memory order show).
//   - background work: memcached's crawler and LRU maintainer reclaim expired items at their
//     own times and hold item references while they do; the fuzzer turns both off on both
//     servers, and the counters that lazy reclaiming moves (get_expired, get_flushed,
//     curr_items) are not compared.
//   - slabs reassign (never BUSY here) and the other admin commands are left out.
//   - refcounts (none in wasmcached): memcached's incr/decr rewrites a number in place only when
//     nothing else references the item, and an mg reply not yet transmitted does. So
//     `mg k v\r\ndecr k 1\r\n` in one write turns "100" into "99" there (a new item) and into
//     "99 " here (in place, padded). Every incr/decr/ma starts a new batch, after the mn that
//     ended the one before has made memcached transmit.
//   - stored numbers of 2^63 or more: memcached's incr/decr parses the stored value with
//     safe_strtoull, which for a number past the signed range looks for a '-' with strchr in
//     data that is not NUL-terminated, so its answer depends on whatever memory follows the
//     value (seed 488557904 once got NON_NUMERIC for `incr` of 18446744073709551614). No stored
//     number may reach 2^63: digit values are small, append and prepend (text, and ms with MA
//     or MP) add only z-values, ma's initial value (J) is small, and only decr (which stops at 0)
//     gets the largest delta.
// A command's `{cas}` is replaced, on each server, by the last CAS that server showed, so `cas`
// and `C<cas>` can name the item a previous gets or mg c fetched; it too starts a new batch.
import fc from "fast-check";
import { START_TIME } from "./engine.js";

export const CAS_REF = "{cas}";
const CRLF = "\r\n";
const DAY = 24 * 60 * 60;

export interface Command {
  bytes: Buffer;
  /** Holds CAS_REF, or is arithmetic: it goes first in a batch (see the file comment). */
  startsBatch: boolean;
}

const ARITHMETIC = /^(incr|decr|ma) /;

function command(text: string): Command {
  const shown = JSON.stringify(text);
  return Object.assign(
    { bytes: Buffer.from(text, "latin1"), startsBatch: text.includes(CAS_REF) || ARITHMETIC.test(text) },
    { [fc.toStringMethod]: () => shown },
  );
}

const KEYS = ["k0", "k1", "k2", "k3", "k4"];
const key = fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 30 }, { arbitrary: fc.constant("x".repeat(251)), weight: 1 });
const keys = fc.array(key, { minLength: 1, maxLength: 3 }).map((ks) => ks.join(" "));
// See the file comment: none of these can expire while a run lasts, whatever the clocks do.
const exptime = fc.constantFrom("0", "0", "0", "-1", "1000", String(30 * DAY), String(START_TIME - DAY), String(Math.floor(Date.now() / 1000) + DAY));
const flags = fc.constantFrom("0", "0", "1", "4294967295");
const unique = fc.constantFrom(CAS_REF, CAS_REF, CAS_REF, "0", "987654321987");
// See the file comment: incr and ma's deltas and initial values keep stored numbers far below
// 2^63; decr may take the largest, since it stops at 0.
const smallDelta = fc.oneof(
  { arbitrary: fc.constantFrom("0", "1", "5", "100"), weight: 10 },
  { arbitrary: fc.constantFrom("-1", "abc"), weight: 1 },
);
const decrDelta = fc.oneof(
  { arbitrary: fc.constantFrom("0", "1", "5", "100", "18446744073709551615"), weight: 10 },
  { arbitrary: fc.constantFrom("-1", "abc"), weight: 1 },
);
const noreply = fc.constantFrom("", "", "", "", " noreply");

// Values start with z (or are digits), so a value the server reads as a command line, after a
// refused storage command, is an unknown command on both, never one that would change state.
// Digit values are small and only ever stored whole (see the file comment).
const zValue = fc.oneof(
  { arbitrary: fc.stringMatching(/^z[a-z0-9]{0,30}$/), weight: 6 },
  { arbitrary: fc.integer({ min: 100, max: 3000 }).map((n) => "z".padEnd(n, "q")), weight: 1 },
);
const value = fc.oneof(
  { arbitrary: zValue, weight: 7 },
  { arbitrary: fc.constantFrom("0", "1", "99", "100"), weight: 3 },
);
const APPENDING = new Set(["append", "prepend"]);

const textStore = fc
  .record({
    verb: fc.constantFrom("set", "set", "add", "replace", "append", "prepend", "cas"),
    key, flags, exptime, value, zValue, unique, noreply,
    // A length one short: memcached's `bad data chunk`, then the rest of the line read anew.
    short: fc.constantFrom(false, false, false, false, false, false, false, false, false, true),
  })
  .map(({ verb, key, flags, exptime, value: whole, zValue, unique, noreply, short }) => {
    const value = APPENDING.has(verb) ? zValue : whole;
    const cas = verb === "cas" ? ` ${unique}` : "";
    return command(`${verb} ${key} ${flags} ${exptime} ${value.length - (short ? 1 : 0)}${cas}${noreply}${CRLF}${value}${CRLF}`);
  });

const textOther = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom("get", "gets", "gets", "bget"), keys).map(([v, k]) => `${v} ${k}`), weight: 6 },
  { arbitrary: fc.tuple(fc.constantFrom("gat", "gats"), exptime, keys).map(([v, e, k]) => `${v} ${e} ${k}`), weight: 2 },
  { arbitrary: fc.tuple(key, fc.constantFrom("", " 0", " noreply")).map(([k, t]) => `delete ${k}${t}`), weight: 2 },
  { arbitrary: fc.tuple(key, smallDelta, noreply).map(([k, d, n]) => `incr ${k} ${d}${n}`), weight: 2 },
  { arbitrary: fc.tuple(key, decrDelta, noreply).map(([k, d, n]) => `decr ${k} ${d}${n}`), weight: 1 },
  { arbitrary: fc.tuple(key, exptime, noreply).map(([k, e, n]) => `touch ${k} ${e}${n}`), weight: 2 },
  { arbitrary: fc.constantFrom("flush_all", "flush_all 0", "flush_all noreply", "version", "bogus"), weight: 1 },
);

// Meta flag tokens by letter (each command picks distinct letters; M with the command's modes).
const opaque = fc.constantFrom("O1", "Oabc");
const metaToken: Record<string, fc.Arbitrary<string>> = {
  v: fc.constant("v"), f: fc.constant("f"), c: fc.constant("c"), k: fc.constant("k"), s: fc.constant("s"),
  h: fc.constant("h"), q: fc.constant("q"), u: fc.constant("u"), t: fc.constant("t"), l: fc.constant("l"),
  I: fc.constant("I"), O: opaque, N: exptime.map((e) => `N${e}`), T: exptime.map((e) => `T${e}`),
  // R asks for a win token when the TTL left is below it: 30 s or a year, never near a TTL above.
  R: fc.constantFrom("R30", "R31536000"),
  F: flags.map((f) => `F${f}`), C: unique.map((u) => `C${u}`), J: smallDelta.map((j) => `J${j}`), D: smallDelta.map((d) => `D${d}`),
};

function metaFlags(letters: string, modes: string[]): fc.Arbitrary<string> {
  const mode = modes.length ? fc.option(fc.constantFrom(...modes), { nil: undefined }) : fc.constant(undefined);
  return fc
    .tuple(fc.subarray([...letters], { maxLength: 5 }), mode)
    .chain(([ls, m]) => fc.tuple(...ls.map((l) => metaToken[l]), fc.constant(m ? `M${m}` : "")))
    .map((ts) => ts.filter((t) => t !== "").map((t) => ` ${t}`).join(""));
}

const metaCommand = fc.oneof(
  { arbitrary: fc.tuple(key, metaFlags("vfckshqutlONTR", [])).map(([k, f]) => command(`mg ${k}${f}${CRLF}`)), weight: 6 },
  { arbitrary: fc.tuple(key, metaFlags("cCIkOqTF", ["E", "A", "P", "R", "S"]))
      .chain(([k, f]) => (/ M[AP]/.test(f) ? zValue : value).map((v) => command(`ms ${k} ${v.length}${f}${CRLF}${v}${CRLF}`))), weight: 5 },
  { arbitrary: fc.tuple(key, metaFlags("CIkOqT", [])).map(([k, f]) => command(`md ${k}${f}${CRLF}`)), weight: 2 },
  { arbitrary: fc.tuple(key, metaFlags("NJDTqtcvOkC", ["I", "+", "D", "-"])).map(([k, f]) => command(`ma ${k}${f}${CRLF}`)), weight: 3 },
  { arbitrary: fc.constant(command(`mn${CRLF}`)), weight: 1 },
);

export const commandSequence = fc.array(
  fc.oneof(
    { arbitrary: textStore, weight: 4 },
    { arbitrary: textOther.map((l) => command(l + CRLF)), weight: 5 },
    { arbitrary: metaCommand, weight: 6 },
  ),
  { minLength: 1, maxLength: 25, size: "max" },
);
