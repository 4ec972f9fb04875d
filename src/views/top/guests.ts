/**
 * @module views/top/guests
 * kvm_stat's guests among a source's files: the running VMs by pid and guest name, `-g NAME`
 * to a pid, `-p PID` checked, and `-f help`'s list of fields.
 */
import { UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import type { GuestEntry } from "./keys.js";

/** The running VMs (pid and guest name) among `files`, by pid. */
export function guestsOf(files: readonly StatsFile[]): GuestEntry[] {
  const out = new Map<string, string>();
  for (const f of files) {
    const { pid, guest } = f.identity.labels;
    const vm = f.identity.provider === "kvm" || f.identity.labels.route !== undefined || guest !== undefined;
    if (pid !== undefined && vm && (!out.has(pid) || guest !== undefined)) out.set(pid, guest ?? out.get(pid) ?? "");
  }
  return [...out].map(([pid, name]) => ({ pid, name })).sort((a, b) => Number(a.pid) - Number(b.pid));
}

/** The pid of `-g NAME` (kvm_stat's messages when none or several match). */
export function pidOfGuest(files: readonly StatsFile[], name: string): string {
  const hits = guestsOf(files).filter((g) => g.name === name);
  if (hits.length === 0) throw new UsageError(`Error: No guest by the name "${printable(name)}" found`);
  if (hits.length > 1) {
    throw new UsageError(
      `Error: Multiple processes found (pids: ${hits.map((h) => h.pid).join(" ")}). Use "-p" to specify the desired pid`,
    );
  }
  return (hits[0] as GuestEntry).pid;
}

/**
 * `-f help`: every field name of the selected files, sorted, two spaces in front; child
 * events (`kvm_exit(HLT)`) listed once by their parent's name, as kvm_stat lists them.
 */
export function fieldsHelp(files: readonly StatsFile[]): string {
  const names = [...new Set(files.flatMap((f) => f.schema.descriptors.map((d) => d.name.split("(")[0] as string)))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return `  ${names.map((n) => printable(n)).join("\n  ")}\n`;
}

/** Checks -p against the source's files (kvm_stat: "Specified pid does not exist."). */
export function checkPid(files: readonly StatsFile[], pid: string): void {
  if (!files.some((f) => f.identity.labels.pid === pid)) {
    const have = guestsOf(files).map((g) => g.pid);
    throw new UsageError(`-p ${pid}: no VM with this pid${have.length ? ` (pids: ${have.join(" ")})` : ""}`);
  }
}
