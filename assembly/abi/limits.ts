// Sizes both sides of the ABI must agree on. Plain TypeScript, imported by the core and the host.

// memcached's KEY_MAX_LENGTH.
export const KEY_MAX_LENGTH = 250;
// Room kept free in the reply area before any command: enough for every reply but a get's values.
export const OUT_RESERVE = 256 * 1024;
// The receive area holds at least this much, and always a whole storage command: its line
// (LINE_ROOM) and an item_size_max value.
export const IO_MIN = 1 << 20;
export const LINE_ROOM = 64 * 1024;

// The receive area: four times IO_MIN, and always a line plus an item_size_max value.
// (`number` is f64 in AssemblyScript: these run in the core and the host alike.)
export function inputAreaSize(itemSizeMax: number): number {
  return Math.max(4 * IO_MIN, itemSizeMax + LINE_ROOM);
}

// The reply area: one item_size_max value with its line, plus twice the room kept free for
// every other reply.
export function outputAreaSize(itemSizeMax: number): number {
  return Math.max(IO_MIN, itemSizeMax + LINE_ROOM) + 2 * OUT_RESERVE;
}
