/**
 * Two real QEMUs behind one `serve` (a union): each keeps its id, qom-paths and vCPU
 * numbering (under KVM), and one QEMU killed never fails a query for the other (on every
 * machine: without /dev/kvm the QEMUs run with -accel tcg and have no statistics, but the
 * union still polls both and marks only the dead one).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { UnionSource } from "../../src/providers/union.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { type Qemu, qemuAccel, qemuKvmSkipReason, qemuSkipReason, startQemu } from "./qemu.js";

const skip = qemuSkipReason();
const kvm = qemuAccel() === "kvm";

describe("a union of two QEMUs behind serve", { skip }, () => {
  let a: Qemu;
  let b: Qemu;
  let sources: StatsSource[];
  let server: QmpServer;
  let dir: string;
  before(async () => {
    [a, b] = await Promise.all([startQemu(2), startQemu(3)]);
    sources = [await openSource(`qmp:${a.socket}`), await openSource(`qmp:${b.socket}`)];
    dir = mkdtempSync(join(tmpdir(), "statsfs-union-"));
    server = await QmpServer.listen(`unix:${join(dir, "s.sock")}`, { sources });
  });
  after(async () => {
    await server?.close();
    await Promise.all((sources ?? []).map((s) => s.close()));
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps distinct ids, qom-paths and vCPU numbers, read back through our client", { skip: skip ?? qemuKvmSkipReason() }, async () => {
    await using back = await openSource(`qmp:${join(dir, "s.sock")}`);
    const vcpus = back.files.filter((f) => f.identity.target === "vcpu");
    const ids = vcpus.map((f) => f.identity.id);
    const pa = a.process.pid;
    const pb = b.process.pid;
    assert.deepEqual(ids, [`kvm-${pa}/vcpu-0`, `kvm-${pa}/vcpu-1`, `kvm-${pb}/vcpu-0`, `kvm-${pb}/vcpu-1`, `kvm-${pb}/vcpu-2`]);
    const paths = vcpus.map((f) => f.identity.path);
    assert.equal(new Set(paths).size, paths.length, `qom-paths distinct: ${paths.join(" ")}`);
    assert.deepEqual(
      back.files.filter((f) => f.identity.target === "vm").map((f) => f.identity.id),
      [`kvm-${pa}`, `kvm-${pb}`],
    );
    assert.deepEqual(
      vcpus.map((f) => [f.identity.labels.pid, f.identity.labels.vcpu]),
      [
        [String(pa), "0"],
        [String(pa), "1"],
        [String(pb), "0"],
        [String(pb), "1"],
        [String(pb), "2"],
      ],
    );
  });

  it("one QEMU killed: the other keeps answering; the union marks only the dead member", async () => {
    // The union the server polls, over the same (connected) sources; not closed here: the test owns them.
    const u = new UnionSource(sources);
    await a.stop();
    await u.poll({ timeoutMs: 5000 });
    assert.deepEqual(
      u.members.map((m) => m.state),
      ["failed", "ok"],
    );
    assert.ok(u.members[0]?.reason, "a reason for the failed member");
    assert.equal(u.files.length, kvm ? 4 : 0, "B's VM and three vCPUs (a TCG QEMU has none)");
    assert.ok(u.files.every((f) => f.identity.labels.pid === String(b.process.pid)));
    // The server over the same two sources answers with B's values only.
    await using back = await openSource(`qmp:${join(dir, "s.sock")}`);
    assert.deepEqual(
      back.files.map((f) => f.identity.id),
      kvm ? [`kvm-${b.process.pid}`, ...[0, 1, 2].map((i) => `kvm-${b.process.pid}/vcpu-${i}`)] : [],
    );
  });
});
