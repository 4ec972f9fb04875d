/**
 * @module test/fs/tree
 * The filesystem's tree and text without a kernel: placement by identity labels, aggregates
 * in parents, value text, and what may be written.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layOut } from "../../src/model/descriptor.js";
import { decodeFileName } from "../../src/model/file-name.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { makeIdentity, parseId, type StatsIdentity } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import type { SyncStatsSource } from "../../src/providers/source.js";
import { SourceSet } from "../../src/views/fs/sources.js";
import { isResetText, valueText } from "../../src/views/fs/text.js";
import { type DirNode, type FileNode, safeName, Tree } from "../../src/views/fs/tree.js";

const { descriptors, dataSize } = layOut([
  { name: "exits" },
  { name: "max_mmu_rmap_size", type: StatType.Peak },
  { name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean },
  { name: "halt_wait_hist", type: StatType.Log2Histogram, unit: StatUnit.Seconds, exponent: -9, size: 4 },
]);

function file(identity: StatsIdentity, values: bigint[]): StatsFile {
  const data = new BigUint64Array(dataSize / 8);
  data.set(values);
  return { identity, schema: { descriptors, dataSize, nameSize: 48 }, data };
}

function source(files: StatsFile[]): SyncStatsSource {
  return {
    uri: "test:",
    files,
    capabilities: { pollSync: true, raw: false, reset: false },
    poll: async () => {},
    pollSync: () => {},
    close: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}

function tree(files: StatsFile[]): Tree {
  return new Tree(new SourceSet([source(files)], 0, 0).refs());
}

function text(t: Tree, path: string): string {
  const n = t.byPath.get(path) as FileNode | undefined;
  assert.ok(n && n.kind === "file", `${path} is a file`);
  const c = n.content;
  if (c.kind === "value") return valueText(c.ref.file.schema.descriptors[c.index] as never, c.ref.file.data);
  if (c.kind === "aggregate") {
    c.agg.evaluate(c.index);
    return valueText(c.agg.schema.descriptors[c.index] as never, c.agg.data);
  }
  throw new Error(`${path} is not a value file`);
}

describe("statsfs tree", () => {
  const vm = file(parseId("kvm-42"), [1n, 0n, 0n, 0n, 0n, 0n, 0n]);
  const v0 = file(parseId("kvm-42/vcpu-0"), [10n, 7n, 0n, 1n, 2n, 3n, 2n ** 64n - 1n]);
  const v1 = file(parseId("kvm-42/vcpu-1"), [5n, 9n, 1n, 1n, 1n, 1n, 1n]);

  it("places VMs by pid with vcpu-N inside, and aggregates parents (sum; max for peaks and booleans)", () => {
    const t = tree([vm, v0, v1]);
    assert.deepEqual([...(t.byPath.get("/kvm/42") as DirNode).children.keys()].sort(), [
      ".schema",
      ".stats",
      "blocking",
      "exits",
      "halt_wait_hist",
      "max_mmu_rmap_size",
      "vcpu-0",
      "vcpu-1",
    ]);
    assert.equal(text(t, "/kvm/42/vcpu-0/exits"), "10\n");
    // The VM's own exits wins over the aggregate of the same name in the VM directory…
    assert.equal(text(t, "/kvm/42/exits"), "1\n");
    // …and the provider directory sums VM and vCPUs: 1 + 10 + 5.
    assert.equal(text(t, "/kvm/exits"), "16\n");
    assert.equal(text(t, "/kvm/max_mmu_rmap_size"), "9\n");
    assert.equal(text(t, "/kvm/blocking"), "1\n");
    // Bucket sums wrap modulo 2^64: the last bucket is 0 + (2^64 - 1) + 1.
    assert.equal(text(t, "/kvm/halt_wait_hist"), "[0, 1) ns: 2\n[1, 2) ns: 3\n[2, 4) ns: 4\n[4, inf) ns: 0\n");
    assert.equal(text(t, "/kvm/42/vcpu-0/halt_wait_hist"), "[0, 1) ns: 1\n[1, 2) ns: 2\n[2, 4) ns: 3\n[4, inf) ns: 18446744073709551615\n");
  });

  it("names a VM by its guest when known, with its pid as a symlink", () => {
    const g = file(makeIdentity("kvm-7", "kvm", "vm", { guest: "web", pid: "7" }), []);
    const c = file(makeIdentity("kvm-7/vcpu-0", "kvm", "vcpu", { guest: "web", pid: "7", vcpu: "0" }), [3n]);
    const t = tree([g, c]);
    assert.equal(t.byPath.get("/kvm/7")?.kind, "link");
    assert.equal(text(t, "/kvm/web/vcpu-0/exits"), "3\n");
  });

  it("places producer sources by their path, processes as @instance, with no extra aggregates", () => {
    const http = file(parseId("statsfs/http"), [4n]);
    const route = file(parseId("statsfs/http/route-1"), [3n]);
    const inst = file(parseId("statsfs-a1b2/http"), [2n]);
    const t = tree([http, route, inst]);
    assert.equal(text(t, "/statsfs/http/exits"), "4\n");
    assert.equal(text(t, "/statsfs/http/route-1/exits"), "3\n");
    assert.equal(text(t, "/statsfs/http/@a1b2/exits"), "2\n");
    assert.equal(t.byPath.get("/statsfs/exits"), undefined);
  });

  it("gives a second file for the same place a ~2 name and keeps names safe", () => {
    const t = tree([file(parseId("kvm-1"), [1n]), file(parseId("kvm-1"), [2n])]);
    assert.equal(text(t, "/kvm/1/exits"), "1\n");
    assert.equal(text(t, "/kvm/1~2/exits"), "2\n");
    // Reversible (model/file-name): only what a name cannot hold is escaped.
    assert.equal(safeName("a/b"), "a%2Fb");
    assert.equal(safeName(".."), "%2E.");
    assert.equal(safeName(""), "%00");
    assert.equal(safeName('{route="/users/:id"}'), '{route="%2Fusers%2F:id"}');
    for (const s of ["a/b", "..", "", "50%", "x\ny", '{route="/users/:id"}']) assert.equal(decodeFileName(safeName(s)), s);
  });

  it("makes nothing writable for read-only sources", () => {
    const t = tree([vm, v0]);
    for (const n of t.byPath.values()) if (n.kind === "file") assert.equal(n.reset, undefined, n.path);
  });
});

describe("statsfs written text", () => {
  it("a reset is exactly 0, or 0 and a newline; nothing else", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.equal(isResetText(enc("0\n")), true);
    assert.equal(isResetText(enc("0")), true);
    for (const bad of [
      "",
      "\n",
      " 0",
      "  0 ",
      "00",
      "0 ",
      "0\r\n",
      "0\n\n",
      "\n0",
      "1",
      "-1",
      "0x0",
      "zero",
      "1e3",
      "0 0",
      "0".repeat(65),
    ]) {
      assert.equal(isResetText(enc(bad)), false, JSON.stringify(bad));
    }
    assert.equal(isResetText(new Uint8Array([0xff, 0xfe])), false);
  });
});
