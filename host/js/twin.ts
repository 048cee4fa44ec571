// `--engine js`: the pure-JS twin of the server's engine — the JS text protocol over a JS
// storage engine — so the same driver, tests and benchmarks run on plain JavaScript objects
// as on the WASM core. What the twin does not serve is refused at start-up, before a client
// could mistake it for the WASM server.
import type { ServerOptions } from "../options.js";
import { JsEngine } from "./js_engine.js";
import { JsTextProtocol } from "./protocol.js";

export const ENGINES = ["wasm", "js"] as const;
export type EngineName = typeof ENGINES[number];

export interface JsTwin {
  storage: JsEngine;
  protocol: JsTextProtocol;
}

/** Why these options cannot run on the JS twin, or null when they can. */
export function jsTwinRefusal(o: ServerOptions): string | null {
  if (o.engine !== "js") return null;
  const refuse = (what: string) => `--engine js serves the text protocol over TCP only: ${what} needs --engine wasm`;
  if (o.sasl) return refuse("-S (SASL authentication)");
  if (o.bindingProtocol === "binary") return refuse("-B binary (the binary protocol)");
  if (o.authFile) return refuse("-Y (text protocol authentication)");
  if (o.udpPort !== 0) return refuse("-U (UDP)");
  if (o.sslEnabled) return refuse("-Z (TLS)");
  if (o.memoryFile) return refuse("-e (a restartable cache)");
  return null;
}

export function createJsTwin(opts: ServerOptions): JsTwin {
  const storage = JsEngine.create(opts);
  return { storage, protocol: new JsTextProtocol(storage, opts) };
}
