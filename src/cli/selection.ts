/**
 * @module cli/selection
 * The selection options every command that shows values accepts — `--names` (exact, glob,
 * `/regex/`), `--target`, `--provider`, `--vcpu` — parsed once here into a
 * {@link Selection} (sample/select checks and applies it).
 */
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";
import { printable } from "../model/printable.js";
import type { Selection } from "../sample/select.js";
import { type Args, list, str } from "./command.js";

/** parseArgs options of the selection. */
export const SELECTION_OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
  names: { type: "string" },
  target: { type: "string" },
  provider: { type: "string" },
  vcpu: { type: "string" },
};

/** Help lines for the selection options. */
export const SELECTION_HELP = `  --names LIST     only these statistics: exact names, globs (halt_*), or /regex/, comma-separated
  --target T       only stats files of target T (vm, vcpu, ...)
  --provider LIST  only these providers (kvm, statsfs, ...)
  --vcpu LIST      only these vCPUs, by index or range (0,2-3)`;

/**
 * A list option that, if given, names something: `--names ''` (or `,`) would select everything,
 * the opposite of what was typed, so it is refused.
 */
export function nonEmptyList(a: Args, name: string, what: string): string[] | undefined {
  const v = list(a, name);
  if (v !== undefined && v.length === 0) {
    throw new UsageError(`--${name} "${printable(str(a, name) ?? "")}": names no ${what}; leave --${name} out to select all`);
  }
  return v;
}

/** The selection given on a command line. */
export function selectionOf(a: Args): Selection {
  const target = str(a, "target");
  if (target === "") throw new UsageError('--target "": names no target; leave --target out to select all');
  return {
    names: nonEmptyList(a, "names", "statistic"),
    target,
    providers: nonEmptyList(a, "provider", "provider"),
    vcpus: nonEmptyList(a, "vcpu", "vCPU"),
  };
}
