/**
 * @module bench/fs
 * The statsfs filesystem read from another process (this one; `statsfs mount` runs as a
 * child): one value file by open+read+close and by pread on a kept fd, the directory's
 * `.stats` by pread, beside the kernel's own anchors in the same run — pread of a real KVM
 * stats fd, and sysfs/procfs files by open+read+close and by pread. Then a full walk (readdir
 * and read of every file) of a 256-vCPU VM, by this process and by `find | xargs cat`.
 * Goals: one value read <= 50 us median; the walk <= 2 s. FUSE needs /dev/fuse, not KVM: without
 * /dev/kvm the same cases run over the simulated VM (`sim:`, 7 statistics per vCPU instead of
 * the kernel's 47), without the kernel stats fd anchor.
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StatsFile } from "../../src/model/stats-file.js";
import type { FdStatsFile } from "../../src/providers/file/fd-file.js";
import { kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";
import { openSource } from "../../src/providers/registry.js";
import type { BenchCase } from "../case.js";
import { compare, round3 } from "../harness.js";

const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const VCPUS = 256;

async function startMount(dir: string, source: string): Promise<{ stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [CLI, "mount", dir, source], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.stderr?.on("data", (b: Buffer) => {
      err += b.toString();
      if (err.includes("mounted")) resolve();
    });
    void exited.then(() => reject(new Error(`statsfs mount exited: ${err.trim()}`)));
  });
  return {
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

function walk(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const r = walk(p);
      files += r.files;
      bytes += r.bytes;
    } else if (e.isFile()) {
      files++;
      bytes += readFileSync(p).byteLength;
    }
  }
  return { files, bytes };
}

function readWhole(path: string, buf: Buffer): number {
  const fd = openSync(path, "r");
  try {
    return readSync(fd, buf, 0, buf.byteLength, 0);
  } finally {
    closeSync(fd);
  }
}

export async function cases(): Promise<BenchCase[]> {
  const why = existsSync("/dev/fuse") ? (process.getuid?.() === 0 ? undefined : "mounting needs root") : "/dev/fuse is missing";
  if (why !== undefined) {
    console.error(`bench fs: skipped, ${why}`);
    return [];
  }
  const kvmWhy = kvmUnavailableReason();
  if (kvmWhy !== undefined) console.error(`bench fs: no KVM (${kvmWhy}): the simulated VM instead, no kernel stats fd anchor`);
  const vmUri = (vcpus: number) => (kvmWhy === undefined ? `kvm:demo?vcpus=${vcpus}&run=0` : `sim:?vcpus=${vcpus}`);
  const base = mkdtempSync(join(tmpdir(), "statsfs-bench-fs-"));
  const mnt = join(base, "m");
  mkdirSync(mnt);
  const m = await startMount(mnt, vmUri(VCPUS));
  try {
    const [pid] = readdirSync(join(mnt, "kvm")).filter((n) => /^\d+$/.test(n));
    const vm = join(mnt, "kvm", pid as string);

    // The full walk first, while nothing is cached by the kernel yet.
    let t0 = performance.now();
    const first = walk(mnt);
    const walkMs = performance.now() - t0;
    t0 = performance.now();
    walk(mnt);
    const warmMs = performance.now() - t0;
    t0 = performance.now();
    execFileSync("sh", ["-c", `find '${mnt}' -type f -print0 | xargs -0 cat > /dev/null`]);
    const findMs = performance.now() - t0;

    // One value, and the kernel's anchors.
    await using one = await openSource(vmUri(1));
    const kf = one.files[1] as StatsFile;
    const kbuf = Buffer.alloc(kf.schema.dataSize);
    const value = join(vm, "vcpu-0/exits");
    const stats = join(vm, "vcpu-0/.stats");
    const sysfs = "/sys/devices/system/cpu/online";
    const procfs = "/proc/loadavg";
    const buf = Buffer.alloc(4096);
    const kept = openSync(value, "r");
    const keptStats = openSync(stats, "r");
    const keptSys = openSync(sysfs, "r");
    const statsSize = readFileSync(stats).byteLength;
    const dataPos = statsSize - kf.schema.dataSize;
    try {
      const fns: Record<string, () => unknown> = {
        open: () => readWhole(value, buf),
        pread: () => readSync(kept, buf, 0, 64, 0),
        statsPread: () => readSync(keptStats, kbuf, 0, kbuf.byteLength, dataPos),
        sysOpen: () => readWhole(sysfs, buf),
        sysPread: () => readSync(keptSys, buf, 0, 64, 0),
        procOpen: () => readWhole(procfs, buf),
      };
      if (kvmWhy === undefined) {
        const fdFile = kf as FdStatsFile;
        const kpos = fdFile.reader.layout.dataOffset;
        fns.kernelFd = () => readSync(fdFile.fd, kbuf, 0, kbuf.byteLength, kpos);
      }
      const t = compare(fns, 200, 11);
      const goal = (text: string) => (kvmWhy === undefined ? text : `${text}; simulated VM (no /dev/kvm)`);
      const us = (ns: number | undefined) => round3((ns ?? 0) / 1000);
      return [
        {
          case: "one value file from another process, open+read+close",
          unit: "us/read",
          ours: us(t.open),
          peers: { "sysfs file, open+read+close": us(t.sysOpen), "procfs /proc/loadavg, open+read+close": us(t.procOpen) },
          note: goal("goal <= 50 us median"),
        },
        {
          case: "one value file, pread on a kept fd",
          unit: "us/read",
          ours: us(t.pread),
          peers: {
            "sysfs file, pread on a kept fd": us(t.sysPread),
            [`statsfs .stats data block, pread (${kbuf.byteLength} bytes)`]: us(t.statsPread),
            ...(kvmWhy === undefined ? { [`kernel KVM stats fd, pread (${kbuf.byteLength} bytes)`]: us(t.kernelFd) } : {}),
          },
          note: goal("goal <= 50 us median"),
        },
        {
          case: `walk and read every file of a ${VCPUS}-vCPU VM (${first.files} files, ${first.bytes} bytes)`,
          unit: "ms",
          ours: round3(walkMs),
          peers: { "same walk again (kernel caches warm)": round3(warmMs), "find -type f | xargs cat": round3(findMs) },
          note: goal("goal <= 2000 ms"),
        },
      ];
    } finally {
      closeSync(kept);
      closeSync(keptStats);
      closeSync(keptSys);
    }
  } finally {
    await m.stop();
    rmSync(base, { recursive: true, force: true });
  }
}
