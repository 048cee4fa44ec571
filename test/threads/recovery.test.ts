// The recovery protocol between threads (host/threads/recovery.ts), step by step on one
// thread: each SharedRecovery below stands for one thread's gate, over a shared host block and
// a stand-in for the core's RECOVERY word, so an interleaving that timing makes rare in a
// server (test/threads/traps.test.ts) is played in a fixed order.
import { expect } from "chai";
import { SharedRecovery, RecoveryPending } from "../../host/threads/recovery.js";
import { SharedHost, createSharedHost } from "../../host/threads/shared_host.js";
import type { Recovery } from "../../host/engine_api.js";

const THREADS = 4;
const MAX_CONNS = 8;

// Threads sharing one host block and one RECOVERY word, as the core's exports would raise and
// lower it (raise: 1 for the first thread to trap; lower: every lock released).
function threads(): SharedRecovery[] {
  const init = createSharedHost(THREADS, MAX_CONNS, "recovery-test");
  const core = new Int32Array(new SharedArrayBuffer(4));
  const raise = () => Atomics.compareExchange(core, 0, 0, 1) === 0;
  const lower = () => { Atomics.store(core, 0, 0); };
  return Array.from({ length: THREADS }, (_, t) => new SharedRecovery(new SharedHost(init, t), () => core, 0, raise, lower));
}

const reset = (): Recovery => ({ outcome: "reset", reason: "the check trapped", ms: 0 });
const intact = (): Recovery => ({ outcome: "intact", ms: 0 });
const notCalled = (): Recovery => { throw new Error("this thread must not check again"); };

describe("threads: recovery between threads, one interleaving at a time", () => {
  it("a thread that trapped while another recovered follows that recovery instead of starting one", () => {
    const [a, b] = threads();
    a.enter(); // a is inside the core when b traps
    b.enter();
    a.leave(); // a traps too: the call's gate lets it out first
    b.leave();
    expect(b.recover(reset, true).outcome).to.equal("reset");
    // b's check ran after a had left, so it covered whatever a's trap left: a takes its outcome.
    const r = a.recover(notCalled, true);
    expect(r.outcome).to.equal("reset");
  });

  it("a thread that slept through two recoveries learns of the reset in the first", () => {
    const [a, b, c] = threads();
    b.enter();
    b.leave();
    expect(b.recover(reset, true).outcome).to.equal("reset");
    // c learns of it at its next call, then traps on its own: a whole cache, kept.
    expect(() => c.enter()).to.throw(RecoveryPending);
    expect(c.recover(notCalled, false).outcome).to.equal("reset");
    c.enter();
    c.leave();
    expect(c.recover(intact, true).outcome).to.equal("intact");
    // a called nothing through both: its connections' records went with the first.
    expect(() => a.enter()).to.throw(RecoveryPending);
    expect(a.recover(notCalled, false).outcome).to.equal("reset");
  });
});
