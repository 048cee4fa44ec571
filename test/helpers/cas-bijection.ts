// A server's CAS values against a model's own numbering. Nothing says the two count alike
// (the server may spend CAS ids the model does not know of), only that they correspond one to
// one: the same server CAS always stands for the same model CAS and the reverse. The pairing is
// learned as CAS values are seen, and any later sighting must agree with it.
const NEVER_ISSUED = 1n << 62n;

export class CasBijection {
  private readonly toModel = new Map<bigint, bigint>();
  private readonly toServer = new Map<bigint, bigint>();

  /** Whether the server showing `server` where the model holds `model` is consistent (binds a new pair). */
  match(server: bigint, model: bigint): boolean {
    const m = this.toModel.get(server);
    const s = this.toServer.get(model);
    if (m === undefined && s === undefined) {
      this.toModel.set(server, model);
      this.toServer.set(model, server);
      return true;
    }
    return m === model && s === server;
  }

  /** Whether the server's value for this model CAS is known. */
  knows(model: bigint): boolean { return this.toServer.has(model); }

  /**
   * What to send the server for a model CAS: its paired value, or (never seen) one the server has
   * not issued, which matches nothing there as the model's unpaired number matches nothing live.
   * 0 stays 0: it means "no CAS" to both.
   */
  server(model: bigint): bigint {
    if (model === 0n) return 0n;
    return this.toServer.get(model) ?? NEVER_ISSUED + model;
  }

  /** The pair a server CAS is bound to, for failure messages. */
  describe(server: bigint, model: bigint): string {
    return `server CAS ${server} (paired with model ${this.toModel.get(server) ?? "none"}), ` +
      `model CAS ${model} (paired with server ${this.toServer.get(model) ?? "none"})`;
  }
}
