// Which protocol serves a connection's bytes (memcached's try_read_command_negotiate).
//
// -B auto decides on a connection's first byte: 0x80, the binary request magic, means binary,
// anything else text. -B ascii / -B binary decide without looking (-S implies binary, -Y
// ascii). With -Y, a text connection must log in (auth.ts) before its commands are served.
import { thread32, ThreadGlobal } from "../layout/thread";
import { LogType } from "../abi/log";
import { Global, global32, settingOn, settingU32 } from "../layout/layout";
import { Setting, BindingProtocol } from "../abi/settings";
import { connProto, setConnProto, PROTO_NEGOTIATING, PROTO_ASCII, PROTO_BINARY } from "../session/conn";
import { processText } from "./text";
import { processBinary, REQUEST_MAGIC } from "./binary";
import { processLogin, authenticated } from "./auth";
import { logWanted, logBegin, logStr, logU64, logEnd, connFd } from "../logger/logger";

function negotiate(c: usize, first: u8): void {
  const binding = settingU32(Setting.BINDING_PROTOCOL);
  let binary = first == REQUEST_MAGIC;
  if (binding == BindingProtocol.ASCII) binary = false;
  else if (binding == BindingProtocol.BINARY) binary = true;
  // Whatever -B says, a login can only be asked for in its own protocol: no way around it.
  if (settingOn(Setting.SASL)) binary = true;
  else if (settingOn(Setting.ASCII_AUTH)) binary = false;
  setConnProto(c, binary ? PROTO_BINARY : PROTO_ASCII);
  if (logWanted(LogType.VERBOSE)) traceProtocol(binary);
}

// -vv: memcached announces the protocol a connection settled on.
function traceProtocol(binary: bool): void {
  const e = logBegin(LogType.VERBOSE);
  logU64(e, connFd());
  logStr(e, binary ? ": Client using the binary protocol" : ": Client using the ascii protocol");
  logEnd(e);
}

// Serves [base, base + len) for connection record `c`; returns bytes consumed, with PROC_FLAGS
// and PROC_NEED saying what comes next (session/conn.ts).
export function processInput(c: usize, base: usize, len: u32): u32 {
  if (len == 0) return 0;
  if (connProto(c) == PROTO_NEGOTIATING) negotiate(c, load<u8>(base));
  if (connProto(c) == PROTO_BINARY) return processBinary(c, base, len);
  if (!settingOn(Setting.ASCII_AUTH) || authenticated(c)) return processText(c, base, len);
  const n = processLogin(c, base, len);
  if (!authenticated(c) || thread32(ThreadGlobal.PROC_FLAGS) != 0 || n == len) return n;
  return n + processText(c, base + n, len - n);
}
