// CAS values are server-specific: two servers never issue the same numbers, so comparing their
// replies byte for byte needs the numbers replaced by what does have to agree, which replies
// share a CAS. Labels go by order of first appearance within one reply.

/** Labels `<cas1>`, `<cas2>`… by first appearance; 0 stays 0 (it means "no CAS" to both). */
export class CasLabels {
  private readonly seen = new Map<string, string>();

  label(v: string | bigint): string {
    const key = String(v);
    if (key === "0") return key;
    let l = this.seen.get(key);
    if (!l) this.seen.set(key, (l = `<cas${this.seen.size + 1}>`));
    return l;
  }
}
