// InputBuffer hands the core what a connection has buffered: borrowed chunks, kept leftovers,
// and copyTo, which copies into the core's input area without a view when it can.
import { expect } from "chai";
import { InputBuffer } from "../../host/input_buffer.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("host: InputBuffer.copyTo", () => {
  const LIMIT = 1024;

  function copied(input: InputBuffer, max: number): string {
    const dest = new Uint8Array(64).fill(0x2e); // '.'
    const n = input.copyTo(dest, 4, max);
    return text(dest.subarray(0, 4 + n + 2));
  }

  it("a chunk used whole lands at the offset, and nothing past its end is written", () => {
    const input = new InputBuffer(LIMIT);
    input.append(bytes("get a\r\n"));
    expect(copied(input, 100)).to.equal("....get a\r\n..");
  });

  it("only the borrowed chunk's first n bytes count", () => {
    const input = new InputBuffer(LIMIT);
    input.append(bytes("get a\r\nJUNK"), 7);
    expect(copied(input, 100)).to.equal("....get a\r\n..");
  });

  it("what the core consumed is not copied again", () => {
    const input = new InputBuffer(LIMIT);
    input.append(bytes("get a\r\nget b\r\n"));
    input.drop(7);
    expect(copied(input, 100)).to.equal("....get b\r\n..");
  });

  it("at most `max` bytes, the rest staying buffered", () => {
    const input = new InputBuffer(LIMIT);
    input.append(bytes("get a\r\nget b\r\n"));
    expect(copied(input, 7)).to.equal("....get a\r\n..");
    expect(input.length).to.equal(14);
  });

  it("a kept leftover and the chunk after it are copied as one", () => {
    const input = new InputBuffer(LIMIT);
    input.append(bytes("get a\r\nget"));
    input.drop(7);
    input.keep();
    input.append(bytes(" b\r\n"));
    expect(copied(input, 100)).to.equal("....get b\r\n..");
  });
});
