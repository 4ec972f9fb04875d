/**
 * @module cli/run
 * argv → command → exit code, testable without a process. The one catch of every command:
 * a StatsfsError (usage, input, an unreachable source) is one line on stderr and its code's exit
 * (2; 3 when there is nothing to show);
 * anything else is a bug, said as `internal error: …` in one line and exit 70 (a stack trace
 * only with STATSFS_DEBUG set).
 */
import { parseArgs } from "node:util";
import { oneLine, StatsfsError, UsageError } from "../errors.js";
import type { Command } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { Exit, type Io } from "./io.js";

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: statsfs <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "sources: host:[?pid=N&guest=GLOB&route=fd,qmp,debugfs,trace] (every KVM VM on this host),",
    "         PATH | file:PATH (binary stats file or directory), fd:N, kvm:demo[?vcpus=N], sim:[?vcpus=N],",
    "         shm:NAME (live files of statsfs producer sources), qmp:PATH | qmp:tcp:HOST:PORT (QEMU or statsfs serve),",
    "         debugfs:DIR (KVM debugfs layout), trace:PID (tracepoint counts); several sources are shown as one",
    "Run `statsfs <command> --help` for a command's options.",
    "",
  ].join("\n");
}

/**
 * argv with `--opt -1` written `--opt=-1` for string options, so that a negative number reaches
 * the command's own check ("--count must be …") instead of parseArgs' "argument is ambiguous".
 */
function joinNegativeValues(cmd: Command, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    const name = a.startsWith("--") ? a.slice(2) : undefined;
    if (name !== undefined && cmd.options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

function parse(cmd: Command, argv: readonly string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(cmd, argv),
      options: { ...cmd.options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (e) {
    // parseArgs messages are one line already; drop its trailing advice.
    const msg = e instanceof Error ? (e.message.split(/\. To specify|\n/)[0] ?? "") : String(e);
    const ambiguous = /^Option '(-[^' ]+)(?: <value>)?' argument is ambiguous/.exec(msg);
    if (ambiguous) {
      const i = argv.findIndex((a) => a === ambiguous[1] || (a.startsWith("-") && !a.startsWith("--") && ambiguous[1]?.includes(a)));
      const given = i >= 0 ? argv[i + 1] : undefined;
      throw new UsageError(
        `${cmd.name}: ${ambiguous[1]} needs a value${given === undefined ? "" : `, got the option-like "${given}" (write ${ambiguous[1]}=${given} to pass it)`}`,
      );
    }
    throw new UsageError(`${cmd.name}: ${msg}`);
  }
}

/** Runs one command line; never throws, resolves to the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(overview());
      return name === undefined ? Exit.Usage : Exit.Ok;
    }
    if (name === "--version") {
      io.stdout.write("statsfs 0.1.0\n");
      return Exit.Ok;
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw new UsageError(`unknown command "${name}" (see statsfs --help)`);
    const args = parse(cmd, rest);
    if (args.values.help) {
      io.stdout.write(`${cmd.help.trimEnd()}\n`);
      return Exit.Ok;
    }
    const [min, max] = cmd.positionals;
    if (args.positionals.length < min || args.positionals.length > max) {
      throw new UsageError(
        `${cmd.name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.positionals.length} (see statsfs ${cmd.name} --help)`,
      );
    }
    return await cmd.run(args, io);
  } catch (e) {
    return reportError(e, io);
  }
}

/**
 * One line on stderr for an error; the exit code for it: the StatsfsError's own (errors.ts's
 * table: {@link Exit.Usage}, {@link Exit.Empty} for nothing to show), {@link Exit.Bug} for anything else. Every message goes through {@link oneLine} (StatsfsErrors
 * already hold it so; anything else is escaped here).
 */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof StatsfsError) {
    io.stderr.write(`statsfs: ${oneLine(e.message)}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`statsfs: internal error: ${oneLine(msg.split("\n")[0] ?? "")}\n`);
  if (io.env?.STATSFS_DEBUG && e instanceof Error) io.stderr.write(`${e.stack}\n`);
  return Exit.Bug;
}
