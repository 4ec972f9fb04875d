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
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";

/** One checked file: its name and what it broke. */
export interface CheckResult {
  readonly name: string;
  readonly violations: readonly Violation[];
}

/** Checks the bytes behind `fd`; read errors become one line naming `where`. */
function checkFd(fd: number, where: string, kvm: boolean): CheckResult {
  try {
    return { name: where, violations: checkBinary(fdPread(fd), { kvm }) };
  } catch (e) {
    throw located(e, where);
  }
}

function checkPath(path: string, kvm: boolean): CheckResult {
  const fd = openReadOnly(path);
  try {
    return checkFd(fd, path, kvm);
  } finally {
    closeSync(fd);
  }
}

function checkFile(f: StatsFile, kvm: boolean): CheckResult {
  const violations = f.raw ? checkBinary(f.raw, { kvm }) : checkBytes(encodeFile(f), { kvm });
  return { name: f.identity.id, violations };
}

/**
 * Checks every stats file of a source. Files and fds are checked byte by byte, so a file the
 * decoder rejects still gets its violations listed. `kvm` applies the KVM-only id rule; by
 * default it applies to `kvm:` and `fd:` sources (kernel stats fds).
 */
export async function checkSource(uri: string, kvm?: boolean): Promise<CheckResult[]> {
  const { scheme, rest, query } = parseSourceUri(uri);
  const isKvm = kvm ?? (scheme === "kvm" || scheme === "fd");
  if (scheme === "file") {
    const { dir, paths } = statsPaths(rest);
    const files = dir ? paths.filter(isFile) : paths;
    // As `read` says: a directory without stats files is an input error, not a conforming source.
    if (files.length === 0) throw new SourceError("STATSFS_SOURCE", `${rest}: directory holds no stats files`);
    return files.map((p) => checkPath(p, isKvm));
  }
  if (scheme === "fd") {
    checkQueryKeys(uri, query, [], "fd:");
    return [checkFd(parseFd(uri, rest), uri, isKvm)];
  }
  return withSource(uri, async (s) => s.files.map((f) => checkFile(f, isKvm)));
}

/** Runs the checker and prints each violation; exit 1 if there are any. */
export async function check(source: string, io: Io, kvm?: boolean): Promise<number> {
  const results = await checkSource(source, kvm);
  let count = 0;
  for (const r of results) {
    for (const v of r.violations) {
      count++;
      io.stdout.write(`${printable(r.name)}: ${v.stat !== undefined ? `${printable(v.stat)}: ` : ""}${v.rule}: ${printable(v.message)}\n`);
    }
  }
  const files = `${results.length} stats file${results.length === 1 ? "" : "s"}`;
  io.stdout.write(count === 0 ? `${files} checked: conforms\n` : `${files} checked: ${count} violation${count === 1 ? "" : "s"}\n`);
  return count === 0 ? Exit.Ok : Exit.Violations;
}

const ruleList = [...Object.entries(FILE_RULES), ...DESCRIPTOR_RULES.map((r) => [r.id, r.text] as const)]
  .map(([id, text]) => `  ${id.padEnd(16)} ${text}`)
  .join("\n");

export const command: Command = {
  name: "check",
  summary: "check a source against the KVM binary stats rules (exit 1 on violations)",
  help: `usage: statsfs check SRC [--kvm | --no-kvm]

Applies every rule of the kernel selftest kvm_binary_stats_test.c and of api.rst.
Prints "FILE: [STAT: ]RULE: message" per violation. Exit 0 clean, 1 violations.

  --kvm      also apply the KVM-only rule id-kvm (default for kvm: and fd: sources)
  --no-kvm   do not apply it

rules:
${ruleList}`,
  options: { kvm: { type: "boolean" }, "no-kvm": { type: "boolean" } },
  positionals: [1, 1],
  run: (a, io) => check(a.positionals[0] as string, io, flag(a, "kvm") ? true : flag(a, "no-kvm") ? false : undefined),
};
