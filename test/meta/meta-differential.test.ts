// The meta protocol against Debian's memcached 1.6.18 (reference §2): mg/ms/md/ma/me/mn with
// every flag, the quiet-mode rules, and every error string with its swallow behaviour.
// Replies are compared byte for byte with CAS values labelled and clock values given one tick
// of slack (test/helpers/normal-form.ts).
import { describeCorpus, META, type Case } from "../helpers/differential.js";

const BAD_FORMAT = "CLIENT_ERROR bad command line format\r\n";
const BAD_TOKEN = "CLIENT_ERROR bad token in command line format\r\n";
const DUPLICATE = "CLIENT_ERROR duplicate flag\r\n";
const INVALID = "CLIENT_ERROR invalid flag\r\n";
const INVALID_OR_DUP = "CLIENT_ERROR invalid or duplicate flag\r\n";
const OPAQUE_TOO_LONG = "CLIENT_ERROR opaque token too long\r\n";
const DECODE = "CLIENT_ERROR error decoding key\r\n";
const TOO_LARGE = "SERVER_ERROR object too large for cache\r\n";

const ms = (key: string, value: string, flags = "") => `ms ${key} ${value.length}${flags ? " " + flags : ""}\r\n${value}\r\n`;
const LONG_KEY = "k".repeat(251);
const MAX_KEY = "k".repeat(250);
/** An O token of exactly n bytes, the O included. */
const opaque = (n: number) => "O" + "9".repeat(n - 1);
/** n distinct flag-shaped words that are not flags, to count tokens. */
const words = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1)).join(" ");
const big = (n: number) => "a".repeat(n);

const mg: Case[] = [
  { name: "mg hit: every return flag, in request order", send: ms("mg-a", "hi", "T0 F5") + "mg mg-a v k s t f c h l O123\r\nmg mg-a h l\r\n", expect: "HD\r\nVA 2 kmg-a s2 t-1 f5 c<cas1> h0 l0 O123\r\nhi\r\nHD h1 l0\r\n" },
  { name: "mg hit without v is HD; no flags at all", send: ms("mg-b", "x") + "mg mg-b\r\nmg mg-b s\r\nmg mg-b c f\r\n", expect: "HD\r\nHD\r\nHD s1\r\nHD c<cas1> f0\r\n" },
  { name: "mg t: remaining TTL", send: ms("mg-t", "x", "T100") + "mg mg-t t v\r\n", expect: "HD\r\nVA 1 t100\r\nx\r\n" },
  { name: "mg miss: EN echoes only O and k, in request order", send: "mg mg-nope v k O1 s t c f h l\r\nmg mg-nope O2 k\r\nmg mg-nope\r\n", expect: "EN kmg-nope O1\r\nEN O2 kmg-nope\r\nEN\r\n" },
  { name: "mg T sets a new TTL on hit (and -1 expires it)", send: ms("mg-T", "x", "T30") + "mg mg-T T100 t\r\nmg mg-T t\r\nmg mg-T T0 t\r\nmg mg-T t\r\nmg mg-T T-1 v\r\nmg mg-T v\r\n", expect: "HD\r\nHD t100\r\nHD t100\r\nHD t-1\r\nHD t-1\r\nVA 1\r\nx\r\nEN\r\n" },
  { name: "mg u leaves the item unfetched", send: ms("mg-u", "x") + "mg mg-u u h\r\nmg mg-u h\r\nmg mg-u h u\r\nmg mg-u h\r\n", expect: "HD\r\nHD h0\r\nHD h0\r\nHD h1\r\nHD h1\r\n" },
  { name: "mg accepts and ignores the other known letters", send: ms("mg-i", "x") + "mg mg-i I\r\nmg mg-i C5 v\r\nmg mg-i J5 D5 M+ F5 v\r\nmg mg-i P L\r\nmg nope-i P L I C1\r\n", expect: "HD\r\nHD\r\nVA 1\r\nx\r\nVA 1\r\nx\r\nHD\r\nEN\r\n" },
  { name: "mg E and mg with an unknown letter (E is not in 1.6.18)", send: ms("mg-e", "x") + "mg mg-e E5\r\nmg mg-e x\r\nmg mg-e S1\r\n", expect: "HD\r\n" + INVALID.repeat(3) },
  { name: "mg zero-length value", send: "ms mg-z 0\r\n\r\nmg mg-z v s\r\n", expect: "HD\r\nVA 0 s0\r\n\r\n" },
  { name: "mg k on a binary key re-encodes it", send: "ms Zm9v 1 b\r\nx\r\nmg Zm9v b k v c s\r\nmg foo k v\r\n", expect: "HD\r\nVA 1 kZm9v b c<cas1> s1\r\nx\r\nVA 1 kZm9v b\r\nx\r\n" },
];

const vivify: Case[] = [
  { name: "mg N vivifies an empty item and wins; the next caller sees Z", send: "mg mg-n N30 v c t s\r\nmg mg-n N30 v c t\r\nmg mg-n v\r\nmg mg-n\r\n" + ms("mg-n", "x") + "mg mg-n N30 v\r\n", expect: "VA 0 c<cas1> t30 s0 W\r\n\r\nVA 0 c<cas1> t30 Z\r\n\r\nVA 0 Z\r\n\r\nHD Z\r\nHD\r\nVA 1\r\nx\r\n" },
  { name: "mg N without v, and N on a hit", send: "mg mg-n2 N30\r\nmg mg-n2 N30\r\n" + ms("mg-n3", "x") + "mg mg-n3 N30 t\r\n", expect: "HD W\r\nHD Z\r\nHD\r\nHD t-1\r\n" },
  { name: "mg N-1 vivifies an already expired item", send: "mg mg-n4 N-1 v\r\nmg mg-n4 v\r\n", expect: "VA 0 W\r\n\r\nEN\r\n" },
  { name: "mg R: recache win when the TTL is below the threshold, once", send: ms("mg-r", "x", "T10") + "mg mg-r R30 v c\r\nmg mg-r R30 v\r\nmg mg-r R5 v\r\n" + ms("mg-r2", "x", "T100") + "mg mg-r2 R30 v\r\n" + ms("mg-r3", "x") + "mg mg-r3 R30\r\n", expect: "HD\r\nVA 1 c<cas1> W\r\nx\r\nVA 1 Z\r\nx\r\nVA 1 Z\r\nx\r\nHD\r\nVA 1\r\nx\r\nHD\r\nHD\r\n" },
  { name: "md I marks stale: X W, then Z X; ms I with a fresh value clears it", send: ms("mg-s", "x") + "md mg-s I T30\r\nmg mg-s v c t\r\nmg mg-s v\r\nmg mg-s\r\n" + ms("mg-s", "y", "I") + "mg mg-s v\r\n", expect: "HD\r\nHD\r\nVA 1 c<cas1> t30 X W\r\nx\r\nVA 1 Z X\r\nx\r\nHD Z X\r\nHD\r\nVA 1\r\ny\r\n" },
  { name: "md I gives a new CAS; ms I C<older> stores but stays stale", send: ms("mg-s2", "x", "T30") + "mg mg-s2 c\r\nmd mg-s2 I\r\nmg mg-s2 v c t\r\nmd mg-s2 I T5\r\nmg mg-s2 t v\r\nmg mg-s2 t\r\nms mg-s2 1 C1 I\r\nz\r\nmg mg-s2 v\r\n", expect: "HD\r\nHD c<cas1>\r\nHD\r\nVA 1 c<cas2> t30 X W\r\nx\r\nHD\r\nVA 1 t5 X W\r\nx\r\nHD t5 Z X\r\nHD\r\nVA 1 Z X\r\nz\r\n" },
  { name: "ms C higher than the item's CAS is EX even with I", send: ms("mg-s3", "x") + "mg mg-s3 v c\r\nms mg-s3 1 C99999999 I\r\ny\r\nmg mg-s3 v c\r\n", expect: "HD\r\nVA 1 c<cas1>\r\nx\r\nEX\r\nVA 1 c<cas1>\r\nx\r\n" },
  { name: "md I: q, C mismatch, miss, and T-1", send: ms("mg-s4", "x") + "md mg-s4 I q\r\nmd mg-s4 I C1\r\nmd nope-s4 I\r\nmd mg-s4 I T-1\r\nmg mg-s4 v\r\n", expect: "HD\r\nEX\r\nNF\r\nHD\r\nEN\r\n" },
];

const quiet: Case[] = [
  { name: "q: mg misses are silent, hits are not; mn ends the pipeline", send: "mg q-a q v\r\nmg q-b q k\r\n" + ms("q-c", "x", "q") + "mg q-c q v\r\nmg q-c q\r\nmn\r\n", expect: "VA 1\r\nx\r\nHD\r\nMN\r\n" },
  { name: "q: ms reports NS/EX/NF, not HD", send: ms("q-d", "a", "q") + ms("q-d", "b", "q ME") + ms("q-e", "b", "q MR") + ms("q-d", "b", "q C1") + ms("q-f", "b", "q C1") + "mn\r\n", expect: "NS\r\nNS\r\nEX\r\nNF\r\nMN\r\n" },
  { name: "q: md reports NF/EX, not HD", send: ms("q-g", "a") + "md q-g q\r\nmd q-g q\r\n" + ms("q-g", "a") + "md q-g q C1 k\r\nmd q-g q k\r\nmd q-g q k\r\nmn\r\n", expect: "HD\r\nNF\r\nHD\r\nEX kq-g\r\nNF kq-g\r\nMN\r\n" },
  { name: "q: ma hides HD and VA, not NF/EX nor a vivify's HD", send: "ma q-h q\r\nma q-h q N0 J5\r\nma q-h q D2 v\r\nma q-h q MD D100 v\r\nma q-h q C1\r\nma q-h v\r\nmn\r\n", expect: "NF\r\nHD\r\nEX\r\nVA 1\r\n1\r\nMN\r\n" },
  { name: "q: errors are always sent", send: "mg q-i q zz\r\nmd q-i q zz\r\nma q-i q zz\r\n" + ms("q-i", "x", "q zz") + ms("q-i", "toolong", "q Tx") + "mn\r\n", expect: INVALID + INVALID_OR_DUP + INVALID_OR_DUP + INVALID + BAD_TOKEN + "MN\r\n" },
  { name: "q: a bad data chunk is reported", send: "ms q-j 3 q\r\nabcde\r\nmn\r\n", expect: "CLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n" },
  { name: "mn alone, and with extra words", send: "mn\r\nmn x y\r\nmn 1 2 3\r\n", expect: "MN\r\nMN\r\nMN\r\n" },
  // memcached flushes at mn: the replies before it go out although the next command starts
  // swallowing a refused value whose bytes have not all arrived.
  { name: "mn flushes before a swallowing set", send: "mg q-k v\r\nmn\r\nset q-big 0 0 2000000\r\nxx", expect: "EN\r\nMN\r\n" },
  { name: "mn flushes before a swallowing ms", send: "mg q-k v\r\nmn\r\nms q-big 2000000\r\nxx", expect: "EN\r\nMN\r\n" },
  { name: "without mn nothing is sent while swallowing", send: "mg q-k v\r\nset q-big 0 0 2000000\r\nxx", expect: "" },
];

const base64: Case[] = [
  { name: "b: ms/mg/md/ma with base64 keys", send: ms("Zm9v", "x", "k b O1 c") + "mg Zm9v b k v c s\r\nmg foo k\r\nmd Zm9v b k q\r\nmg foo k\r\nma Zm9v b N0 k v\r\nme Zm9v b\r\nme foo\r\n", expect: "HD kZm9v b O1 c<cas1>\r\nVA 1 kZm9v b c<cas1> s1\r\nx\r\nHD kZm9v b\r\nEN kfoo\r\nVA 1 kZm9v b\r\n0\r\nME foo exp=-1 la=0 cas=<cas2> fetch=no cls=1 size=63\r\nME foo exp=-1 la=0 cas=<cas2> fetch=no cls=1 size=63\r\n" },
  { name: "b: binary bytes in a key", send: ms("AAEC/w==", "x", "b") + "me AAEC/w== b\r\nmg AAEC/w== b k v\r\n", expect: "HD\r\nME AAEC/w== exp=-1 la=0 cas=<cas1> fetch=no cls=1 size=64\r\nVA 1 kAAEC/w== b\r\nx\r\n" },
  { name: "b: decoding errors", send: "mg Zm9v= b\r\nmg ??? b v\r\nmd !!! b\r\nma %%% b\r\n" + ms("foo", "x", "k b O1") + "mg a v k b\r\n", expect: DECODE + DECODE + INVALID_OR_DUP + INVALID_OR_DUP + DECODE + DECODE },
  { name: "me b: decoding error and a missing binary key", send: "me ??? b\r\nme AAAA b\r\n", expect: BAD_FORMAT + "EN\r\n" },
];

const opaques: Case[] = [
  { name: "O: up to 32 bytes echoed, 33 too long (mg hit)", send: ms("o-a", "x") + `mg o-a ${opaque(31)}\r\nmg o-a ${opaque(32)}\r\nmg o-a ${opaque(33)}\r\nmg o-a v ${opaque(33)}\r\n`, expect: `HD\r\nHD ${opaque(31)}\r\nHD ${opaque(32)}\r\n` + OPAQUE_TOO_LONG + OPAQUE_TOO_LONG },
  { name: "O too long on an mg miss", send: `mg o-nope ${opaque(33)}\r\nmg o-nope q ${opaque(33)}\r\n`, expect: OPAQUE_TOO_LONG.repeat(2) },
  { name: "O too long on ms swallows the value", send: `ms o-b 1 ${opaque(33)}\r\nx\r\nms o-b 1 ${opaque(32)}\r\nx\r\nmn\r\n`, expect: OPAQUE_TOO_LONG + `HD ${opaque(32)}\r\nMN\r\n` },
  { name: "O too long on md and ma", send: ms("o-c", "1") + `md o-c ${opaque(33)}\r\nma o-c ${opaque(33)}\r\nmd o-nope ${opaque(33)}\r\nma o-nope ${opaque(33)}\r\nmg o-c v\r\n`, expect: "HD\r\n" + OPAQUE_TOO_LONG.repeat(4) + "VA 1\r\n2\r\n" },
];

const tokenLimits: Case[] = [
  // memcached counts the command, the key and a final empty token: more than 20 is too many.
  { name: "mg: 17 flags are parsed, 18 are too many", send: `mg tl-a ${words(16)}\r\nmg tl-a ${words(17)}\r\nmg tl-a ${words(18)}\r\nmg tl-a k s t f c h l O1 u v P L I J1 D1 M+ T5\r\n`, expect: INVALID + INVALID + "CLIENT_ERROR options flags are too long\r\n" + "EN ktl-a O1\r\n" },
  { name: "ms: too many flags (not swallowed)", send: `ms tl-b 2 ${words(17)}\r\nmn\r\nms tl-b 2 ${words(16)}\r\nmn\r\nmn\r\n`, expect: "CLIENT_ERROR options flags too long\r\nMN\r\n" + INVALID + "MN\r\n" },
  { name: "md and ma: too many flags", send: `md tl-c ${words(18)}\r\nma tl-c ${words(18)}\r\nmd tl-c ${words(17)}\r\nma tl-c ${words(17)}\r\n`, expect: "CLIENT_ERROR options flags too long\r\n".repeat(2) + INVALID_OR_DUP.repeat(2) },
  // The value makes both servers' items land in class 7 (wasmcached's items are 23 bytes
  // smaller than memcached's, so a 1-byte value would be class 6 there and 7 in memcached).
  { name: "keys: 250 bytes fine, 251 too long", send: ms(MAX_KEY, big(30)) + `mg ${MAX_KEY} s\r\nmg ${LONG_KEY} v\r\nmd ${LONG_KEY}\r\nma ${LONG_KEY}\r\nme ${LONG_KEY}\r\nme ${MAX_KEY}\r\n`, expect: `HD\r\nHD s30\r\n` + BAD_FORMAT.repeat(4) + `ME ${MAX_KEY} exp=-1 la=0 cas=<cas1> fetch=yes cls=7 size=339\r\n` },
  { name: "ms with a too long key does not swallow", send: `ms ${LONG_KEY} 2\r\nmn\r\nmn\r\n`, expect: BAD_FORMAT + "MN\r\nMN\r\n" },
  { name: "no key: ERROR, except me", send: "mg\r\nms\r\nmd\r\nma\r\nme\r\nme a b c\r\n", expect: "ERROR\r\n".repeat(4) + BAD_FORMAT.repeat(2) },
];

const flagErrors: Case[] = [
  { name: "duplicate and invalid flags", send: "mg fe-a v v\r\nmg fe-a x\r\nmg fe-a \x80\r\nmg fe-a \x7f\r\nmd fe-a q q\r\nma fe-a z\r\nmd fe-a z\r\n", expect: DUPLICATE + INVALID + DUPLICATE + DUPLICATE + INVALID_OR_DUP.repeat(3) },
  { name: "ms: duplicate and invalid flags swallow the value", send: ms("fe-b", "mn", "z") + ms("fe-b", "mn", "T1 T1") + "mn\r\n", expect: INVALID + DUPLICATE + "MN\r\n" },
  { name: "bad numeric tokens: T N R C", send: "mg fe-c Tabc\r\nmg fe-c N1x\r\nmg fe-c R-\r\nmg fe-c Cx\r\nmg fe-c T\r\nmg fe-c N\r\nmg fe-c R\r\nmg fe-c T99999999999\r\n", expect: BAD_TOKEN.repeat(7) + "EN\r\n" },
  { name: "a bad F has no message of its own: bad command line format", send: "mg fe-d Fx\r\n" + ms("fe-d", "x", "Fx") + ms("fe-d", "x", "F-1") + ms("fe-d", "x", "F") + "mn\r\n", expect: BAD_FORMAT.repeat(4) + "MN\r\n" },
  { name: "F: 32-bit flags, 2^32 wraps", send: ms("fe-e", "x", "F4294967295") + "mg fe-e f\r\n" + ms("fe-e", "x", "F4294967296") + "mg fe-e f\r\n", expect: "HD\r\nHD f4294967295\r\nHD\r\nHD f0\r\n" },
  { name: "the last error wins", send: "mg fe-f Tx Tx\r\nmg ??? b Tx\r\nmg fe-f Tx zz\r\nmg fe-f Fx Tx\r\nmg fe-f Tx Fx\r\nmg fe-f Tx MXX\r\nmg fe-f MXX Tx\r\n", expect: DUPLICATE + BAD_TOKEN + INVALID + BAD_TOKEN + BAD_TOKEN + "CLIENT_ERROR incorrect length for M token\r\n" + BAD_TOKEN },
  { name: "ms: the last error wins too", send: ms("fe-g", "xx", "Tx Tx") + ms("???", "xx", "b Tx") + ms("fe-g", "xx", "Tx zz") + "mn\r\n", expect: DUPLICATE + BAD_TOKEN + INVALID + "MN\r\n" },
  { name: "J and D: invalid numeric initial / delta value (ma reports them generically)", send: "mg fe-h Jx\r\nmg fe-h Dx\r\nma fe-h Jx\r\nma fe-h Dx\r\nma fe-h J-1 N0\r\nma fe-h D18446744073709551616\r\n", expect: "CLIENT_ERROR invalid numeric initial value\r\nCLIENT_ERROR invalid numeric delta value\r\n" + INVALID_OR_DUP.repeat(4) },
  { name: "M: exactly one character", send: "mg fe-i MXX\r\nmg fe-i M\r\nma fe-i MII\r\n" + ms("fe-i", "x", "MSS") + ms("fe-i", "x", "M") + "mn\r\n", expect: "CLIENT_ERROR incorrect length for M token\r\n".repeat(2) + INVALID_OR_DUP + "CLIENT_ERROR incorrect length for M token\r\n".repeat(2) + "MN\r\n" },
  { name: "E is not a 1.6.18 flag anywhere", send: "mg fe-j E5\r\n" + ms("fe-j", "x", "E5") + "md fe-j E5\r\nma fe-j E5\r\nmn\r\n", expect: INVALID + INVALID + INVALID_OR_DUP + INVALID_OR_DUP + "MN\r\n" },
];

const msCases: Case[] = [
  { name: "ms modes: E add, A append, P prepend, R replace, S set", send: ms("ms-a", "a", "ME") + ms("ms-a", "b", "ME") + ms("ms-a", "c", "MA") + ms("ms-a", "d", "MP") + "mg ms-a v\r\n" + ms("ms-a", "e", "MR") + ms("ms-b", "f", "MR") + ms("ms-b", "g", "MA") + ms("ms-b", "h", "MP") + ms("ms-a", "i", "MS") + "mg ms-a v\r\nmg ms-b v\r\n", expect: "HD\r\nNS\r\nHD\r\nHD\r\nVA 3\r\ndac\r\nHD\r\nNS\r\nNS\r\nNS\r\nHD\r\nVA 1\r\ni\r\nEN\r\n" },
  { name: "ms: lower-case or unknown modes are invalid and swallow", send: ms("ms-c", "a", "Ms") + ms("ms-c", "a", "Me") + ms("ms-c", "a", "MX") + ms("ms-c", "a", "M1") + "mg ms-c v\r\n", expect: "CLIENT_ERROR invalid mode for ms M token\r\n".repeat(4) + "EN\r\n" },
  { name: "ms C: compare and swap, c returns the new CAS", send: ms("ms-d", "a", "c") + "mg ms-d c\r\n" + ms("ms-d", "b", "C1 c") + ms("ms-e", "b", "C1") + ms("ms-e", "b", "C0"), expect: "HD c<cas1>\r\nHD c<cas1>\r\nEX c0\r\nNF\r\nNF\r\n" },
  { name: "ms C with the current CAS succeeds", send: [ms("ms-f", "a"), "mg ms-f c\r\n", (r) => ms("ms-f", "b", `C${/HD c(\d+)/.exec(r.toString("latin1"))![1]} c`), "mg ms-f v c\r\n"], expect: "HD\r\nHD c<cas1>\r\nHD c<cas2>\r\nVA 1 c<cas2>\r\nb\r\n" },
  { name: "ms C on append / prepend / add", send: ms("ms-g", "a") + ms("ms-g", "b", "MA C1") + ms("ms-g", "b", "MP C1") + ms("ms-g", "b", "ME C1") + ms("ms-g", "b", "MR C1") + "mg ms-g v\r\n", expect: "HD\r\nEX\r\nEX\r\nNS\r\nEX\r\nVA 1\r\na\r\n" },
  { name: "ms I without C is a plain set", send: ms("ms-h", "x", "I") + "mg ms-h v\r\n", expect: "HD\r\nVA 1\r\nx\r\n" },
  { name: "ms echoes k, O and c in request order; NS carries c0", send: ms("ms-i", "x", "k c O1") + ms("ms-i", "y", "ME k c O1"), expect: "HD kms-i c<cas1> O1\r\nNS kms-i c0 O1\r\n" },
  { name: "ms T and F", send: ms("ms-j", "x", "T100 F7") + "mg ms-j t f\r\n" + ms("ms-j", "x", "T-1") + "mg ms-j v\r\n", expect: "HD\r\nHD t100 f7\r\nHD\r\nEN\r\n" },
  { name: "ms accepts and ignores mg-only letters", send: ms("ms-k", "x", "v h l t s f u N5 R5 P L D5 J5") + "mg ms-k v f t\r\n", expect: "HD\r\nVA 1 f0 t-1\r\n" + "x\r\n" },
  { name: "ms zero-length value and bad data chunks", send: "ms ms-l 0\r\n\r\nmg ms-l v\r\nms ms-l 2\r\nabc\r\nmg ms-l v\r\nms ms-l 3\r\nab\r\n\r\nmn\r\n", expect: "HD\r\nVA 0\r\n\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nVA 0\r\n\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nMN\r\n" },
  { name: "ms value split across writes", send: ["ms ms-m 10 T0\r\n01234", "56789\r", "\nmg ms-m v\r\n"], pauseMs: 30, expect: "HD\r\nVA 10\r\n0123456789\r\n" },
  { name: "ms missing or bad datalen: not swallowed", send: "ms ms-n\r\nms ms-n x\r\nmn\r\nms ms-n -1\r\nmn\r\nms ms-n 2147483647\r\nmn\r\nms ms-n S100\r\nmn\r\n", expect: BAD_FORMAT.repeat(2) + "MN\r\n" + BAD_FORMAT + "MN\r\n" + BAD_FORMAT + "MN\r\n" + BAD_FORMAT + "MN\r\n" },
  { name: "ms errors after datalen swallow the value", send: ms("ms-o", "mn", "zz") + ms("ms-o", "mn", "MZ") + ms("ms-o", "mn", "MSS") + ms("ms-o", "mn", `${opaque(33)}`) + ms("ms-o", "mn", "Tx") + ms("ms-o", "mn", "Cx") + ms("ms-o", "mn", "Fx") + "mn\r\n", expect: INVALID + "CLIENT_ERROR invalid mode for ms M token\r\nCLIENT_ERROR incorrect length for M token\r\n" + OPAQUE_TOO_LONG + BAD_TOKEN + BAD_TOKEN + BAD_FORMAT + "MN\r\n" },
  { name: "ms too large: swallowed, the old value deleted", send: ms("ms-p", "old") + `ms ms-p 2000000\r\n${big(2000000)}\r\nmg ms-p v\r\nmn\r\n`, expect: "HD\r\n" + TOO_LARGE + "EN\r\nMN\r\n" },
  { name: "ms too large arriving in pieces, with q", send: ["ms ms-q 1048576 q\r\n", big(600000), big(448576) + "\r\nmn\r\n"], pauseMs: 20, expect: TOO_LARGE + "MN\r\n" },
  { name: "ms just under the item size limit", send: `ms ms-r 1048000\r\n${big(1048000)}\r\nmg ms-r s\r\n`, expect: "HD\r\nHD s1048000\r\n" },
];

const mdCases: Case[] = [
  { name: "md: HD, NF, k and O echoed", send: ms("md-a", "x") + "md md-a k O5\r\nmd md-a k O5\r\nmg md-a v\r\n", expect: "HD\r\nHD kmd-a O5\r\nNF kmd-a O5\r\nEN\r\n" },
  { name: "md C: mismatch is EX", send: [ms("md-b", "x") + "md md-b C1 k\r\nmg md-b c\r\n", (r) => `md md-b C${/HD c(\d+)/.exec(r.toString("latin1"))![1]}\r\nmg md-b v\r\n`], expect: "HD\r\nEX kmd-b\r\nHD c<cas1>\r\nHD\r\nEN\r\n" },
  { name: "md accepts and ignores other letters", send: "md md-c v h l t s f u N5 R5 P L D5 J5 c\r\n" + ms("md-c", "x") + "md md-c v h l t s f u N5 R5 P L D5 J5 c\r\n", expect: "NF\r\nHD\r\nHD\r\n" },
];

const maCases: Case[] = [
  { name: "ma: NF, vivify with N/J (delta not applied), D, modes", send: "ma ma-a\r\nma ma-a N0\r\nma ma-a N0 J10 D5 v\r\nma ma-a v\r\nma ma-a D5 v\r\nma ma-a MD D100 v\r\nma ma-a M- v\r\nma ma-a M+ D3 v\r\nma ma-a MI v\r\nma ma-a Md v\r\nma ma-a Mi v\r\n", expect: "NF\r\nHD\r\nVA 1\r\n5\r\nVA 1\r\n6\r\nVA 2\r\n11\r\nVA 1\r\n0\r\nVA 1\r\n0\r\nVA 1\r\n3\r\nVA 1\r\n4\r\n" + "CLIENT_ERROR invalid mode for ma M token\r\n".repeat(2) },
  { name: "ma: wraps at 2^64, decr clamps at 0", send: "ma ma-b N0 J18446744073709551615 v\r\nma ma-b v\r\nma ma-b MD v\r\nma ma-b N0 J18446744073709551616\r\n", expect: "VA 20\r\n18446744073709551615\r\nVA 1\r\n0\r\nVA 1\r\n0\r\n" + INVALID_OR_DUP },
  { name: "ma: non-numeric values", send: ms("ma-c", "ab") + "ma ma-c\r\n" + "ms ma-c 0\r\n\r\nma ma-c\r\n" + ms("ma-c", "-5") + "ma ma-c\r\n", expect: "HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nHD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nHD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n" },
  { name: "ma: return flags t c O k, T sets the TTL, N on a hit ignored", send: ms("ma-d", "10") + "ma ma-d v t c O9 k N0 T30\r\nma ma-d v t\r\nma ma-d C1 v\r\nma ma-e N30 v t c O9 k\r\n", expect: "HD\r\nVA 2 t-1 c<cas1> O9 kma-d\r\n11\r\nVA 2 t30\r\n12\r\nEX\r\nVA 1 t30 c<cas2> O9 kma-e\r\n0\r\n" },
  // In pieces: memcached rewrites in place only when no queued reply still references the
  // item, and a pipelined `mg v` reply does until it is sent (wasmcached has no references).
  // memcached sets T on the item do_add_delta returns: the old one when the number outgrew it,
  // so the TTL change is lost (t still reports it); rewritten in place, it sticks.
  { name: "ma: T is lost when the number outgrows its item", send: ms("ma-t1", "99") + "ma ma-t1 T1000 t v\r\nmg ma-t1 t v\r\n", expect: "HD\r\nVA 3 t1000\r\n100\r\nVA 3 t-1\r\n100\r\n" },
  { name: "ma: T sticks when the number is rewritten in place", send: ms("ma-t2", "100") + "ma ma-t2 T1000 t\r\nmg ma-t2 t\r\n", expect: "HD\r\nHD t1000\r\nHD t1000\r\n" },
  { name: "ma: q silences a hit but its T still acts", send: ms("ma-q1", "0") + "ma ma-q1 T-1 q\r\nmg ma-q1\r\n" + ms("ma-q2", "0") + "ma ma-q2 T100 q\r\nmg ma-q2 t\r\n", expect: "HD\r\nEN\r\nHD\r\nHD t100\r\n" },
  { name: "ma: in-place result keeps the length (space padded)", send: [ms("ma-f", "100") + "ma ma-f MD v\r\nmg ma-f v s\r\n", "ma ma-f MD D95 v\r\n", "mg ma-f v\r\n"], pauseMs: 50, expect: "HD\r\nVA 2\r\n99\r\nVA 3 s3\r\n99 \r\nVA 1\r\n4\r\nVA 3\r\n4  \r\n" },
  { name: "ma C with the current CAS", send: [ms("ma-g", "1") + "mg ma-g c\r\n", (r) => `ma ma-g C${/HD c(\d+)/.exec(r.toString("latin1"))![1]} v c\r\n`], expect: "HD\r\nHD c<cas1>\r\nVA 1 c<cas2>\r\n2\r\n" },
  { name: "ma accepts and ignores other letters", send: "ma ma-h N0 h l s f u R5 P L F5 I\r\nma ma-h v s f\r\n", expect: "HD\r\nVA 1\r\n1\r\n" },
];

const meCases: Case[] = [
  { name: "me: hit, miss, b, fetch, exp counting the wrong way (1.6.18)", send: "me me-nope\r\n" + ms("me-a", "abc", "T100 F3") + "me me-a\r\nmg me-a v\r\nme me-a\r\nme me-a x\r\nme me-a b\r\nme bWUtYQ== b\r\nme me-a b x\r\n", expect: "EN\r\nHD\r\nME me-a exp=-100 la=0 cas=<cas1> fetch=no cls=1 size=70\r\nVA 3\r\nabc\r\nME me-a exp=-100 la=0 cas=<cas1> fetch=yes cls=1 size=70\r\nME me-a exp=-100 la=0 cas=<cas1> fetch=yes cls=1 size=70\r\n" + BAD_FORMAT + "ME me-a exp=-100 la=0 cas=<cas1> fetch=yes cls=1 size=70\r\n" + BAD_FORMAT },
  { name: "me: class and size of a larger item", send: ms("me-b", big(5000)) + "me me-b\r\n", expect: "HD\r\nME me-b exp=-1 la=0 cas=<cas1> fetch=no cls=19 size=5063\r\n" },
];

describeCorpus("meta protocol", [
  ...mg, ...vivify, ...quiet, ...base64, ...opaques, ...tokenLimits, ...flagErrors, ...msCases, ...mdCases, ...maCases, ...meCases,
], META);
