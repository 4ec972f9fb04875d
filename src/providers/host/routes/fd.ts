/**
 * @module providers/host/routes/fd
 * Route `fd`: the binary stats fds a VMM keeps open, duplicated into this process with
 * pidfd_open + pidfd_getfd (as root) and read with pread — no monitor, no vCPU interruption,
 * the kernel's own layout. The pidfd guards against pid reuse: after opening it the process's
 * start time is checked again, and each duplicate is checked to still be the stats fd the scan
 * saw (the VMM may have closed and reused that number meanwhile).
 */

import { closeSync, readlinkSync } from "node:fs";
import { AsyncClosable } from "../../../closable.js";
import { pidfdGetfd, pidfdOpen } from "../../../sys/pidfd.js";
import { FdStatsFile } from "../../file/fd-file.js";
import { startTime } from "../../proc.js";
import type { HostVm } from "../enumerate.js";
import { RouteUnavailable, routeLabels, type VmLabels, type VmRoute } from "./route.js";

/** Which of the VMM's stats fds to take. */
export interface FdWanted {
  readonly vm: boolean;
  readonly vcpus: boolean;
}

/** The fd route over the stats fds `vm` holds; throws {@link RouteUnavailable}. */
export function openFdRoute(vm: HostVm, labels: VmLabels, want: FdWanted): FdRoute {
  const targets: { fd: number; link: string; what: string }[] = [];
  if (want.vm) for (const fd of vm.vmStatsFds.slice(0, 1)) targets.push({ fd, link: "anon_inode:kvm-vm-stats", what: "vm stats" });
  if (want.vcpus)
    for (const [i, fd] of [...vm.vcpuStatsFds].sort((a, b) => a[0] - b[0]))
      targets.push({ fd, link: `anon_inode:kvm-vcpu-stats:${i}`, what: `vcpu ${i} stats` });
  if (targets.length === 0) throw new RouteUnavailable(`${vm.vmm} holds no stats fds`);
  let pidfd: number;
  try {
    pidfd = pidfdOpen(vm.pid);
  } catch (e) {
    throw new RouteUnavailable(e instanceof Error ? e.message : String(e));
  }
  const files: FdStatsFile[] = [];
  try {
    if (`${vm.pid}@${startTime(vm.pid)}` !== vm.key) throw new RouteUnavailable(`pid ${vm.pid} exited (or was reused)`);
    for (const t of targets) {
      let fd: number;
      try {
        fd = pidfdGetfd(pidfd, t.fd, `pid ${vm.pid} fd ${t.fd}`);
      } catch (e) {
        throw new RouteUnavailable(e instanceof Error ? e.message : String(e));
      }
      let link = "";
      try {
        link = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        // checked below
      }
      if (link !== t.link) {
        closeSync(fd);
        throw new RouteUnavailable(`pid ${vm.pid} fd ${t.fd} is no longer its ${t.what} fd`);
      }
      files.push(new FdStatsFile(fd, `pid ${vm.pid} ${t.what} fd ${t.fd}`, true, { labels: routeLabels(labels, "fd") }));
    }
  } catch (e) {
    for (const f of files) f.close();
    closeSync(pidfd);
    if (e instanceof RouteUnavailable) throw e;
    throw new RouteUnavailable(e instanceof Error ? e.message : String(e));
  }
  closeSync(pidfd);
  return new FdRoute(files);
}

/** Open stats fds of one VM. */
export class FdRoute extends AsyncClosable implements VmRoute {
  readonly route = "fd" as const;
  readonly files: readonly FdStatsFile[];
  constructor(files: readonly FdStatsFile[]) {
    super();
    this.files = files;
  }
  pollSync(): void {
    for (const f of this.files) f.poll();
  }
  async poll(): Promise<void> {
    this.pollSync();
  }
  protected async closing(): Promise<void> {
    for (const f of this.files) f.close();
  }
}
