/**
 * Issue 8, defect 6 against the real peer: a SIGSTOPped QEMU. A bounded poll ends at its
 * timeout with a one-line error naming the source; in a union the QEMU is marked stale while
 * the other member keeps answering; after SIGCONT the same connection answers again. Needs no
 * KVM: without /dev/kvm QEMU runs with -accel tcg (no statistics, the same protocol).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openSources } from "../../src/providers/registry.js";
import type { UnionSource } from "../../src/providers/union.js";
import { QmpTimeoutError } from "../../src/qmp/errors.js";
import { type Qemu, qemuAccel, qemuSkipReason, startQemu } from "../qmp/qemu.js";

const skip = qemuSkipReason();

describe("a poll against a stopped QEMU", { skip }, () => {
  let qemu: Qemu;
  before(async () => {
    qemu = await startQemu(2);
  });
  after(async () => {
    qemu.process.kill("SIGCONT");
    await qemu.stop();
  });

  it("is bounded; the QEMU is stale in a union and answers again after SIGCONT", async () => {
    const uri = `qmp:${qemu.socket}`;
    await using u = await openSources([uri, "sim:?vcpus=1"]);
    const count = u.files.length;
    const fromQemu = qemuAccel() === "kvm" ? 3 : 0; // a TCG QEMU has no KVM statistics
    assert.equal(count, fromQemu + 2, "QEMU's VM and two vCPUs (under KVM), the simulated VM and its vCPU");
    qemu.process.kill("SIGSTOP");
    try {
      await u.poll({ timeoutMs: 200 });
      assert.deepEqual(
        u.members?.map((m) => [m.state, m.reason]),
        [
          ["stale", `${uri}: no reply to query-stats within 200 ms (the peer is stalled; values are from the last poll)`],
          ["ok", undefined],
        ],
      );
      assert.equal(u.files.length, count, "the stalled QEMU keeps its files");
      const member = (u as UnionSource).sources[0];
      assert.ok(member);
      await assert.rejects(member.poll({ timeoutMs: 100 }), QmpTimeoutError);
    } finally {
      qemu.process.kill("SIGCONT");
    }
    await u.poll({ timeoutMs: 30_000 });
    assert.deepEqual(
      u.members?.map((m) => m.state),
      ["ok", "ok"],
    );
  });
});
