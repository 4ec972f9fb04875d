/**
 * @module cli/commands/check
 * `statsfs check SRC`: the conformance checker. Binary files and fds are checked byte by byte
 * (even files the decoder would reject); other sources through their encoded schema.
 * Exit 0 when clean, 1 with violations.
 */
import { closeSync } from "node:fs";
import { checkBinary, checkBytes, FILE_RULES, type Violation } from "../../../check/check.js";
import { DESCRIPTOR_RULES } from "../../../check/rules.js";
import { SourceError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import type { StatsFile } from "../../../model/stats-file.js";
import { located, openReadOnly } from "../../../providers/file/fd-file.js";
import { isFile, parseFd, statsPaths } from "../../../providers/file/index.js";
import { fdPread } from "../../../providers/file/pread-fd.js";
import { checkQueryKeys } from "../../../providers/query.js";
import { parseSourceUri } from "../../../providers/registry.js";
import { encodeFile } from "../../../views/binary/index.js";
import { type Command, flag } from "../../command.js";
import { requireFiles } from "../../empty.js";
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";

/** One checked file: its name and what it broke. */
export interface CheckResult {
  readonly name: string;
  readonly violations: readonly Violation[];
}

/** Checks the bytes behind `fd`; read errors become one line naming `where`. */
function checkFd(fd: number, where: string, kvm: boolean, strictKernel = false): CheckResult {
  try {
    return { name: where, violations: checkBinary(fdPread(fd), { kvm, strictKernel }) };
  } catch (e) {
    throw located(e, where);
  }
}

function checkPath(path: string, kvm: boolean, strictKernel: boolean): CheckResult {
  const fd = openReadOnly(path);
  try {
    return checkFd(fd, path, kvm, strictKernel);
  } finally {
    closeSync(fd);
  }
}

function checkFile(f: StatsFile, kvm: boolean, strictKernel: boolean): CheckResult {
  const o = { kvm, strictKernel };
  const violations = f.raw ? checkBinary(f.raw, o) : checkBytes(encodeFile(f), o);
  return { name: f.identity.id, violations };
}

/**
 * Checks every stats file of a source. Files and fds are checked byte by byte, so a file the
 * decoder rejects still gets its violations listed. `kvm` applies the KVM-only id rule; by
 * default it applies to `kvm:` and `fd:` sources (kernel stats fds).
 */
export async function checkSource(uri: string, kvm?: boolean, strictKernel = false): Promise<CheckResult[]> {
  const { scheme, rest, query } = parseSourceUri(uri);
  const isKvm = kvm ?? (scheme === "kvm" || scheme === "fd");
  if (scheme === "file") {
    const { dir, paths } = statsPaths(rest);
    const files = dir ? paths.filter(isFile) : paths;
    // As `read` says: a directory without stats files is an input error, not a conforming source.
    if (files.length === 0) throw new SourceError("STATSFS_SOURCE", `${rest}: directory holds no stats files`);
    return files.map((p) => checkPath(p, isKvm, strictKernel));
  }
  if (scheme === "fd") {
    checkQueryKeys(uri, query, [], "fd:");
    return [checkFd(parseFd(uri, rest), uri, isKvm, strictKernel)];
  }
  return withSource(uri, async (s) => {
    // Checking nothing is not conforming: say why there is nothing (exit 3).
    requireFiles(s);
    return s.files.map((f) => checkFile(f, isKvm, strictKernel));
  });
}

/**
 * Runs the checker and prints each violation (and each statsfs extension, as such); exit 1 if
 * there are violations. With `strictKernel` extensions are violations.
 */
export async function check(source: string, io: Io, kvm?: boolean, strictKernel = false): Promise<number> {
  const results = await checkSource(source, kvm, strictKernel);
  let count = 0;
  let extensions = 0;
  for (const r of results) {
    for (const v of r.violations) {
      if (v.extension !== true) count++;
      else extensions++;
      const what = v.extension === true ? `extension ${v.rule}` : v.rule;
      io.stdout.write(`${printable(r.name)}: ${v.stat !== undefined ? `${printable(v.stat)}: ` : ""}${what}: ${printable(v.message)}\n`);
    }
  }
  const files = `${results.length} stats file${results.length === 1 ? "" : "s"}`;
  const ext = extensions === 0 ? "" : ` (${extensions} statsfs extension${extensions === 1 ? "" : "s"}; --strict-kernel refuses them)`;
  io.stdout.write(
    count === 0 ? `${files} checked: conforms${ext}\n` : `${files} checked: ${count} violation${count === 1 ? "" : "s"}${ext}\n`,
  );
  return count === 0 ? Exit.Ok : Exit.Violations;
}

const ruleList = [...Object.entries(FILE_RULES), ...DESCRIPTOR_RULES.map((r) => [r.id, r.text] as const)]
  .map(([id, text]) => `  ${id.padEnd(16)} ${text}`)
  .join("\n");

export const command: Command = {
  name: "check",
  summary: "check a source against the KVM binary stats rules (exit 1 on violations)",
  help: `usage: statsfs check SRC [--kvm | --no-kvm] [--strict-kernel]

Applies every rule of the kernel selftest kvm_binary_stats_test.c and of api.rst.
Prints "FILE: [STAT: ]RULE: message" per violation, and "FILE: STAT: extension RULE: message"
per statsfs extension (an s64/f64 encoding, a bounds histogram), which is not a violation.
Exit 0 clean, 1 violations, 3 when the source has no stats files to check (a QEMU without KVM,
no VM), said in one line.

  --kvm            also apply the KVM-only rule id-kvm (default for kvm: and fd: sources)
  --no-kvm         do not apply it
  --strict-kernel  statsfs extensions are violations (the kernel ABI alone)

rules:
${ruleList}`,
  options: { kvm: { type: "boolean" }, "no-kvm": { type: "boolean" }, "strict-kernel": { type: "boolean" } },
  positionals: [1, 1],
  run: (a, io) =>
    check(a.positionals[0] as string, io, flag(a, "kvm") ? true : flag(a, "no-kvm") ? false : undefined, flag(a, "strict-kernel")),
};
