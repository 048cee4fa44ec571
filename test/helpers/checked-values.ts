// Values that check themselves, for tests where many writers race on the same keys: whatever a
// read returns must be whole segments, each naming the key it was written to and carrying its
// own digest, so a torn value (half of one write, half of another), a value served under the
// wrong key or bytes from a freed chunk are caught without knowing which write should win.
// Appends and prepends concatenate segments, so a value is one segment or several.
//
//   segment = "{" key "|" writer "|" seq "|" padding "|" digest "}"
//
// The digest is FNV-1a over the rest of the segment (32 bits, 8 hex digits); the padding
// repeats a letter picked by seq, so two writes of the same size still differ in every byte.

const OPEN = "{";
const CLOSE = "}";
const SEP = "|";
const DIGEST_LENGTH = 8;
const LETTERS = 26;
const FIRST_LETTER = 0x61;
// What a segment adds around its key, writer, seq and padding.
const FRAME = OPEN.length + SEP.length + DIGEST_LENGTH + CLOSE.length;

function digest(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(DIGEST_LENGTH, "0");
}

/** One segment for `key`, about `size` bytes long (never shorter than its fixed parts). */
export function checkedValue(key: string, writer: number, seq: number, size: number): string {
  const head = `${key}${SEP}${writer}${SEP}${seq}${SEP}`;
  const pad = String.fromCharCode(FIRST_LETTER + (seq % LETTERS)).repeat(Math.max(0, size - head.length - FRAME));
  const body = head + pad;
  return OPEN + body + SEP + digest(body) + CLOSE;
}

/** Why `value` cannot have been written to `key` by whole segments, or undefined if it can. */
export function valueProblem(key: string, value: string): string | undefined {
  if (value.length === 0) return `${key}: an empty value`;
  let at = 0;
  while (at < value.length) {
    if (value[at] !== OPEN) return `${key}: no segment starts at byte ${at} of ${value.length}`;
    const end = value.indexOf(CLOSE, at);
    if (end < 0) return `${key}: the segment at byte ${at} is cut short`;
    const segment = value.slice(at + 1, end);
    const cut = segment.lastIndexOf(SEP);
    const body = segment.slice(0, cut);
    if (!body.startsWith(key + SEP)) return `${key}: the segment at byte ${at} names ${JSON.stringify(body.slice(0, body.indexOf(SEP)))}`;
    if (digest(body) !== segment.slice(cut + 1)) return `${key}: the segment at byte ${at} is not whole`;
    at = end + 1;
  }
  return undefined;
}

/** A counter's value as memcached keeps it: digits, space-padded after a decr in place. */
export function counterProblem(key: string, value: string): string | undefined {
  return /^\d+ *$/.test(value) ? undefined : `${key}: ${JSON.stringify(value.slice(0, 40))} is not a counter`;
}
