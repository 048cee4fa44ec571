// Timers must not keep a process alive on their own: Node and Bun timers have unref(); Deno's
// are numbers, unreferenced with Deno.unrefTimer.
const Deno = (globalThis as unknown as { Deno?: { unrefTimer(id: number): void } }).Deno;

export function unref(t: unknown): void {
  if (typeof t === "number") Deno?.unrefTimer(t);
  else (t as { unref?: () => void }).unref?.();
}
