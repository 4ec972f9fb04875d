/**
 * @module bench/spine
 * Polling every stats file of a 256-vCPU demo VM: our source's poll (decode into the snapshot
 * arrays) against the floor, a bare readSync loop over the same fds into preallocated buffers.
 */
import { readSync } from "node:fs";
import type { FdStatsFile } from "../../src/providers/file/fd-file.js";
import { kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";
import { openSource } from "../../src/providers/registry.js";
import { isSyncSource } from "../../src/providers/source.js";
import type { BenchCase } from "../case.js";
import { compare, round3 } from "../harness.js";

const VCPUS = 256;

export async function cases(): Promise<BenchCase[]> {
  const why = kvmUnavailableReason();
  if (why !== undefined) {
    console.error(`bench spine: skipped, ${why}`);
    return [];
  }
  await using s = await openSource(`kvm:demo?vcpus=${VCPUS}&run=0`);
  if (!isSyncSource(s)) throw new Error("kvm:demo is expected to poll synchronously");
  const files = s.files as FdStatsFile[];
  const raw = files.map((f) => ({ fd: f.fd, buf: new Uint8Array(f.schema.dataSize), pos: f.reader.layout.dataOffset }));
  const vcpus = files.length - 1;
  const copies = files.map((f) => new BigUint64Array(f.data.length));
  const t = compare(
    {
      ours: () => s.pollSync(),
      "ours+copy": () => {
        s.pollSync();
        for (const [i, f] of files.entries()) copies[i]?.set(f.data);
      },
      readSync: () => {
        for (const r of raw) readSync(r.fd, r.buf, 0, r.buf.length, r.pos);
      },
    },
    50,
  );
  const perVcpu = (ns: number | undefined) => round3((ns ?? 0) / 1000 / (vcpus + 1));
  return [
    {
      case: `poll ${VCPUS}-vCPU VM (all stats files)`,
      unit: "us/vcpu",
      ours: perVcpu(t.ours),
      peers: {
        "readSync floor": perVcpu(t.readSync),
        "ours + copy to snapshot": perVcpu(t["ours+copy"]),
        "QEMU 7.2 query-stats (FACTS.md)": 424,
      },
      note: "goal <= 1.5 us/vcpu",
    },
  ];
}
