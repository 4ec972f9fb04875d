/**
 * @module cli/commands/top
 * `statsfs top [SRC] [--interval MS] [--count N] [--all]`: live statistics, refreshed every
 * interval until Ctrl-C or `q`. On a TTY it redraws one full-screen frame (synchronized output,
 * terminal restored on any exit); otherwise it prints plain text blocks, one per interval.
 * Without SRC it starts the demo KVM VM, or the simulated one where KVM is unavailable.
 */
import { KvmError, UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { openSource, openSources } from "../../../providers/registry.js";
import type { StatsSource } from "../../../providers/source.js";
import { type Sample, samples } from "../../../views/sampler/index.js";
import { checkedSelector, type Selection, type Selector } from "../../../views/select/index.js";
import { renderFrame } from "../../../views/top/frame.js";
import { groupSample } from "../../../views/top/rates.js";
import { Screen } from "../../../views/top/terminal.js";
import { type Command, flag, str } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { SELECTION_HELP, SELECTION_OPTIONS, selectionOf } from "../../selection.js";

/** Options of {@link top}. */
export interface TopOptions {
  /** Sources (one union); empty: `kvm:demo`, or `sim:` where KVM is unavailable. */
  readonly sources: readonly string[];
  readonly intervalMs: number;
  /** Stop after this many frames (undefined: until interrupted). */
  readonly count?: number | undefined;
  readonly all?: boolean | undefined;
  readonly selection?: Selection | undefined;
}

async function openDefault(io: Io): Promise<StatsSource> {
  try {
    return await openSource("kvm:demo");
  } catch (e) {
    if (!(e instanceof KvmError)) throw e;
    io.stderr.write(`statsfs: ${e.message}; showing the built-in simulated VM (sim:) instead\n`);
    return openSource("sim:");
  }
}

/** The frame's lines for one sample. */
export function topLines(
  sample: Sample,
  o: { uri: string; width: number; height: number | undefined; all: boolean; tty: boolean; selector: Selector },
): string[] {
  const groups = groupSample({ ...sample, files: sample.files.filter((f) => o.selector.file(f.file)) }).map((g) => ({
    ...g,
    rows: g.rows.filter((r) => o.selector.name(r.stat.name)),
  }));
  const head = `statsfs top — ${printable(o.uri)} — ${new Date(sample.wall).toISOString().slice(11, 19)}${o.tty ? "  (q to quit)" : ""}`;
  const notes = sample.members
    .filter((m) => m.state !== "ok")
    .map((m) => `! ${printable(m.uri)}: ${m.state}${m.reason ? ` — ${m.reason}` : ""}`);
  const gone = sample.removed.map((g) => `- gone: ${printable(g.file.identity.id)} at ${new Date(g.goneAt).toISOString().slice(11, 19)}`);
  const extra = [...notes, ...gone];
  return [
    head,
    ...extra,
    "",
    ...renderFrame(groups, { width: o.width, height: o.height === undefined ? undefined : o.height - 2 - extra.length, all: o.all }),
  ];
}

/** Runs the live view. */
export async function top(o: TopOptions, io: Io): Promise<number> {
  const source = o.sources.length === 0 ? await openDefault(io) : await openSources(o.sources);
  const tty = io.stdout.isTTY === true;
  const screen = tty ? new Screen(io.stdout) : undefined;
  const stdin = process.stdin;
  const onKey = (k: Buffer) => {
    if (k[0] === 0x71 /* q */ || k[0] === 0x03 /* ^C in raw mode */) quit.abort();
  };
  const quit = new AbortController();
  const stop = AbortSignal.any([io.signal, quit.signal]);
  try {
    const selector = checkedSelector(o.selection ?? {}, source.files);
    if (screen && stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.on("data", onKey);
    }
    screen?.enter();
    for await (const sample of samples(source, { intervalMs: o.intervalMs, signal: stop, count: o.count, timeoutMs: o.intervalMs })) {
      const width = io.stdout.columns ?? 120;
      const height = (process.stdout.rows ?? 40) - 1;
      const lines = topLines(sample, { uri: source.uri, width, height: tty ? height : undefined, all: o.all === true, tty, selector });
      if (screen) screen.draw(lines, width, height);
      else io.stdout.write(`${lines.join("\n")}\n`);
    }
    return Exit.Ok;
  } finally {
    screen?.restore();
    if (screen && stdin.isTTY) {
      stdin.off("data", onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    await source.close();
  }
}

function positiveInt(text: string | undefined, name: string, dflt: number | undefined, max: number): number | undefined {
  if (text === undefined) return dflt;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
    throw new UsageError(`top: ${name} must be an integer from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

export const command: Command = {
  name: "top",
  summary: "live view of a source's statistics (default: a demo KVM VM)",
  help: `usage: statsfs top [SRC...] [--interval MS] [--count N] [--all] [selection]

  SRC...         sources to watch, shown together (each keeps its own files); default kvm:demo
                 (a small real KVM VM), or sim: when /dev/kvm is unavailable
  --interval MS  refresh period in milliseconds (default 1000)
  --count N      stop after N frames (default: until Ctrl-C or q)
  --all          also show statistics that are zero and not moving
${SELECTION_HELP}

On a terminal the view redraws in place; otherwise each frame is printed as plain text.`,
  options: {
    interval: { type: "string", short: "i" },
    count: { type: "string", short: "n" },
    all: { type: "boolean", short: "a" },
    ...SELECTION_OPTIONS,
  },
  positionals: [0, 64],
  run: (a, io) =>
    top(
      {
        sources: a.positionals,
        selection: selectionOf(a),
        intervalMs: positiveInt(str(a, "interval"), "--interval", 1000, 3_600_000) as number,
        count: positiveInt(str(a, "count"), "--count", undefined, Number.MAX_SAFE_INTEGER),
        all: flag(a, "all"),
      },
      io,
    ),
};
