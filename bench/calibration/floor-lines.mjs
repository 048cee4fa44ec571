// What the do-nothing servers parse: line ends only. A line is known by its first byte (a set's
// command line is followed by its data line) and answered at its end, which may come in a
// later read than its start when requests are pipelined.
const SET_FIRST_BYTE = 0x73; // 's'
const LF = 10;

export class Lines {
  constructor(getReply, storedReply) {
    this.getReply = getReply;
    this.storedReply = storedReply;
    this.dataNext = false; // the next line is a set's data block
    this.owed = undefined; // the reply owed when the line in progress ends; null: a set's command line
  }

  /** The replies owed for the lines `chunk` ends. */
  replies(chunk) {
    const out = [];
    let i = 0;
    while (i < chunk.length) {
      if (this.owed === undefined) this.owed = this.startLine(chunk[i]);
      const nl = chunk.indexOf(LF, i);
      if (nl < 0) break;
      if (this.owed === null) this.dataNext = true;
      else out.push(this.owed);
      this.owed = undefined;
      i = nl + 1;
    }
    return out;
  }

  startLine(firstByte) {
    if (this.dataNext) {
      this.dataNext = false;
      return this.storedReply;
    }
    return firstByte === SET_FIRST_BYTE ? null : this.getReply;
  }
}
