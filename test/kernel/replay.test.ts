/**
 * Real-kernel evidence on every machine: test/fixtures/kernel/ holds the bytes of a real VM's
 * and vCPUs' binary stats fds and a real QEMU's QMP replies (written by `npm run
 * fixtures:kvm` where /dev/kvm exists; manifest.json says which kernel and QEMU). Replayed here
 * without KVM: our decoder against an independent reader, our encoder byte for byte, the
 * checker, our schemas against QEMU's query-stats-schemas of the same kernel, and our qmp:
 * client reading QEMU's recorded replies.
 */
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { checkBytes } from "../../src/check/check.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { statValue } from "../../src/model/value.js";
import { openSource } from "../../src/providers/registry.js";
import { parseLossless } from "../../src/qmp/client/client.js";
import { encodeFile } from "../../src/views/binary/index.js";
import { schemaResults } from "../../src/views/qmp/schemas.js";
import { readStats } from "../kvm/helpers.js";
import { deepReverse, plain } from "../qmp/compare.js";

const DIR = join(import.meta.dirname, "../../../test/fixtures/kernel");
const STATS = ["vm.stats", "vcpu-0.stats", "vcpu-1.stats"];
const fixture = (name: string) => readFileSync(join(DIR, name));
const qemuReturn = (name: string) => (parseLossless(fixture(name).toString("utf8")) as { return: unknown }).return;

/** A QMP peer that greets as QEMU 7.2 and answers from the recorded replies. */
async function recordedQemu(path: string): Promise<Server> {
  const greeting = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';
  const replies: Record<string, string> = {
    "query-stats-schemas": fixture("qemu-query-stats-schemas.json").toString("utf8").trim(),
    "query-stats vm": fixture("qemu-query-stats-vm.json").toString("utf8").trim(),
    "query-stats vcpu": fixture("qemu-query-stats-vcpu.json").toString("utf8").trim(),
  };
  const server = createServer((s) => {
    s.on("error", () => undefined);
    s.write(greeting);
    let buf = "";
    s.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const req = JSON.parse(buf.slice(0, nl)) as { execute: string; arguments?: { target?: string }; id?: unknown };
        buf = buf.slice(nl + 1);
        const key = req.execute === "query-stats" ? `query-stats ${req.arguments?.target}` : req.execute;
        const line = req.execute === "qmp_capabilities" ? '{"return": {}}' : (replies[key] ?? '{"return": []}');
        const withId = req.id === undefined ? line : `${line.slice(0, -1)}, "id": ${JSON.stringify(req.id)}}`;
        s.write(`${withId}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

describe("real-kernel fixtures (test/fixtures/kernel)", () => {
  let files: StatsFile[] = [];
  before(async () => {
    for (const name of STATS) {
      await using s = await openSource(join(DIR, name));
      files.push(...s.files.map((f) => ({ identity: f.identity, schema: f.schema, data: f.data.slice() }) as StatsFile));
    }
  });
  after(() => {
    files = [];
  });

  it("were captured from a real kernel: header, ids and the statistics this kernel serves", () => {
    const manifest = JSON.parse(fixture("manifest.json").toString("utf8")) as { kernel: string; files: string[] };
    assert.match(manifest.kernel, /^\d+\.\d+/);
    for (const f of STATS) assert.ok(manifest.files.includes(f), f);
    const [vm, vcpu] = files;
    assert.match(vm?.identity.id ?? "", /^kvm-\d+$/);
    assert.equal(vcpu?.identity.id, `${vm?.identity.id}/vcpu-0`);
    const hist = vcpu?.schema.descriptors.find((d) => d.name === "halt_wait_hist");
    assert.equal(hist?.size, 32);
    const exits = vcpu?.schema.descriptors.find((d) => d.name === "exits");
    assert.ok(vcpu && exits);
    assert.ok((statValue(exits, vcpu.data) as bigint) > 0n, "the vCPU ran");
  });

  it("our decoder reads what an independent pread reader reads", () => {
    for (const [i, name] of STATS.entries()) {
      const fd = openSync(join(DIR, name), "r");
      try {
        const plainRead = readStats(fd);
        const f = files[i] as StatsFile;
        assert.equal(plainRead.id, f.identity.id);
        assert.equal(plainRead.numDesc, f.schema.descriptors.length);
        for (const d of f.schema.descriptors) {
          const v = statValue(d, f.data);
          assert.deepEqual(
            plainRead.values.get(d.name),
            Array.isArray(v) ? v : [typeof v === "boolean" ? (v ? 1n : 0n) : v],
            `${name} ${d.name}`,
          );
        }
      } finally {
        closeSync(fd);
      }
    }
  });

  it("our encoder writes the kernel's bytes back exactly", () => {
    for (const [i, name] of STATS.entries()) assert.deepEqual(Buffer.from(encodeFile(files[i] as StatsFile)), fixture(name), name);
  });

  it("the checker finds the kernel's files conforming", () => {
    for (const name of STATS) assert.deepEqual(checkBytes(fixture(name), { kvm: true }), [], name);
  });

  it("our schemas of the kernel's files equal QEMU's query-stats-schemas on the same kernel", () => {
    assert.deepEqual(schemaResults(files.slice(0, 2)), plain(deepReverse(qemuReturn("qemu-query-stats-schemas.json"))));
  });

  it("our qmp: client reads QEMU's recorded replies: the kernel's schemas, values in bucket order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statsfs-replay-"));
    const server = await recordedQemu(join(dir, "qmp.sock"));
    try {
      await using s = await openSource(`qmp:${join(dir, "qmp.sock")}`);
      const vcpus = s.files.filter((f) => f.identity.target === "vcpu");
      assert.equal(vcpus.length, 2);
      const kernelVcpu = files[1] as StatsFile;
      for (const f of s.files) {
        const kernel = f.identity.target === "vm" ? (files[0] as StatsFile) : kernelVcpu;
        assert.deepEqual(
          f.schema.descriptors.map((d) => [d.name, d.type, d.unit, d.base, d.exponent, d.size, d.bucketSize]),
          kernel.schema.descriptors.map((d) => [d.name, d.type, d.unit, d.base, d.exponent, d.size, d.bucketSize]),
          `${f.identity.id}: the kernel's descriptors, in the kernel's order`,
        );
      }
      // Every recorded value, histograms put back in bucket order (QEMU lists vCPU 0 last).
      const recorded = (
        qemuReturn("qemu-query-stats-vcpu.json") as { "qom-path": string; stats: { name: string; value: unknown }[] }[]
      ).reverse();
      let nonzeroLists = 0;
      recorded.forEach((r, i) => {
        const f = vcpus[i] as StatsFile;
        assert.equal(f.identity.path, r["qom-path"]);
        for (const st of r.stats) {
          const d = f.schema.descriptors.find((x) => x.name === st.name);
          assert.ok(d, st.name);
          const want = Array.isArray(st.value) ? [...st.value].reverse() : st.value;
          assert.deepEqual(statValue(d, f.data), want, `${f.identity.id} ${st.name}`);
          if (Array.isArray(st.value) && st.value.some((x) => x !== 0n)) nonzeroLists++;
        }
      });
      assert.ok(nonzeroLists > 0, "a recorded histogram has samples, so bucket order is really checked");
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
