/**
 * @module providers/qmp/identity
 * Ids for the stats files of a QMP peer, chosen so that `parseId` gives back the same
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
import { kvmVcpuId, kvmVmId, makeIdentity, parseId, type StatsIdentity, withLabels } from "../../model/identity.js";

/**
 * The identity for result `index` of `provider`/`target` with `qomPath` from the peer with
 * process id `pid` (0 when unknown). Labels: pid where known, vcpu for kvm vCPUs, qom_path.
 */
export function synthesizeIdentity(
  provider: string,
  target: string,
  qomPath: string | undefined,
  index: number,
  pid: number,
): StatsIdentity {
  const qom = qomPath === undefined ? {} : { qom_path: qomPath };
  const fits = (id: string, limit = 48) => {
    const back = parseId(id);
    return back.provider === provider && back.target === target && Buffer.byteLength(id) < limit;
  };
  // A qom-path our own server synthesized names the id it came from.
  if (qomPath?.startsWith("/") && fits(qomPath.slice(1))) return { ...withLabels(parseId(qomPath.slice(1)), qom), path: qomPath };
  const pidLabel = pid > 0 ? String(pid) : undefined;
  if (provider === "kvm" && target === "vm") return makeIdentity(kvmVmId(pid), provider, target, { pid: pidLabel, ...qom }, qomPath);
  if (provider === "kvm" && target === "vcpu")
    return makeIdentity(kvmVcpuId(pid, index), provider, target, { pid: pidLabel, vcpu: String(index), ...qom }, qomPath);
  // A source's path names it whatever its length (a producer's label sets make long ones).
  if (qomPath?.startsWith("/") && fits(`${provider}${qomPath}`, Number.POSITIVE_INFINITY))
    return { ...withLabels(parseId(`${provider}${qomPath}`), qom), path: qomPath };
  const id = target === "vm" ? `${provider}-${pid}` : `${provider}-${pid}/${target}-${index}`;
  return makeIdentity(id, provider, target, { pid: pidLabel, ...qom }, qomPath);
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
