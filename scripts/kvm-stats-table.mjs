// Writes the table of src/providers/debugfs/kvm-stats.ts (as JSON rows) from this kernel: a throwaway VM and vCPU, their
// binary stats fds' descriptors. Needs /dev/kvm and a build (npm run build).

import { FdStatsFile } from "../dist/src/providers/file/fd-file.js";
import { Kvm } from "../dist/src/providers/kvm/kvm.js";

const kvm = new Kvm();
const vm = kvm.createVm();
const vcpu = vm.createVcpu(0);
const out = {};
for (const [target, fd] of [
  ["vm", vm.statsFd()],
  ["vcpu", vcpu.statsFd()],
]) {
  const f = new FdStatsFile(fd, "probe", true);
  out[target] = f.schema.descriptors.map((d) => [d.name, d.type, d.unit, d.base, d.exponent, d.size, d.bucketSize]);
  f.close();
}
console.log(JSON.stringify(out));
