/**
 * @module cli/selection
 * The selection options every command that shows values accepts — `--names` (exact, glob,
 * `/regex/`), `--target`, `--provider`, `--vcpu` — parsed once here into a
 * {@link Selection} (sample/select checks and applies it).
 */
import type { ParseArgsConfig } from "node:util";
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

/** The selection given on a command line. */
export function selectionOf(a: Args): Selection {
  return { names: list(a, "names"), target: str(a, "target"), providers: list(a, "provider"), vcpus: list(a, "vcpu") };
}
