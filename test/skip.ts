/**
 * @module test/skip
 * The one skip policy of the real-peer tests. A test that needs something this machine lacks
 * (/dev/kvm, QEMU, Prometheus, FUSE, tmux, tracefs, perf) is skipped loudly: one line on
 * stderr per reason and file, and the reason in the test report. Where CI knows the peer is
 * there it sets `STATSFS_REQUIRE_<NAME>=1` (.ci/run), and then a skip is a failure instead.
 * `.ci/run` sets STATSFS_REQUIRE_KVM only where /dev/kvm exists: on a machine without it the
 * real-KVM tests skip and the rest (QEMU with -accel tcg, FUSE over sim:, …) still run.
 */
import { existsSync } from "node:fs";

/** The KVM device; tests of the policy itself point it elsewhere. */
export const KVM_DEVICE = "/dev/kvm";

const said = new Set<string>();

/**
 * The policy for one requirement: `missing` is why it cannot be met here (undefined when it
 * can). Returns the skip reason (`SKIPPED: …`), or undefined to run; throws when
 * STATSFS_REQUIRE_<name>=1 demands the requirement.
 */
export function skipUnless(
  name: string,
  missing: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  say: (line: string) => void = (line) => process.stderr.write(line),
): string | undefined {
  if (missing === undefined) return undefined;
  const reason = `SKIPPED: ${missing}`;
  if (env[`STATSFS_REQUIRE_${name}`] === "1") throw new Error(`STATSFS_REQUIRE_${name}=1 but ${reason}`);
  if (!said.has(reason)) {
    said.add(reason);
    say(`${reason}\n`);
  }
  return reason;
}

/** Whether `device` (default /dev/kvm) exists on this machine. */
export function hasKvm(device: string = KVM_DEVICE): boolean {
  return existsSync(device);
}

/** Why real-KVM tests cannot run here, or undefined (a failure with STATSFS_REQUIRE_KVM=1). */
export function kvmSkipReason(device: string = KVM_DEVICE): string | undefined {
  return skipUnless("KVM", hasKvm(device) ? undefined : `${device} is missing on this machine, real-KVM tests cannot run`);
}
