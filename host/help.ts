// `-h`: the flags and -o suboptions, laid out as memcached's help is. Test harnesses read it to
// learn what the server supports (memcached's t/lib greps it for "unix-socket", "sasl",
// "enable-ssl", "ext_path", "proxy_config"), so it lists exactly what this server accepts and
// nothing it does not.
import { OPTIONS, OptionSpec, ACCEPTED_NOOP_SUBOPTIONS } from "./options.js";

// memcached's help: the flag column is this wide, then the text.
const FLAG_COLUMN = 26;
const NOOPS_PER_ROW = 4;
const SUBOPTION_INDENT = "   - ";
// Accepted but left out of the help: memcached's harness reads their mention as "this build
// drops privileges with seccomp" and runs its privilege tests, which wasmcached does not do.
const UNADVERTISED = new Set(["drop_privileges", "no_drop_privileges"]);

const ARG_NAMES: Record<NonNullable<OptionSpec["arg"]>, string> = {
  num: "num", size: "num", float: "num", text: "value", list: "addr", octal: "mask",
};

function row(left: string, text: string): string {
  const pad = left.length < FLAG_COLUMN ? " ".repeat(FLAG_COLUMN - left.length) : " ";
  return `${left}${pad}${text}\n`;
}

function withDefault(spec: OptionSpec): string {
  if (spec.arg === undefined || spec.default === "" || spec.help.includes("default")) return spec.help;
  const shown = spec.arg === "octal" ? (spec.default as number).toString(8) : String(spec.default);
  return `${spec.help} (default: ${shown})`;
}

function flagRows(): string {
  let out = "";
  for (const spec of OPTIONS) {
    if (!spec.long) continue;
    const arg = spec.arg ? `=<${ARG_NAMES[spec.arg]}>` : "";
    const left = spec.short ? `-${spec.short}, --${spec.long}${arg}` : `    --${spec.long}${arg}`;
    out += row(left, withDefault(spec));
  }
  return out;
}

function suboptionRows(): string {
  let out = "";
  for (const spec of OPTIONS) {
    if (spec.sub) out += row(`${SUBOPTION_INDENT}${spec.sub}:`, withDefault(spec));
    if (spec.noSub) out += row(`${SUBOPTION_INDENT}${spec.noSub}:`, `turns ${spec.sub ?? spec.noSub.slice(3)} off`);
  }
  out += row(`${SUBOPTION_INDENT}modern:`, "enables options which will be default in future (currently: nothing)");
  out += row(`${SUBOPTION_INDENT}no_modern:`, "memcached 1.4's defaults: 1 MiB slab chunks, flat LRU, no crawler,");
  out += row("", "no maintainer, no slab reassign or automove");
  out += row(`${SUBOPTION_INDENT}no_chunked_items:`, "items in one chunk however large (slab_chunk_max = 1 MiB)");
  const noops = [...ACCEPTED_NOOP_SUBOPTIONS].filter((s) => s !== "modern" && !UNADVERTISED.has(s));
  out += row(`${SUBOPTION_INDENT}accepted, no effect:`, "");
  for (let i = 0; i < noops.length; i += NOOPS_PER_ROW) out += row("", noops.slice(i, i + NOOPS_PER_ROW).join(", "));
  return out;
}

export function renderHelp(version: string, memcachedVersion: string): string {
  return `wasmcached ${version} (memcached ${memcachedVersion} compatible)\n` +
    flagRows() +
    row("-h, --help", "print this help and exit") +
    row("-V, --version", "print version and exit") +
    row("-o, --extended", "comma separated list of extended options") +
    suboptionRows();
}
