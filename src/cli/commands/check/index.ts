/**
 * @module cli/commands/check
 * `statsfs check SRC`: the conformance checker. Binary files and fds are checked byte by byte
 * (even files the decoder would reject); other sources through their encoded schema.
 * Exit 0 when clean, 1 with violations.
 */
import { closeSync, openSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type CheckOptions, checkBinary, checkBytes, FILE_RULES, type Violation } from "../../../check/check.js";
import { DESCRIPTOR_RULES } from "../../../check/rules.js";
import type { Pread } from "../../../codec/pread.js";
import type { StatsFile } from "../../../model/stats-file.js";
import { located } from "../../../providers/file/fd-file.js";
import { fdPread } from "../../../providers/file/pread-fd.js";
import { parseSourceUri } from "../../../providers/registry.js";
import { identityFromId } from "../../../providers/source.js";
import type { Command } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";
import { encodeFile } from "../snapshot/index.js";

/** One checked file: its name and what it broke. */
export interface CheckResult {
  readonly name: string;
  readonly violations: readonly Violation[];
}

/** Paths to check for a `file:` source: the file, or the regular files of a directory. */
function pathsOf(path: string): string[] {
  try {
    if (!statSync(path).isDirectory()) return [path];
    return readdirSync(path)
      .filter((n) => !n.startsWith("."))
      .sort()
      .map((n) => join(path, n))
      .filter((p) => statSync(p).isFile());
  } catch (e) {
    throw located(e, path);
  }
}

function checkPath(path: string): CheckResult {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw located(e, path);
  }
  try {
    const src = fdPread(fd);
    return { name: path, violations: checkBinary(src, { kvm: looksKvm(src) }) };
  } finally {
    closeSync(fd);
  }
}

/** Whether a file's id names KVM (so that the KVM-only id rule applies). */
function looksKvm(src: Pread): boolean {
  const buf = new Uint8Array(8);
  const head = new Uint8Array(24);
  if (src.pread(head, 0) < 24) return false;
  const idOffset = new DataView(head.buffer).getUint32(12, true);
  return src.pread(buf, idOffset) > 0 && /^kvm-\d/.test(new TextDecoder().decode(buf));
}

function checkFile(f: StatsFile & { pread?: Pread }): CheckResult {
  const o: CheckOptions = { kvm: f.identity.provider === "kvm" && identityFromId(f.identity.id).provider === "kvm" };
  const violations = f.pread ? checkBinary(f.pread, o) : checkBytes(encodeFile(f), o);
  return { name: f.identity.id, violations };
}

/** Checks every stats file of a source. */
export async function checkSource(uri: string): Promise<CheckResult[]> {
  const { scheme, rest } = parseSourceUri(uri);
  if (scheme === "file") return pathsOf(rest).map(checkPath);
  return withSource(uri, async (s) => s.files.map(checkFile));
}

/** Runs the checker and prints each violation; exit 1 if there are any. */
export async function check(source: string, io: Io): Promise<number> {
  const results = await checkSource(source);
  let count = 0;
  for (const r of results) {
    for (const v of r.violations) {
      count++;
      io.stdout.write(`${r.name}: ${v.stat !== undefined ? `${v.stat}: ` : ""}${v.rule}: ${v.message}\n`);
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
  help: `usage: statsfs check SRC

Applies every rule of the kernel selftest kvm_binary_stats_test.c and of api.rst.
Prints "FILE: [STAT: ]RULE: message" per violation. Exit 0 clean, 1 violations.

rules:
${ruleList}`,
  options: {},
  positionals: [1, 1],
  run: (a, io) => check(a.positionals[0] as string, io),
};
