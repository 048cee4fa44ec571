// Reads without a Buffer per read. node:net makes an ArrayBuffer for every read and pushes it
// through a Readable stream; a request at depth 1 is one read, so that was a fixed cost per
// request. Here every plain socket of this thread is read into one receive buffer, and the
// driver gets the bytes during the read callback (it copies only what it keeps:
// host/input_buffer.ts). This is net.Socket's `onread` option, which node:net offers only to
// the sockets it connects; an accepted socket gets it through the same two fields of the socket
// and the handle method that option sets. Pausing, resuming and EOF then work as they do for
// `onread` sockets. Where the fields are missing (another runtime's node:net, another Node),
// the socket keeps its 'data' events.
import type net from "node:net";
import { READ_CHUNK_MAX } from "../driver.js";

/** A read: `n` bytes at the start of `bytes`, valid only during the call (node:net's `onread`
 * callback: returning false would pause the socket, so it returns nothing). */
export type OnRead = (n: number, bytes: Uint8Array) => void;

interface OnreadFields {
  buffer: symbol;
  callback: symbol;
}

interface UserBufferHandle {
  useUserBuffer?(buffer: Uint8Array): void;
}

// One per thread (each isolate loads its own copy of this module): callbacks run one at a time.
const RECEIVE = new Uint8Array(READ_CHUNK_MAX);
// The socket's own symbols for `onread`, found on the first socket (null: not there).
let fields: OnreadFields | null | undefined;

function onreadFields(s: net.Socket): OnreadFields | null {
  if (fields !== undefined) return fields;
  const named = (name: string) => Object.getOwnPropertySymbols(s).find((x) => x.description === name);
  const buffer = named("kBuffer");
  const callback = named("kBufferCb");
  fields = buffer && callback ? { buffer, callback } : null;
  return fields;
}

/** Reads `s` into this thread's receive buffer; false where the runtime cannot. */
export function readInPlace(s: net.Socket, onRead: OnRead): boolean {
  const handle = (s as unknown as { _handle?: UserBufferHandle })._handle;
  const f = onreadFields(s);
  if (!f || typeof handle?.useUserBuffer !== "function") return false;
  const socket = s as unknown as Record<symbol, unknown>;
  socket[f.buffer] = RECEIVE;
  socket[f.callback] = onRead;
  handle.useUserBuffer(RECEIVE);
  return true;
}
