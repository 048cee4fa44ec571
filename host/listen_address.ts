// memcached's -l entries: `host`, `host:port`, `[v6]:port`, a bare IPv6 address or `*`, each
// optionally prefixed `notls:` to serve plain TCP beside TLS listeners (-Z). TCP and UDP read
// the same list: an entry's own port overrides -p (or -U).

export interface ListenAddress {
  /** The interface; "" means every interface (`*`). */
  host: string;
  /** The entry's own port, else the flag's; -1 asks for any free port. */
  port: number;
  /** -Z is on and the entry has no `notls:` prefix. */
  tls: boolean;
}

// memcached skips the character after it, whatever it is (meant to be the colon).
const NOTLS = "notls";

/** An entry memcached refuses; the message is its own, and it exits with EX_OSERR. */
export class ListenError extends Error {}

/**
 * memcached's complaint, then its error line naming the entries of all -l flags (joined with
 * commas, as it joins them). `reason` carries its own line end: memcached prints one IPv6
 * complaint without any.
 */
function failure(reason: string, entries: readonly string[]): ListenError {
  return new ListenError(`${reason}failed to listen on one of interface(s) ${entries.join(",")}: Success`);
}

// strtol's whole-word rule, as memcached's safe_strtol applies it to a port.
function parsePort(text: string): number | null {
  return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : null;
}

function parseEntry(entry: string, port: number, sslEnabled: boolean, all: readonly string[]): ListenAddress {
  let p = entry;
  let tls = sslEnabled;
  if (p.startsWith(NOTLS)) {
    if (!sslEnabled) throw failure("'notls' option is valid only when SSL is enabled\n", all);
    tls = false;
    p = p.slice(NOTLS.length + 1);
  }
  let bracketed: string | null = null;
  if (p.startsWith("[")) {
    const close = p.indexOf("]");
    if (close < 0) throw failure(`Invalid IPV6 address: "${p}"`, all);
    bracketed = p.slice(1, close);
    p = p.slice(close + 1);
  }
  let host = p;
  const colon = p.indexOf(":");
  // A second colon without brackets can only be a bare IPv6 address.
  if (colon >= 0 && (bracketed !== null || p.indexOf(":", colon + 1) < 0)) {
    const given = parsePort(p.slice(colon + 1));
    if (given === null) throw failure(`Invalid port number: "${p.slice(colon + 1)}"\n`, all);
    port = given;
    host = p.slice(0, colon);
  }
  if (bracketed !== null) host = bracketed;
  return { host: host === "*" ? "" : host, port, tls };
}

/** The listeners -l asks for, on `port` unless an entry names its own. Throws ListenError. */
export function listenAddresses(entries: readonly string[], port: number, sslEnabled: boolean): ListenAddress[] {
  return entries.map((e) => parseEntry(e, port, sslEnabled, entries));
}
