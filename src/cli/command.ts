/**
 * @module cli/command
 * The shape of a CLI command: a typed async function plus the argv parsing that feeds it, and
 * the readers of its option values (strings, flags, lists, integers, durations), one for all.
 * Each command lives in its own folder under cli/commands and is listed in cli/commands/index.ts.
 */
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../errors.js";
import { printable } from "../model/printable.js";
import { type DurationRange, type DurationUnit, durationHint, readDuration, readInt } from "../model/read-option.js";
import type { Io } from "./io.js";

/** Parsed argv: option values by name, and positionals. */
export interface Args {
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** One `statsfs` subcommand. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage and option text for --help. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  /** Positional count accepted, inclusive. */
  readonly positionals: readonly [min: number, max: number];
  /** Runs with parsed argv; resolves to the exit code. */
  run(args: Args, io: Io): Promise<number>;
}

/** A string option's value, or undefined. */
export function str(args: Args, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A boolean flag's value. */
export function flag(args: Args, name: string): boolean {
  return args.values[name] === true;
}

/** A comma-separated list option (`--names a,b`), or undefined. */
export function list(args: Args, name: string): string[] | undefined {
  const v = str(args, name);
  return v === undefined
    ? undefined
    : v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

/**
 * An integer option (model/read-int: digits only, from `min` to `max`), or undefined when it is
 * not given; anything else is a usage error naming the command and the option.
 */
export function intOption(args: Args, cmd: string, name: string, min: number, max: number): number | undefined {
  const text = str(args, name);
  if (text === undefined) return undefined;
  const n = readInt(text, min, max);
  if (n === undefined) throw new UsageError(`${cmd}: --${name} must be an integer from ${min} to ${max}, got "${printable(text)}"`);
  return n;
}

/**
 * A duration option in milliseconds (model/read-option: `500`, `500ms`, `2s`; a bare number is
 * in `unit`), or undefined when it is not given; anything else is a usage error.
 */
export function durationOption(args: Args, cmd: string, name: string, unit: DurationUnit, range: DurationRange): number | undefined {
  const text = str(args, name);
  if (text === undefined) return undefined;
  const n = readDuration(text, unit, range);
  if (n === undefined) throw new UsageError(`${cmd}: --${name} must be ${durationHint(unit, range)}, got "${printable(text)}"`);
  return n;
}
