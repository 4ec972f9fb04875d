/**
 * UnionSource without peers: members told apart where their files would be confused, writes
 * routed to the member that owns the file, capabilities combined.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openSources } from "../../src/providers/registry.js";
import { resetStat } from "../../src/providers/source.js";

describe("union of sources", () => {
  it("two simulated VMs with the same ids: every file gets its member label, ids stay", async () => {
    await using u = await openSources(["sim:", "sim:?vcpus=1"]);
    assert.deepEqual(
      u.files.map((f) => [f.identity.id, f.identity.labels.member]),
      [
        ["kvm-0", "0"],
        ["kvm-0/vcpu-0", "0"],
        ["kvm-0/vcpu-1", "0"],
        ["kvm-0", "1"],
        ["kvm-0/vcpu-0", "1"],
      ],
    );
    assert.deepEqual(u.capabilities, { pollSync: true, raw: false, reset: false });
    assert.throws(
      () => resetStat(u, u.files[0] as never, "exits"),
      /^UsageError: sim: sim:\?vcpus=1: kvm-0 exits: this source does not support resetting/,
    );
  });

  it("a source that cannot be opened closes the ones already open and says which", async () => {
    await assert.rejects(openSources(["sim:", "nope:x"]), /unknown source scheme "nope:"/);
  });
});
