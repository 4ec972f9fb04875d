/**
 * @module cli/commands/top
 * `statsfs top [SRC…]`: kvm_stat's live view for every source. On a TTY it redraws one
 * full-screen frame (synchronized, throttled, restored on any exit) and takes kvm_stat's keys
 * (b c f g h o p q r s x, any other key refreshes); otherwise it prints plain frames, one per
 * interval. kvm_stat's options apply (-1 batch, -l/-L log mode, -f, -g, -p, -s, -d/-t routes).
 * Without SRC it watches host: where that source exists, else the demo KVM VM, or sim:.
 */
import { NothingToShowError, UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { Pace, type Sample, Sampler, samples } from "../../../sample/sampler.js";
import { checkedSelector, type Selection } from "../../../sample/select.js";
import { KVMSTAT_EXEMPT } from "../../../views/log/index.js";
import { checkPid, fieldsHelp, guestsOf, pidOfGuest } from "../../../views/top/guests.js";
import { fieldsRegex, TopKeys } from "../../../views/top/keys.js";
import type { ViewState } from "../../../views/top/kvm-frame.js";
import { colorWanted, Screen } from "../../../views/top/terminal.js";
import { batchText, memberOf, TopView } from "../../../views/top/view.js";
import { type Command, durationOption, flag, intOption } from "../../command.js";
import { requireFiles } from "../../empty.js";
import { Exit, type Io } from "../../io.js";
import { KVMSTAT_HELP, KVMSTAT_OPTIONS, type KvmStatArgs, kvmStatArgs, openNamedSources, routedSources } from "../../kvmstat.js";
import { SELECTION_HELP, SELECTION_OPTIONS, selectionOf } from "../../selection.js";
import { log } from "../log/index.js";

/** Options of {@link top}. */
export interface TopOptions {
  /** Sources (one union); empty: the default (see module doc). */
  readonly sources: readonly string[];
  readonly intervalMs: number;
  /** Stop after this many frames (undefined: until interrupted). */
  readonly count?: number | undefined;
  readonly all?: boolean | undefined;
  readonly selection?: Selection | undefined;
  readonly kvmstat?: KvmStatArgs | undefined;
}

/** Runs the live view. */
export async function top(o: TopOptions, io: Io): Promise<number> {
  const k = o.kvmstat;
  const { source, shows } = await openNamedSources(routedSources(o.sources, k?.route), io);
  const tty = io.stdout.isTTY === true;
  const quit = new AbortController();
  const stop = AbortSignal.any([io.signal, quit.signal]);
  const stdin = io.stdin;
  let screen: Screen | undefined;
  let onKey: ((b: Buffer) => void) | undefined;
  const onResize = () => draw();
  let draw = () => {};
  try {
    const selector = checkedSelector(o.selection ?? {}, source.files);
    if (k?.fields === "help") {
      io.stdout.write(fieldsHelp(source.files.filter((f) => selector.file(f))));
      return Exit.Ok;
    }
    const pid = k?.guest !== undefined ? pidOfGuest(source.files, k.guest) : k?.pid;
    if (pid !== undefined) checkPid(source.files, pid);
    const guestName = pid === undefined ? "" : (guestsOf(source.files).find((g) => g.pid === pid)?.name ?? "");
    if (k?.once) {
      const sampler = new Sampler(source, { timeoutMs: o.intervalMs });
      let last: Sample | undefined;
      for await (const s of samples(source, { intervalMs: o.intervalMs, count: 2, signal: stop, timeoutMs: o.intervalMs }, sampler))
        last = s;
      const exempt = o.all || o.selection?.names !== undefined ? undefined : KVMSTAT_EXEMPT;
      const text = last ? batchText(last, { selector, fields: fieldsRegex(k.fields), pid, exempt }) : "";
      if (text === "" && !stop.aborted) {
        requireFiles(source);
        throw new NothingToShowError(
          `${printable(source.uri)}: no field left to show (-f ${printable(k.fields || "none")}, ${pid === undefined ? "all VMs" : `pid ${pid}`}, the selection options)`,
        );
      }
      io.stdout.write(text);
      return Exit.Ok;
    }
    const state: ViewState = {
      sortByTotal: false,
      byGuest: false,
      drill: false,
      fields: k?.fields ?? "",
      pid: pid ?? "",
      guest: guestName,
      all: o.all === true,
      shows,
    };
    const view = new TopView(state, selector);
    const sampler = new Sampler(source, { timeoutMs: o.intervalMs });
    const pace = new Pace(o.intervalMs);
    const keys = new TopKeys(state, o.intervalMs / 1000, () => guestsOf(source.files));
    const member = memberOf(source);
    if (tty) {
      screen = new Screen(io.stdout as { write(t: string): unknown; columns?: number; rows?: number }, {
        color: colorWanted(io.env ?? {}),
        input: stdin?.isTTY ? stdin : undefined,
      });
      const sc = screen;
      draw = () => sc.draw(keys.overlayLines() ?? view.lines(sc.height, sc.width));
      onKey = (b: Buffer) => {
        const fx = keys.handle(b.toString("utf8"));
        if (fx.has("quit")) {
          quit.abort();
          return;
        }
        if (fx.has("reset")) {
          sampler.rebase();
          pace.wake();
        }
        if (fx.has("filter")) {
          view.clearGone();
          view.regroup();
        }
        if (fx.has("delay")) pace.intervalMs = keys.delay * 1000;
        if (fx.has("refresh")) pace.wake();
        if (fx.has("redraw") || fx.has("filter")) {
          view.regroup();
          draw();
        }
      };
      screen.enter();
      (io.stdout as { on?(e: string, f: () => void): unknown }).on?.("resize", onResize);
      if (stdin?.isTTY) stdin.on("data", onKey);
    }
    for await (const sample of samples(
      source,
      { intervalMs: o.intervalMs, pace, signal: stop, count: o.count, timeoutMs: o.intervalMs },
      sampler,
    )) {
      view.update(sample, member, () => source.emptyReason?.() ?? `${source.uri}: no stats files`);
      if (screen) draw();
      else
        io.stdout.write(
          `${view
            .lines(undefined)
            .map((l) => l.text.trimEnd())
            .join("\n")}\n`,
        );
    }
    screen?.flush();
    return Exit.Ok;
  } finally {
    screen?.restore();
    (io.stdout as { off?(e: string, f: () => void): unknown }).off?.("resize", onResize);
    if (onKey && stdin) {
      stdin.off("data", onKey);
      stdin.pause();
    }
    await source.close();
  }
}

/** --interval's bounds in milliseconds. */
const INTERVAL = { min: 1, max: 3_600_000 };

export const command: Command = {
  name: "top",
  summary: "live view of statistics, kvm_stat's options and keys (default: host: or a demo VM)",
  help: `usage: statsfs top [SRC...] [options] [selection]

  SRC...         sources to watch, shown together (each keeps its own files); default host:
                 where available, else kvm:demo (a small real KVM VM), or sim: without /dev/kvm
  --interval MS  refresh period in milliseconds or with a unit, 500ms, 2s (default 1000;
                 -s sets it in seconds)
  --count N      stop after N frames (default: until Ctrl-C or q)
  -a, --all      also show statistics at 0/0; with -1, -l or -L also halt_wait_ns,
                 halt_poll_success_ns and halt_poll_fail_ns, which kvm_stat's field set
                 leaves out (--names also shows what it names)
${KVMSTAT_HELP}
${SELECTION_HELP}

Keys: b per-guest totals, c clear filters, f regex filter, g/p guest or pid, h help,
o sort by Total or CurAvg/s, q quit, r reset totals, s set delay, x per-vCPU rows,
any other key refreshes. Without a terminal each frame is printed as plain text.
With -l or -L, top runs \`statsfs log\` (kvm_stat's logging mode).`,
  options: {
    interval: { type: "string" },
    count: { type: "string", short: "n" },
    all: { type: "boolean", short: "a" },
    ...KVMSTAT_OPTIONS,
    ...SELECTION_OPTIONS,
  },
  positionals: [0, 64],
  run: (a, io) => {
    const k = kvmStatArgs(a, "top");
    if (k.csv && !(k.log || k.logFile !== undefined)) throw new UsageError("top: -c/--csv requires -l/--log or -L FILE");
    if (k.skipZero && !(k.log || k.logFile !== undefined)) throw new UsageError("top: -z/--skip-zero-records requires -l/-L");
    const interval = durationOption(a, "top", "interval", "ms", INTERVAL);
    const intervalMs = interval ?? Math.round((k.delay ?? 1) * 1000);
    const count = intOption(a, "top", "count", 1, Number.MAX_SAFE_INTEGER);
    if (k.log || k.logFile !== undefined) {
      return log(a.positionals, k, { jsonl: false, count, intervalMs, selection: selectionOf(a), all: flag(a, "all") }, io);
    }
    return top({ sources: a.positionals, selection: selectionOf(a), intervalMs, count, all: flag(a, "all"), kvmstat: k }, io);
  },
};
