/**
 * @module test/kernel/capture
 * `npm run fixtures:kvm`: records real-kernel evidence into test/fixtures/kernel/ (committed),
 * so the codec, checker and schema-parity tests (test/kernel/replay.test.ts) replay what a real
 * kernel and a real QEMU produced on every machine, /dev/kvm or not. Needs /dev/kvm (and QEMU
 * for the QMP part); run it again after a kernel or QEMU upgrade and commit the result.
 *
 * Writes: `vm.stats`, `vcpu-0.stats`, `vcpu-1.stats` (the bytes of a demo VM's binary stats
 * fds, read by pread after its two vCPUs ran a moment and stopped); `qemu-*.json` (QEMU's raw
 * reply lines to query-version, query-stats-schemas and query-stats for both targets, from a
 * QEMU with -accel kvm and 2 vCPUs that ran until a vCPU halted and stopped); `manifest.json`
 * (kernel, QEMU and date). Biome leaves the directory alone: QEMU's bytes stay as sent.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startDemoVm } from "../../src/providers/kvm/demo.js";
import { kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";
import { qemuBinary, startQemu } from "../qmp/qemu.js";
import { RawQmp } from "../qmp/raw.js";

const OUT = join(import.meta.dirname, "../../../test/fixtures/kernel");

/** Every byte of a stats fd: the kernel serves reads at any offset and 0 bytes past the end. */
function readAll(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const b = Buffer.alloc(4096);
    const n = readSync(fd, b, 0, b.length, pos);
    if (n === 0) break;
    chunks.push(b.subarray(0, n));
    pos += n;
  }
  return Buffer.concat(chunks);
}

/** One command on a negotiated connection; its reply line, as QEMU sent it (events skipped). */
async function reply(raw: RawQmp, command: string): Promise<string> {
  const start = raw.lines.length;
  raw.socket.write(`${command}\n`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = raw.lines.slice(start).find((l) => !l.includes('"event"') && (l.includes('"return"') || l.includes('"error"')));
    if (line) return line;
    if (Date.now() > deadline || raw.closed) throw new Error(`no reply to ${command}`);
    await sleep(5);
  }
}

async function main(): Promise<void> {
  const why = kvmUnavailableReason();
  if (why) throw new Error(`fixtures:kvm needs /dev/kvm: ${why}`);
  mkdirSync(OUT, { recursive: true });
  const written: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    writeFileSync(join(OUT, name), data);
    written.push(name);
  };

  const vm = await startDemoVm({ vcpus: 2, run: true });
  try {
    await sleep(1000);
    await vm.stop();
    write("vm.stats", readAll(vm.vmStatsFd));
    vm.vcpuStatsFds.forEach((fd, i) => {
      write(`vcpu-${i}.stats`, readAll(fd));
    });
  } finally {
    await vm.close();
  }

  let qemuVersion: string | undefined;
  if (qemuBinary()) {
    const qemu = await startQemu(2, "kvm");
    try {
      const { raw } = await RawQmp.open(qemu.socket);
      try {
        // Run until a vCPU has halted (a histogram sample, so bucket order is really recorded), at most ~10 s.
        const hist = '{"execute":"query-stats","arguments":{"target":"vcpu","providers":[{"provider":"kvm","names":["halt_wait_hist"]}]}}';
        for (let tries = 0; tries < 20; tries++) {
          await reply(raw, '{"execute":"cont"}');
          await sleep(500);
          await reply(raw, '{"execute":"stop"}');
          if (/"value": \[[^\]]*[1-9]/.test(await reply(raw, hist))) break;
        }
        const version = await reply(raw, '{"execute":"query-version"}');
        qemuVersion = version;
        write("qemu-query-version.json", `${version}\n`);
        write("qemu-query-stats-schemas.json", `${await reply(raw, '{"execute":"query-stats-schemas"}')}\n`);
        write("qemu-query-stats-vm.json", `${await reply(raw, '{"execute":"query-stats","arguments":{"target":"vm"}}')}\n`);
        write("qemu-query-stats-vcpu.json", `${await reply(raw, '{"execute":"query-stats","arguments":{"target":"vcpu"}}')}\n`);
      } finally {
        await raw.close();
      }
    } finally {
      await qemu.stop();
    }
  } else {
    process.stderr.write("fixtures:kvm: qemu-system-x86_64 is not installed; QEMU's replies not recorded\n");
  }

  const qemuText = qemuVersion === undefined ? undefined : /"package": "([^"]*)"/.exec(qemuVersion)?.[1];
  const manifest = {
    kernel: release().replace(/-.*/, ""), // the version, not the build tag
    machine: execFileSync("uname", ["-m"], { encoding: "utf8" }).trim(),
    ...(qemuText === undefined ? {} : { qemu: qemuText }),
    captured: new Date().toISOString().slice(0, 10),
    files: written,
  };
  writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`fixtures:kvm: wrote ${written.length + 1} files to test/fixtures/kernel (kernel ${manifest.kernel})\n`);
}

await main();
