/**
 * @module test/fs/mount
 * `statsfs mount` against the real kernel: a FUSE mount served by a child process, read and
 * written by this process and by shell tools exactly as any program would. FUSE needs
 * /dev/fuse, not KVM: the VM tests run over the simulated VM (`sim:`) on every machine, and
 * over a real demo VM (`kvm:demo`) too where /dev/kvm exists.
 */
import assert from "node:assert/strict";
import { execFileSync, fork, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { openSource } from "../../src/providers/registry.js";
import { hasKvm } from "../skip.js";
import { CLI, fuseSkipReason, isMounted, type MountProc, startMount } from "./helpers.js";

const skip = fuseSkipReason();
/** Which VMs the mount tests show: the simulated VM everywhere, a real demo VM where /dev/kvm exists. */
const KINDS: readonly ("kvm" | "sim")[] = hasKvm() ? ["kvm", "sim"] : ["sim"];
/** A VM source with `vcpus` vCPUs, held still where it can be (kvm: created, not run); `pid` names a simulated VM. */
const vmSource = (kind: "kvm" | "sim", vcpus: number, pid = 0) =>
  kind === "kvm" ? `kvm:demo?vcpus=${vcpus}&run=0` : `sim:?vcpus=${vcpus}&pid=${pid}`;
/** The least number of statistics of one vCPU (the kernel has 47, the simulated VM 7). */
const perVcpu = (kind: "kvm" | "sim") => (kind === "kvm" ? 40 : 7);
const PRODUCER = fileURLToPath(new URL("./fixtures/producer.js", import.meta.url));

const sh = (script: string) => execFileSync("sh", ["-c", script], { encoding: "utf8", maxBuffer: 64 << 20 });
/** `echo TEXT > FILE` in bash (dash says "I/O error" for every failed write): "" on success, else the message. */
function echoTo(text: string, file: string): string {
  try {
    execFileSync("bash", ["-c", `echo ${text} > '${file}'`], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    return "";
  } catch (e) {
    return (e as { stderr: string }).stderr;
  }
}
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
  return "ok";
};

/** Waits for `cond` (at most 20 s, checking every 50 ms); throws naming `what` otherwise. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** A plain pread reader of the binary layout (no statsfs code): name → values. */
function preadStats(path: string): Map<string, bigint[]> {
  const fd = openSync(path, "r");
  try {
    const at = (pos: number, size: number) => {
      const b = Buffer.alloc(size);
      assert.equal(readSync(fd, b, 0, size, pos), size);
      return b;
    };
    const h = at(0, 24);
    const nameSize = h.readUInt32LE(4);
    const numDesc = h.readUInt32LE(8);
    const descOffset = h.readUInt32LE(16);
    const dataOffset = h.readUInt32LE(20);
    const out = new Map<string, bigint[]>();
    const stride = 16 + nameSize;
    const descs = at(descOffset, numDesc * stride);
    for (let i = 0; i < numDesc; i++) {
      const d = descs.subarray(i * stride);
      const size = d.readUInt16LE(6);
      const offset = d.readUInt32LE(8);
      const name = d
        .subarray(16, 16 + nameSize)
        .toString("latin1")
        .replace(/\0.*$/s, "");
      const vals = at(dataOffset + offset, size * 8);
      out.set(
        name,
        Array.from({ length: size }, (_, k) => vals.readBigUInt64LE(k * 8)),
      );
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Parses a value file's text to its numbers (the count column of histogram lines). */
function numbers(text: string): bigint[] {
  return text
    .trim()
    .split("\n")
    .map((l) => BigInt(l.slice(l.lastIndexOf(" ") + 1)));
}

for (const kind of KINDS)
  describe(`statsfs mount: a 64-vCPU VM (${kind})`, { skip }, () => {
    let base: string;
    let mnt: string;
    let m: MountProc;
    let vmDir: string;
    before(async () => {
      base = mkdtempSync(join(tmpdir(), "statsfs-fuse-"));
      mnt = join(base, "m");
      mkdirSync(mnt);
      m = await startMount(mnt, [vmSource(kind, 64)]);
      const [pid] = readdirSync(join(mnt, "kvm")).filter((n) => /^\d+$/.test(n));
      vmDir = join(mnt, "kvm", pid as string);
    });
    after(async () => {
      await m?.stop("SIGKILL");
      try {
        execFileSync("umount", ["-l", mnt], { stdio: "ignore" });
      } catch {}
      rmSync(base, { recursive: true, force: true });
    });

    it("ls, cat and stat show one file per statistic", () => {
      assert.deepEqual(readdirSync(mnt), ["kvm"]);
      const names = readdirSync(vmDir);
      for (let i = 0; i < 64; i++) assert.ok(names.includes(`vcpu-${i}`), `vcpu-${i}`);
      assert.ok(names.includes(".schema") && names.includes(".stats"));
      assert.match(readFileSync(join(vmDir, "vcpu-63/exits"), "utf8"), /^\d+\n$/);
      assert.match(readFileSync(join(vmDir, "vcpu-0/blocking"), "utf8"), /^[01]\n$/);
      const hist = readFileSync(join(vmDir, "vcpu-0/halt_wait_hist"), "utf8").split("\n");
      assert.equal(hist[0], "[0, 1) ns: 0");
      assert.equal(hist[31], "[1073741824, inf) ns: 0");
      const st = statSync(join(vmDir, "vcpu-0/exits"));
      assert.ok(st.isFile());
      assert.equal(st.mode & 0o777, 0o444);
      assert.equal(statSync(vmDir).mode & 0o777, 0o555);
      const schema = JSON.parse(readFileSync(join(vmDir, ".schema"), "utf8")) as { provider: string; target: string }[];
      assert.deepEqual(
        schema.map((s) => `${s.provider}/${s.target}`),
        ["kvm/vm", "kvm/vcpu"],
      );
    });

    it("find | xargs cat reads every file", () => {
      const files = sh(`find '${mnt}' -type f | wc -l`).trim();
      const ours = (function walk(d: string): number {
        let n = 0;
        for (const e of readdirSync(d, { withFileTypes: true })) n += e.isDirectory() ? walk(join(d, e.name)) : e.isFile() ? 1 : 0;
        return n;
      })(mnt);
      assert.equal(Number(files), ours);
      assert.ok(ours > 64 * perVcpu(kind), `${ours} files`);
      // Binary .stats files too: count bytes rather than lines.
      const bytes = Number(sh(`find '${mnt}' -type f -print0 | xargs -0 cat | wc -c`).trim());
      assert.ok(bytes > ours * 2);
    });

    it("reads at any offset and size; past the end 0 bytes", () => {
      const whole = readFileSync(join(vmDir, "vcpu-5/.stats"));
      const fd = openSync(join(vmDir, "vcpu-5/.stats"), "r");
      try {
        assert.equal(fstatSync(fd).size, whole.byteLength);
        for (const [pos, size] of [
          [0, 1],
          [3, 17],
          [24, 48],
          [whole.byteLength - 5, 100],
          [whole.byteLength, 10],
          [whole.byteLength + 4096, 10],
          [2 ** 40, 8],
        ] as const) {
          const b = Buffer.alloc(size);
          const n = readSync(fd, b, 0, size, pos);
          assert.equal(n, Math.max(0, Math.min(size, whole.byteLength - pos)), `pread ${size} at ${pos}`);
          assert.deepEqual(b.subarray(0, n), whole.subarray(pos, pos + n));
        }
      } finally {
        closeSync(fd);
      }
      const fd2 = openSync(join(vmDir, "vcpu-5/exits"), "r");
      try {
        // A value file is its decimal text: from offset 1 the rest of it (a still VM's "0\n"
        // leaves "\n"; a moving one's digits may change between reads, never the shape).
        const b = Buffer.alloc(64);
        const n = readSync(fd2, b, 0, 64, 1);
        assert.ok(n >= 1);
        assert.match(b.subarray(0, n).toString(), /^\d*\n$/);
        if (kind === "kvm") assert.equal(b.subarray(0, n).toString(), "\n");
        assert.equal(readSync(fd2, b, 0, 1, 99), 0);
      } finally {
        closeSync(fd2);
      }
    });

    it("refuses writes and namespace changes with the right errno", () => {
      const f = join(vmDir, "vcpu-0/exits");
      assert.equal(
        code(() => openSync(f, "w")),
        "EACCES",
      );
      assert.equal(
        code(() => openSync(join(vmDir, ".stats"), "r+")),
        "EACCES",
      );
      assert.equal(
        code(() => openSync(join(vmDir, "newfile"), "w")),
        "EACCES",
      );
      assert.equal(
        code(() => mkdirSync(join(vmDir, "d"))),
        "EPERM",
      );
      assert.equal(
        code(() => unlinkSync(f)),
        "EPERM",
      );
      assert.equal(
        code(() => rmSync(join(vmDir, "vcpu-1"), { recursive: true })),
        "EPERM",
      );
      assert.equal(
        code(() => renameSync(f, join(vmDir, "vcpu-0/x"))),
        "EPERM",
      );
      assert.equal(
        code(() => chmodSync(f, 0o666)),
        "EPERM",
      );
      assert.match(echoTo("0", f), /Permission denied/);
      assert.equal(
        code(() => readFileSync(join(vmDir, "nope"))),
        "ENOENT",
      );
      assert.equal(
        code(() => readdirSync(f)),
        "ENOTDIR",
      );
    });

    it("survives thousands of opens without closes", () => {
      const fds: number[] = [];
      try {
        for (let i = 0; i < 5000; i++) fds.push(openSync(join(vmDir, `vcpu-${i % 64}/exits`), "r"));
        const b = Buffer.alloc(32);
        for (const fd of [fds[0], fds[2500], fds[4999]] as number[])
          assert.match(b.subarray(0, readSync(fd, b, 0, 32, 0)).toString(), /^\d+\n$/);
      } finally {
        for (const fd of fds) closeSync(fd);
      }
      assert.deepEqual(readdirSync(mnt), ["kvm"]);
    });

    it("serves many readers at once", async () => {
      const readers = Array.from({ length: 8 }, (_, k) => {
        const files = Array.from({ length: 64 }, (_, i) => `'${join(vmDir, `vcpu-${i}`, k % 2 ? "exits" : "halt_wait_hist")}'`).join(" ");
        const p = spawn(
          "bash",
          ["-c", `for r in 1 2 3; do cat ${files} '${join(vmDir, ".stats")}' > /dev/null || exit 1; cat ${files}; done`],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        let out = "";
        p.stdout.on("data", (b: Buffer) => {
          out += b.toString();
        });
        return new Promise<{ code: number | null; out: string }>((resolve) => p.on("exit", (code) => resolve({ code, out })));
      });
      for (const [k, r] of (await Promise.all(readers)).entries()) {
        assert.equal(r.code, 0);
        assert.equal(r.out.trim().split("\n").length, 3 * 64 * (k % 2 ? 1 : 32));
      }
    });

    it("unmounts cleanly on SIGTERM", async () => {
      assert.ok(isMounted(mnt));
      assert.equal(await m.stop("SIGTERM"), 0);
      assert.equal(isMounted(mnt), false);
      assert.deepEqual(readdirSync(mnt), []);
    });
  });

for (const kind of KINDS)
  describe(`statsfs mount: aggregates and .stats of a still VM (snapshot files of ${kind})`, { skip }, () => {
    let base: string;
    let mnt: string;
    let snap: string;
    let m: MountProc;
    before(async () => {
      base = mkdtempSync(join(tmpdir(), "statsfs-fuse-"));
      mnt = join(base, "m");
      snap = join(base, "snap");
      mkdirSync(mnt);
      const running = kind === "kvm" ? "kvm:demo?vcpus=4" : "sim:?vcpus=4";
      execFileSync(process.execPath, [CLI, "snapshot", running, "--out", snap], { stdio: "ignore" });
      m = await startMount(mnt, [snap]);
    });
    after(async () => {
      await m?.stop("SIGKILL");
      try {
        execFileSync("umount", ["-l", mnt], { stdio: "ignore" });
      } catch {}
      rmSync(base, { recursive: true, force: true });
    });

    it("a VM directory aggregates its vCPUs: sums, max for peaks and booleans, histograms by bucket", async () => {
      const [pid] = readdirSync(join(mnt, "kvm")).filter((n) => /^\d+$/.test(n));
      const vm = join(mnt, "kvm", pid as string);
      await using src = await openSource(snap);
      const vcpuFile = src.files.find((f) => f.identity.target === "vcpu");
      const vmFile = src.files.find((f) => f.identity.target === "vm");
      assert.ok(vcpuFile && vmFile);
      const own = new Set(vmFile.schema.descriptors.map((d) => d.name));
      let nonzero = 0;
      for (const d of vcpuFile.schema.descriptors) {
        if (own.has(d.name)) continue;
        const per = [0, 1, 2, 3].map((i) => numbers(readFileSync(join(vm, `vcpu-${i}`, d.name), "utf8")));
        const max = d.type === StatType.Peak || d.unit === StatUnit.Boolean;
        const want = (per[0] as bigint[]).map((_, k) =>
          per.reduce((a, p) => (max ? (a > (p[k] as bigint) ? a : (p[k] as bigint)) : a + (p[k] as bigint)), 0n),
        );
        assert.deepEqual(numbers(readFileSync(join(vm, d.name), "utf8")), want, d.name);
        if (want.some((v) => v !== 0n)) nonzero++;
      }
      assert.ok(nonzero >= 3, `${nonzero} aggregates are non-zero (the VM ran before the snapshot)`);
      // The provider directory adds the VM itself to its vCPUs.
      const exits = [0, 1, 2, 3].reduce((a, i) => a + BigInt(readFileSync(join(vm, `vcpu-${i}/exits`), "utf8").trim()), 0n);
      assert.equal(readFileSync(join(mnt, "kvm/exits"), "utf8"), `${exits}\n`);
    });

    it(".stats reads back with our decoder and with a plain pread reader, equal to the snapshot", async () => {
      const [pid] = readdirSync(join(mnt, "kvm")).filter((n) => /^\d+$/.test(n));
      await using src = await openSource(snap);
      for (const f of src.files) {
        const dir =
          f.identity.target === "vm" ? join(mnt, "kvm", pid as string) : join(mnt, "kvm", pid as string, `vcpu-${f.identity.labels.vcpu}`);
        await using back = await openSource(`file:${join(dir, ".stats")}`);
        const b = back.files[0];
        assert.ok(b);
        assert.equal(b.identity.id, f.identity.id);
        assert.deepEqual(b.schema.descriptors, f.schema.descriptors);
        assert.deepEqual(b.data, f.data);
        const plain = preadStats(join(dir, ".stats"));
        for (const d of f.schema.descriptors) {
          const o = d.offset / 8;
          assert.deepEqual(plain.get(d.name), Array.from(f.data.subarray(o, o + d.size)), `${f.identity.id} ${d.name}`);
        }
      }
      // The provider directory's .stats is its aggregates as one stats file.
      const agg = preadStats(join(mnt, "kvm/.stats"));
      assert.equal(agg.get("exits")?.[0], BigInt(readFileSync(join(mnt, "kvm/exits"), "utf8").trim()));
    });
  });

describe("statsfs mount: producers (reset by writing 0, files that leave)", { skip }, () => {
  it("echo 0 resets a writable value and an aggregate; other writes fail; files vanish when the producer leaves", async () => {
    const base = mkdtempSync(join(tmpdir(), "statsfs-fuse-"));
    const mnt = join(base, "m");
    const exp = join(base, "exp");
    mkdirSync(mnt);
    const child = fork(PRODUCER, [exp, "fsp"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    let m: MountProc | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (c) => reject(new Error(`producer exited with ${c}`)));
      });
      m = await startMount(mnt, [`shm:fsp?dir=${exp}`]);
      const dir = join(mnt, "statsfs/fsp");
      const read = (p: string) => readFileSync(join(dir, p), "utf8");
      assert.equal(read("requests"), "41\n");
      assert.equal(read("locked"), "7\n");
      assert.equal(read("jobs"), "5\n");
      assert.equal(read("worker/jobs"), "5\n");
      assert.equal(statSync(join(dir, "requests")).mode & 0o777, 0o644);
      assert.equal(statSync(join(dir, "locked")).mode & 0o777, 0o444);
      assert.equal(statSync(join(dir, "jobs")).mode & 0o777, 0o644);

      // Refused writes first: nothing may change.
      assert.match(echoTo("5", join(dir, "requests")), /Invalid argument/);
      assert.match(echoTo("zero", join(dir, "requests")), /Invalid argument/);
      const fd = openSync(join(dir, "requests"), "w");
      try {
        assert.equal(
          code(() => writeSync(fd, Buffer.alloc(1 << 20, 0x30))),
          "EINVAL",
        ); // a huge write
        assert.equal(
          code(() => writeSync(fd, Buffer.from([0xff, 0x00, 0x0a]))),
          "EINVAL",
        );
      } finally {
        // Opened with O_TRUNC and no reset written: the close says so.
        assert.equal(
          code(() => closeSync(fd)),
          "EINVAL",
        );
      }
      assert.match(echoTo("0", join(dir, "locked")), /Permission denied/);
      assert.equal(read("requests"), "41\n");

      assert.equal(echoTo("0", join(dir, "requests")), "");
      assert.equal(read("requests"), "0\n");
      assert.equal(echoTo("0", join(dir, "jobs")), "");
      assert.equal(read("worker/jobs"), "0\n");
      assert.equal(read("jobs"), "0\n");
      assert.equal(read("locked"), "7\n");

      // An open file whose producer leaves fails with ENODEV; the directory goes away.
      const kept = openSync(join(dir, "locked"), "r");
      try {
        child.send({ leave: true });
        await until(() => !readdirSync(mnt).includes("statsfs"), "the producer's tree leaves the listing");
        assert.equal(
          code(() => readSync(kept, Buffer.alloc(16), 0, 16, 0)),
          "ENODEV",
        );
      } finally {
        closeSync(kept);
      }
      assert.ok(isMounted(mnt));
    } finally {
      child.send({ exit: true });
      await m?.stop();
      rmSync(base, { recursive: true, force: true });
    }
  });
});

for (const kind of KINDS)
  describe(`statsfs mount: faults (${kind})`, { skip }, () => {
    it("a source dying while its files are open: reads fail with EIO, the mount survives", async () => {
      const base = mkdtempSync(join(tmpdir(), "statsfs-fuse-"));
      const mnt = join(base, "m");
      const sock = join(base, "q.sock");
      mkdirSync(mnt);
      // The served VM's pid in its ids: the server's own for kvm:demo, a chosen one for sim:.
      const simPid = 40_000 + (process.pid % 10_000);
      const server = spawn(process.execPath, [CLI, "serve", "--qmp", `unix:${sock}`, vmSource(kind, 2, simPid)], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let m: MountProc | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          server.stderr?.on("data", (b: Buffer) => b.toString().includes("serving") && resolve());
          server.once("exit", (c) => reject(new Error(`serve exited with ${c}`)));
        });
        m = await startMount(mnt, [`qmp:${sock}`, vmSource(kind, 1, simPid + 1)]);
        const vms = readdirSync(join(mnt, "kvm")).filter((n) => /^\d+$/.test(n));
        assert.equal(vms.length, 2);
        const remote = vms.find((v) => Number(v) === (kind === "kvm" ? server.pid : simPid)) as string;
        const local = vms.find((v) => v !== remote) as string;
        const fd = openSync(join(mnt, "kvm", remote, "vcpu-1/exits"), "r");
        try {
          assert.match(readFileSync(join(mnt, "kvm", remote, "vcpu-1/exits"), "utf8"), /^\d+\n$/);
          server.kill("SIGKILL");
          await new Promise((r) => server.once("exit", r));
          assert.equal(
            code(() => readSync(fd, Buffer.alloc(16), 0, 16, 0)),
            "EIO",
          );
        } finally {
          closeSync(fd);
        }
        assert.match(readFileSync(join(mnt, "kvm", local, "vcpu-0/exits"), "utf8"), /^\d+\n$/);
        await until(() => !readdirSync(join(mnt, "kvm")).includes(remote), "the dead source's VM leaves the listing");
        assert.ok(isMounted(mnt));
      } finally {
        server.kill("SIGKILL");
        await m?.stop();
        rmSync(base, { recursive: true, force: true });
      }
    });

    it("after SIGKILL the mount is left detached-safe and the next mount cleans it", async () => {
      const base = mkdtempSync(join(tmpdir(), "statsfs-fuse-"));
      const mnt = join(base, "m");
      mkdirSync(mnt);
      try {
        const first = await startMount(mnt, [vmSource(kind, 1)]);
        assert.equal(await first.stop("SIGKILL"), null);
        assert.equal(
          code(() => statSync(mnt)),
          "ENOTCONN",
        );
        const second = await startMount(mnt, [vmSource(kind, 1)]);
        assert.match(second.stderr(), /removed a stale mount/);
        assert.deepEqual(readdirSync(mnt), ["kvm"]);
        assert.equal(await second.stop("SIGINT"), 0);
        assert.equal(isMounted(mnt), false);
      } finally {
        try {
          execFileSync("umount", ["-l", mnt], { stdio: "ignore" });
        } catch {}
        rmSync(base, { recursive: true, force: true });
      }
    });

    it("refuses a directory that is not empty, or missing, with one line and exit 2", () => {
      const base = mkdtempSync(join(tmpdir(), "statsfs-fuse-"));
      try {
        const run = (dir: string) => {
          try {
            execFileSync(process.execPath, [CLI, "mount", dir, "sim:"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
            return { status: 0, err: "" };
          } catch (e) {
            const x = e as { status: number; stderr: string };
            return { status: x.status, err: x.stderr };
          }
        };
        const missing = run(join(base, "nope"));
        assert.equal(missing.status, 2);
        assert.match(missing.err, /^statsfs: mount: .*nope: no such directory\n$/);
        const full = run(tmpdir());
        assert.equal(full.status, 2);
        assert.match(full.err, /directory is not empty\n$/);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });
  });
