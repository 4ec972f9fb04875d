/**
 * @module cli/commands/top
 * `statsfs top [SRC] [--interval MS] [--count N] [--all]`: live statistics, refreshed every
 * interval until Ctrl-C or `q`. On a TTY it redraws one full-screen frame (synchronized output,
 * terminal restored on any exit); otherwise it prints plain text blocks, one per interval.
 * Without SRC it starts the demo KVM VM, or the simulated one where KVM is unavailable.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { KvmError, UsageError } from "../../../errors.js";
import type { StatsFile } from "../../../model/stats-file.js";
import { openSource } from "../../../providers/registry.js";
import type { StatsSource } from "../../../providers/source.js";
import { renderFrame } from "../../../views/top/frame.js";
import { groupFiles, rateGroup } from "../../../views/top/rates.js";
import { Screen } from "../../../views/top/terminal.js";
import { type Command, flag, str } from "../../command.js";
import { Exit, type Io } from "../../io.js";

/** Options of {@link top}. */
export interface TopOptions {
  /** Source; undefined: `kvm:demo`, or `sim:` where KVM is unavailable. */
  readonly source?: string | undefined;
  readonly intervalMs: number;
  /** Stop after this many frames (undefined: until interrupted). */
  readonly count?: number | undefined;
  readonly all?: boolean | undefined;
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

/** Runs the live view. */
export async function top(o: TopOptions, io: Io): Promise<number> {
  const source = o.source === undefined ? await openDefault(io) : await openSource(o.source);
  const tty = io.stdout.isTTY === true;
  const screen = tty ? new Screen(io.stdout) : undefined;
  const stdin = process.stdin;
  const onKey = (k: Buffer) => {
    if (k[0] === 0x71 /* q */ || k[0] === 0x03 /* ^C in raw mode */) quit.abort();
  };
  const quit = new AbortController();
  const stop = AbortSignal.any([io.signal, quit.signal]);
  try {
    if (screen && stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.on("data", onKey);
    }
    screen?.enter();
    let prev: Map<StatsFile, BigUint64Array> | undefined;
    let last = performance.now();
    for (let frame = 0; o.count === undefined || frame < o.count; frame++) {
      if (frame > 0) {
        await sleep(o.intervalMs, undefined, { signal: stop }).catch(() => undefined);
        if (stop.aborted) break;
      }
      await source.poll();
      const now = performance.now();
      const groups = groupFiles(source.files).map((g) => rateGroup(g, prev, (now - last) / 1000));
      prev = new Map(source.files.map((f) => [f, f.data.slice()]));
      last = now;
      const width = io.stdout.columns ?? 120;
      const height = (process.stdout.rows ?? 40) - 1;
      const head = `statsfs top — ${source.uri} — ${new Date().toISOString().slice(11, 19)}${tty ? "  (q to quit)" : ""}`;
      const lines = [
        head,
        "",
        ...renderFrame(groups, {
          width,
          height: tty ? height - 2 : undefined,
          all: o.all === true,
        }),
      ];
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
  help: `usage: statsfs top [SRC] [--interval MS] [--count N] [--all]

  SRC            source to watch; default kvm:demo (a small real KVM VM), or sim: when
                 /dev/kvm is unavailable
  --interval MS  refresh period in milliseconds (default 1000)
  --count N      stop after N frames (default: until Ctrl-C or q)
  --all          also show statistics that are zero and not moving

On a terminal the view redraws in place; otherwise each frame is printed as plain text.`,
  options: { interval: { type: "string", short: "i" }, count: { type: "string", short: "n" }, all: { type: "boolean", short: "a" } },
  positionals: [0, 1],
  run: (a, io) =>
    top(
      {
        source: a.positionals[0],
        intervalMs: positiveInt(str(a, "interval"), "--interval", 1000, 3_600_000) as number,
        count: positiveInt(str(a, "count"), "--count", undefined, Number.MAX_SAFE_INTEGER),
        all: flag(a, "all"),
      },
      io,
    ),
};
