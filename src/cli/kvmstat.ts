/**
 * @module cli/kvmstat
 * kvm_stat's command line, shared by `top` and `log`: -1/--once/--batch, -c/--csv,
 * -d/--debugfs and -t/--tracepoints (routes of the `host:` source: `host:?route=debugfs`,
 * `host:?route=trace`), -f/--fields REGEX (`-f help` lists the fields), -g/--guest NAME,
 * -p/--pid PID, -i/--debugfs-include-past, -l/--log, -L/--log-to-file FILE,
 * -s/--set-delay SECONDS (0.1–25.5; default 1 s here, 3 s in kvm_stat), -z/--skip-zero-records.
 * Also the default source (host: where that source exists, else the demo VM or sim:). What the
 * options select among the files (guests, pids, fields) is views/top/guests.
 */
import { existsSync } from "node:fs";
import type { ParseArgsConfig } from "node:util";
import { KvmError, UsageError } from "../errors.js";
import { printable } from "../model/printable.js";
import { readInt } from "../model/read-int.js";
import { openSource, openSources, parseSourceUri } from "../providers/registry.js";
import type { StatsSource } from "../providers/source.js";
import { formatSpec, sourceSpec, withQuery } from "../providers/spec.js";
import { delayError, fieldsRegex } from "../views/top/keys.js";
import { type Args, flag, str } from "./command.js";
import type { Io } from "./io.js";

/** parseArgs options of kvm_stat's command line. */
export const KVMSTAT_OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
  once: { type: "boolean", short: "1" },
  batch: { type: "boolean" },
  csv: { type: "boolean", short: "c" },
  debugfs: { type: "boolean", short: "d" },
  tracepoints: { type: "boolean", short: "t" },
  fields: { type: "string", short: "f" },
  guest: { type: "string", short: "g" },
  pid: { type: "string", short: "p" },
  "debugfs-include-past": { type: "boolean", short: "i" },
  log: { type: "boolean", short: "l" },
  "log-to-file": { type: "string", short: "L" },
  "set-delay": { type: "string", short: "s" },
  "skip-zero-records": { type: "boolean", short: "z" },
};

/** Help lines for them. */
export const KVMSTAT_HELP = `  -1, --once, --batch      one sample after the delay: name, total, delta per field
  -c, --csv                log in CSV (with -l or -L)
  -d, --debugfs            read host: through debugfs (host:?route=debugfs)
  -t, --tracepoints        read host: through tracepoints (host:?route=trace)
  -f, --fields REGEX       only fields whose name matches REGEX at its start; "-f help" lists them
  -g, --guest NAME         only the VM of this guest name
  -p, --pid PID            only the VM of this pid
  -i, --debugfs-include-past  accepted; totals here always include the past (binary stats
                           count from the VM's start; r sets a baseline)
  -l, --log                log mode (like vmstat)
  -L, --log-to-file FILE   log to FILE (appended; SIGHUP reopens it, for logrotate)
  -s, --set-delay SECONDS  time between samples, 0.1 to 25.5 (default 1)
  -z, --skip-zero-records  in log mode, omit lines whose deltas are all 0`;

/** kvm_stat's options as parsed. */
export interface KvmStatArgs {
  readonly once: boolean;
  readonly csv: boolean;
  readonly route: "debugfs" | "trace" | undefined;
  /** The -f text ('' for none, 'help' for the list). */
  readonly fields: string;
  readonly guest: string | undefined;
  readonly pid: string | undefined;
  readonly includePast: boolean;
  readonly log: boolean;
  readonly logFile: string | undefined;
  /** Seconds, when -s was given. */
  readonly delay: number | undefined;
  readonly skipZero: boolean;
}

/** Parses and checks kvm_stat's options (one-line usage errors, exit 2). */
export function kvmStatArgs(a: Args, cmd: string): KvmStatArgs {
  const d = flag(a, "debugfs");
  const t = flag(a, "tracepoints");
  if (d && t) throw new UsageError(`${cmd}: -d/--debugfs and -t/--tracepoints choose one route of host:; give one`);
  const fields = str(a, "fields") ?? "";
  if (fields !== "" && fields !== "help") {
    try {
      fieldsRegex(fields);
    } catch {
      throw new UsageError(`${cmd}: "${printable(fields)}" is not a valid regular expression`);
    }
  }
  const pid = str(a, "pid");
  if (pid !== undefined && readInt(pid, 0, 999_999_999) === undefined)
    throw new UsageError(`${cmd}: -p/--pid must be a process id, got "${printable(pid)}"`);
  const guest = str(a, "guest");
  if (pid !== undefined && guest !== undefined) throw new UsageError(`${cmd}: give -p/--pid or -g/--guest, not both`);
  const delayText = str(a, "set-delay");
  let delay: number | undefined;
  if (delayText !== undefined) {
    delay = /^\s*[0-9]*\.?[0-9]+\s*$/.test(delayText) ? Number(delayText) : Number.NaN;
    const err = delayError(delayText, delay);
    if (err) throw new UsageError(`${cmd}: -s/--set-delay ${err}`);
  }
  return {
    once: flag(a, "once") || flag(a, "batch"),
    csv: flag(a, "csv"),
    route: d ? "debugfs" : t ? "trace" : undefined,
    fields,
    guest,
    pid,
    includePast: flag(a, "debugfs-include-past"),
    log: flag(a, "log"),
    logFile: str(a, "log-to-file"),
    delay,
    skipZero: flag(a, "skip-zero-records"),
  };
}

/**
 * The sources to open for a route (-d/-t): none given → `host:?route=R`; host: sources get
 * `route=R` in their query; any other source has no routes (a usage error).
 */
export function routedSources(sources: readonly string[], route: "debugfs" | "trace" | undefined): string[] {
  if (route === undefined) return [...sources];
  if (sources.length === 0) return [formatSpec(sourceSpec("host", "", { route }))];
  return sources.map((s) => {
    const spec = s.startsWith("host:") ? parseSourceUri(s) : undefined;
    if (spec?.scheme !== "host") {
      throw new UsageError(
        `${printable(s)}: -${route === "debugfs" ? "d/--debugfs" : "t/--tracepoints"} chooses a route of host: sources only`,
      );
    }
    return formatSpec(withQuery(spec, { route }));
  });
}

/**
 * Opens what the command line names, or the default: every VM on this host (`host:`) where
 * one runs; else a demo KVM VM started here, so that a fresh machine still shows live values;
 * else (no KVM) the simulated VM. Each fallback is said on stderr in one line.
 */
export async function openNamedSources(sources: readonly string[], io: Io): Promise<StatsSource> {
  if (sources.length > 0) return openSources(sources);
  try {
    const { KVM_DEVICE } = await import("../providers/kvm/kvm.js");
    const { hostHasVms } = await import("../providers/host/enumerate.js");
    if (existsSync(KVM_DEVICE) && hostHasVms()) return await openSource("host:");
    const demo = await openSource("kvm:demo");
    io.stderr.write("statsfs: no KVM VM runs on this host; showing a demo VM started by statsfs (kvm:demo)\n");
    return demo;
  } catch (e) {
    if (!(e instanceof KvmError)) throw e;
    io.stderr.write(`statsfs: ${e.message}; showing the built-in simulated VM (sim:) instead\n`);
    return openSource("sim:");
  }
}
