/**
 * @module providers/qmp/identity
 * Ids for the stats files of a QMP peer, chosen so that `identityFromId` gives back the same
 * provider and target (a snapshot of a `qmp:` source reads back as the same kinds of files):
 *
 * - kvm VM: `kvm-<pid>`, kvm vCPU i (in vCPU order): `kvm-<pid>/vcpu-<i>` — what the kernel
 *   names QEMU's own stats fds — where <pid> is QEMU's process id when it can be found (the
 *   owner of the Unix socket's listening end, via /proc), else 0;
 * - a qom-path our server synthesized (`/kvm-1234/vcpu-0`) gives back its id (`kvm-1234/vcpu-0`),
 *   and the VM's id with it: our server's VM results have no qom-path (as QEMU's have none), so
 *   the VMs take the ids their vCPUs name (`kvm-1234`, in order) when those name one per VM;
 * - other providers: `<provider><qom-path>` (`statsfs/app/http`), else `<provider>-<pid>` for a
 *   target vm and `<provider>-<pid>/<target>-<i>` otherwise.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { resolve } from "node:path";
import { identityFromId } from "../source.js";

/** The id for result `index` of `provider`/`target` with `qomPath`. */
export function synthesizeId(provider: string, target: string, qomPath: string | undefined, index: number, pid: number): string {
  const fits = (id: string) => {
    const back = identityFromId(id);
    return back.provider === provider && back.target === target && Buffer.byteLength(id) < 48;
  };
  if (qomPath?.startsWith("/") && fits(qomPath.slice(1))) return qomPath.slice(1);
  if (provider === "kvm") {
    if (target === "vm") return `kvm-${pid}`;
    if (target === "vcpu") return `kvm-${pid}/vcpu-${index}`;
  }
  if (qomPath?.startsWith("/") && fits(`${provider}${qomPath}`)) return `${provider}${qomPath}`;
  return target === "vm" ? `${provider}-${pid}` : `${provider}-${pid}/${target}-${index}`;
}

const SYNTHESIZED_VCPU = /^\/(kvm-\d+)\/vcpu-\d+$/;

/**
 * The ids of `vmCount` kvm VMs as their vCPUs' synthesized qom-paths name them (distinct, in
 * order), or undefined when they do not name exactly one per VM.
 */
export function vmIdsFromVcpus(
  vcpus: readonly { readonly provider: string; readonly "qom-path"?: string }[],
  vmCount: number,
): string[] | undefined {
  if (vmCount === 0) return undefined;
  const ids: string[] = [];
  for (const r of vcpus) {
    if (r.provider !== "kvm" || r["qom-path"] === undefined) continue;
    const m = SYNTHESIZED_VCPU.exec(r["qom-path"]);
    if (m && !ids.includes(m[1] as string)) ids.push(m[1] as string);
  }
  return ids.length === vmCount ? ids : undefined;
}

const LISTENING = 0x10000; // __SO_ACCEPTCON in /proc/net/unix flags

/**
 * The pid of the process listening on Unix socket `path` (QEMU), or undefined. Looks the
 * socket's inode up in /proc/net/unix, then for an fd on it among processes named qemu*.
 */
export function listenerPid(path: string): number | undefined {
  try {
    const want = new Set([path, resolve(path)]);
    let inode: string | undefined;
    for (const line of readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 8 && want.has(f[7] as string) && (Number.parseInt(f[3] as string, 16) & LISTENING) !== 0) {
        inode = f[6];
        break;
      }
    }
    if (inode === undefined) return undefined;
    const link = `socket:[${inode}]`;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let comm: string;
      try {
        comm = readFileSync(`/proc/${pid}/comm`, "utf8");
      } catch {
        continue;
      }
      if (!comm.startsWith("qemu")) continue;
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return Number(pid);
        }
      } catch {
        // not ours to read
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}
