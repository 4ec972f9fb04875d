/**
 * A QMP peer whose results mix schemas (a real KVM VM and a simulated one behind one serve):
 * each file read back has exactly the statistics its result has — none padded in as zeros —
 * and `top` over the peer shows what `read` shows.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { cli, kvmSkipReason } from "../helpers.js";

describe("a QMP reply mixing schemas", { skip: kvmSkipReason() }, () => {
  let dir: string;
  let sources: StatsSource[];
  let server: QmpServer;
  let sock: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "statsfs-mixed-"));
    sock = join(dir, "s.sock");
    sources = [await openSource("kvm:demo?vcpus=1&run=0"), await openSource("sim:?vcpus=1")];
    server = await QmpServer.listen(`unix:${sock}`, { sources });
  });
  after(async () => {
    await server?.close();
    await Promise.all((sources ?? []).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("read back: every file has exactly its own statistics", async () => {
    await using back = await openSource(`qmp:${sock}`);
    const origins = [...(sources[0]?.files ?? []), ...(sources[1]?.files ?? [])];
    assert.equal(back.files.length, origins.length);
    for (const f of back.files) {
      const origin = origins.find((o) => o.identity.id === f.identity.id);
      assert.ok(origin, `${f.identity.id} is one of ${origins.map((o) => o.identity.id).join(" ")}`);
      assert.deepEqual(f.schema.descriptors.map((d) => d.name).sort(), origin.schema.descriptors.map((d) => d.name).sort(), f.identity.id);
    }
    const simVcpu = back.files.find((f) => f.identity.id === "kvm-0/vcpu-0");
    assert.ok(simVcpu);
    assert.ok(!simVcpu.schema.descriptors.some((d) => d.name === "halt_poll_fail_hist"), "the sim vCPU has no halt_poll_fail_hist");
    const r = await cli("read", `qmp:${sock}`, "--json", "--vcpu", "0");
    const sim = (JSON.parse(r.out) as { id: string; stats: { name: string }[] }[]).find((x) => x.id === "kvm-0/vcpu-0");
    assert.ok(sim && !sim.stats.some((s) => s.name === "halt_poll_fail_hist"));
  });
});
