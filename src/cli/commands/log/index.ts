/**
 * @module cli/commands/log
 * `statsfs log [SRC…]`: kvm_stat's logging mode (-l): one line per sample of per-field deltas,
 * in kvm_stat's plain layout or its CSV (-c), byte for byte, or one JSON object per sample
 * (--jsonl) with every file's labels, deltas and totals, u64 digit-exact. -L FILE appends to a
 * file and reopens it on SIGHUP (logrotate); -z omits all-zero lines; --count N stops after N
 * samples; -1 is --count 1. The formats and their rules are in views/log.
 */
import { closeSync, fstatSync, openSync, writeSync } from "node:fs";
import { UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { sysReason } from "../../../model/text.js";
import { samples } from "../../../sample/sampler.js";
import { checkedSelector } from "../../../sample/select.js";
import {
  CSV,
  columnsOf,
  fieldSums,
  jsonlRecord,
  KVMSTAT_EXEMPT,
  type LogFilter,
  type LogSink,
  LogWriter,
  PLAIN,
} from "../../../views/log/index.js";
import { checkPid, fieldsHelp, pidOfGuest } from "../../../views/top/guests.js";
import { fieldsRegex } from "../../../views/top/keys.js";
import { type Args, type Command, durationOption, flag, intOption } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { KVMSTAT_HELP, KVMSTAT_OPTIONS, type KvmStatArgs, kvmStatArgs, openNamedSources, routedSources } from "../../kvmstat.js";
import { SELECTION_HELP, SELECTION_OPTIONS, selectionOf } from "../../selection.js";

/** A file opened for appending, as a log sink. */
class FileSink implements LogSink {
  readonly isFile = true;
  readonly path: string;
  #fd: number;
  constructor(path: string) {
    this.path = path;
    try {
      this.#fd = openSync(path, "a");
    } catch (e) {
      throw new UsageError(`-L ${printable(path)}: cannot open for appending: ${sysReason(e)}`);
    }
  }
  write(text: string): void {
    writeSync(this.#fd, text);
  }
  size(): number {
    return fstatSync(this.#fd).size;
  }
  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}

/** Runs `log` with parsed options. */
export async function log(
  sources: readonly string[],
  k: KvmStatArgs,
  extra: {
    jsonl: boolean;
    count: number | undefined;
    intervalMs: number | undefined;
    selection: ReturnType<typeof selectionOf>;
    /** Every statistic, also the time totals kvm_stat leaves out. */
    all?: boolean | undefined;
  },
  io: Io,
): Promise<number> {
  if (extra.jsonl && k.csv) throw new UsageError("log: give --jsonl or -c/--csv, not both");
  const { source } = await openNamedSources(routedSources(sources, k.route), io);
  let sink: FileSink | undefined;
  const onHup = () => {
    hup = true;
  };
  let hup = false;
  let offHup: (() => void) | undefined;
  try {
    const selector = checkedSelector(extra.selection, source.files);
    if (k.fields === "help") {
      io.stdout.write(fieldsHelp(source.files.filter((f) => selector.file(f))));
      return Exit.Ok;
    }
    const pid = k.guest !== undefined ? pidOfGuest(source.files, k.guest) : k.pid;
    if (pid !== undefined) checkPid(source.files, pid);
    // kvm_stat's formats show kvm_stat's field set (its exempt time totals left out) unless --all or
    // --names says otherwise; --jsonl, statsfs's own format, shows everything.
    const exempt = extra.jsonl || extra.all || extra.selection.names !== undefined ? undefined : KVMSTAT_EXEMPT;
    const filter: LogFilter = { selector, fields: fieldsRegex(k.fields), pid, exempt };
    const stdout: LogSink = { isFile: false, write: (t) => io.stdout.write(t), size: () => 0 };
    if (k.logFile !== undefined) {
      sink = new FileSink(k.logFile);
      offHup = io.onHangup?.(onHup);
    }
    const out: LogSink = sink ?? stdout;
    const writer = extra.jsonl ? undefined : new LogWriter(k.csv ? CSV : PLAIN, out, k.skipZero);
    const count = k.once ? 1 : extra.count;
    const intervalMs = extra.intervalMs ?? Math.round((k.delay ?? 1) * 1000);
    for await (const sample of samples(source, {
      intervalMs,
      signal: io.signal,
      count: count === undefined ? undefined : count + 1,
      timeoutMs: intervalMs,
    })) {
      if (hup && sink) {
        hup = false;
        sink.close();
        sink = new FileSink(sink.path);
        writer?.reopen(sink);
      }
      const target = sink ?? stdout;
      if (!writer) {
        if (sample.seq === 0) continue;
        const rec = jsonlRecord(sample, filter, k.skipZero);
        if (rec !== undefined) target.write(`${rec}\n`);
        continue;
      }
      const sums = fieldSums(sample, filter);
      if (sample.seq === 0) writer.start(columnsOf(sums));
      else writer.sample(sample.wall, sums, columnsOf(sums));
    }
    return Exit.Ok;
  } finally {
    offHup?.();
    sink?.close();
    await source.close();
  }
}

/** --interval's bounds in milliseconds. */
const INTERVAL = { min: 1, max: 999_999_999_999_999 };

export const command: Command = {
  name: "log",
  summary: "log per-field deltas per sample: kvm_stat's plain and CSV formats, or JSON lines",
  help: `usage: statsfs log [SRC...] [options] [selection]

  SRC...         sources, shown together (default host: where available, else kvm:demo or sim:)
  --jsonl        one JSON object per sample: time, and per file its labels, deltas and totals
                 (u64 values as JSON numbers with every digit; parse them losslessly)
  --count N      stop after N samples (default: until Ctrl-C)
  --interval MS  time between samples in milliseconds or with a unit, 500ms, 2s (overrides -s)
  -a, --all      every statistic: also halt_wait_ns, halt_poll_success_ns and halt_poll_fail_ns,
                 which kvm_stat's field set leaves out (their *_hist histograms are shown);
                 --names also shows what it names
${KVMSTAT_HELP}
${SELECTION_HELP}

Plain and CSV columns are the sorted field names, each the sum of its deltas over the selected
files; the header/banner repeats every 20 lines (not for CSV in a file, whose header is written
only when the file is empty). When the fields change (a VM with other statistics appears) a new
banner or header starts a new block. JSONL carries new files as they come (delta null in the
record where they appear) and lists files that went away under "gone".`,
  options: {
    ...KVMSTAT_OPTIONS,
    jsonl: { type: "boolean" },
    all: { type: "boolean", short: "a" },
    count: { type: "string", short: "n" },
    interval: { type: "string" },
    ...SELECTION_OPTIONS,
  },
  positionals: [0, 64],
  run: (a: Args, io: Io) => {
    const k = kvmStatArgs(a, "log");
    const intervalMs = durationOption(a, "log", "interval", "ms", INTERVAL);
    return log(
      a.positionals,
      k,
      {
        jsonl: flag(a, "jsonl"),
        count: intOption(a, "log", "count", 1, 999_999_999_999_999),
        intervalMs,
        selection: selectionOf(a),
        all: flag(a, "all"),
      },
      io,
    );
  },
};
