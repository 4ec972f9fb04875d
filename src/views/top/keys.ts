/**
 * @module views/top/keys
 * kvm_stat's interactive keys as a pure state machine: `b` per-guest totals, `c` clear filters,
 * `f` regex filter, `g`/`p` pick a guest or pid from a list, `h` help, `o` sort order, `q` quit,
 * `r` reset the baseline, `s` set the delay, `x` drilldown, any other key refreshes. Prompts
 * (f, g, p, s) collect a line: Enter accepts, Escape cancels, Backspace edits; a bad entry
 * keeps the prompt open with kvm_stat's message.
 */

import { printable } from "../../model/printable.js";
import { padEnd } from "../text/width.js";
import { helpFrame, type Line, promptFrame, type ViewState } from "./kvm-frame.js";
import { fromPython } from "./pyregex.js";

/** Delay limits, as kvm_stat's. */
export const MIN_DELAY = 0.1;
export const MAX_DELAY = 25.5;

/** Why a delay is refused, or undefined when it is valid (kvm_stat's messages). */
export function delayError(text: string, delay: number): string | undefined {
  if (!Number.isFinite(delay)) return `"${text}": Invalid value`;
  if (delay < MIN_DELAY) return `"${text}": Delay must be >=${MIN_DELAY}`;
  if (delay > MAX_DELAY) return `"${text}": Delay must be <=${MAX_DELAY}`;
  return undefined;
}

/**
 * kvm_stat's -f matches at the start of a name (Python's re.match); the common Python-only forms
 * are translated ({@link fromPython}), the others refused in one line naming them.
 */
export function fieldsRegex(text: string): RegExp | undefined {
  if (text === "") return undefined;
  const { source, flags } = fromPython(text);
  return new RegExp(`^(?:${source})`, flags);
}

/** A running guest as the g/p list shows it. */
export interface GuestEntry {
  readonly pid: string;
  readonly name: string;
}

/** What a key asks the caller to do. */
export type Effect = "redraw" | "refresh" | "quit" | "reset" | "delay" | "filter";

type Mode = { kind: "normal" } | { kind: "help" } | { kind: "prompt"; key: "f" | "g" | "s"; input: string; message: string };

/** The interactive state of `top`. */
export class TopKeys {
  readonly state: ViewState;
  /** Seconds between samples. */
  delay: number;
  readonly defaultDelay: number;
  #mode: Mode = { kind: "normal" };
  readonly #guests: () => readonly GuestEntry[];

  constructor(state: ViewState, delay: number, guests: () => readonly GuestEntry[], defaultDelay = 1) {
    this.state = state;
    this.delay = delay;
    this.defaultDelay = defaultDelay;
    this.#guests = guests;
  }

  /** Whether a help or prompt screen replaces the statistics. */
  get overlay(): boolean {
    return this.#mode.kind !== "normal";
  }

  /** Handles input bytes (possibly several keys); returns what to do. */
  handle(text: string): Set<Effect> {
    const fx = new Set<Effect>();
    for (const ch of text) {
      this.#key(ch, fx);
      if (fx.has("quit")) break;
    }
    return fx;
  }

  #key(ch: string, fx: Set<Effect>): void {
    const m = this.#mode;
    if (ch === "\x03") {
      fx.add("quit");
      return;
    }
    if (m.kind === "help") {
      this.#mode = { kind: "normal" };
      fx.add("redraw");
      return;
    }
    if (m.kind === "prompt") {
      fx.add("redraw");
      if (ch === "\x1b") this.#mode = { kind: "normal" };
      else if (ch === "\r" || ch === "\n") this.#accept(m, fx);
      else if (ch === "\x7f" || ch === "\b") m.input = m.input.slice(0, -1);
      else if (ch >= " ") m.input += ch;
      return;
    }
    const s = this.state;
    switch (ch) {
      case "b":
        s.byGuest = !s.byGuest;
        fx.add("redraw");
        break;
      case "c":
        s.fields = "";
        s.pid = "";
        s.guest = "";
        fx.add("filter");
        fx.add("redraw");
        break;
      case "f":
        this.#mode = { kind: "prompt", key: "f", input: "", message: "" };
        fx.add("redraw");
        break;
      case "g":
      case "p":
        this.#mode = { kind: "prompt", key: "g", input: "", message: "" };
        fx.add("redraw");
        break;
      case "h":
        this.#mode = { kind: "help" };
        fx.add("redraw");
        break;
      case "o":
        s.sortByTotal = !s.sortByTotal;
        fx.add("redraw");
        break;
      case "q":
        fx.add("quit");
        break;
      case "r":
        fx.add("reset");
        fx.add("redraw");
        break;
      case "s":
        this.#mode = { kind: "prompt", key: "s", input: "", message: "" };
        fx.add("redraw");
        break;
      case "x":
        s.drill = !s.drill;
        fx.add("redraw");
        break;
      default:
        fx.add("refresh");
    }
  }

  #accept(m: Extract<Mode, { kind: "prompt" }>, fx: Set<Effect>): void {
    const s = this.state;
    const text = m.input;
    if (m.key === "f") {
      if (text !== "") {
        try {
          fieldsRegex(text);
        } catch {
          m.message = `"${text}": Not a valid regular expression`;
          m.input = "";
          return;
        }
      }
      s.fields = text;
      fx.add("filter");
    } else if (m.key === "s") {
      const delay = text === "" ? this.defaultDelay : Number(text);
      const err = text !== "" && !/^\s*[0-9.eE+-]+\s*$/.test(text) ? `"${text}": Invalid value` : delayError(text, delay);
      if (err) {
        m.message = err;
        m.input = "";
        return;
      }
      this.delay = delay;
      fx.add("delay");
    } else {
      const guests = this.#guests();
      if (text === "" || text === "0") {
        s.pid = "";
        s.guest = "";
      } else if (/^\d+$/.test(text)) {
        const g = guests.find((x) => x.pid === text);
        if (!g) {
          m.message = `"${text}": Not a running process`;
          m.input = "";
          return;
        }
        s.pid = text;
        s.guest = g.name;
      } else {
        const hits = guests.filter((x) => x.name === text);
        if (hits.length !== 1) {
          m.message = hits.length === 0 ? `"${text}": Not an active guest` : `"${text}": Multiple matches found, use pid filter instead`;
          m.input = "";
          return;
        }
        s.pid = (hits[0] as GuestEntry).pid;
        s.guest = text;
      }
      fx.add("filter");
    }
    this.#mode = { kind: "normal" };
  }

  /** The help or prompt screen, when one is up. */
  overlayLines(): Line[] | undefined {
    const m = this.#mode;
    if (m.kind === "help") return helpFrame();
    if (m.kind !== "prompt") return undefined;
    if (m.key === "f") {
      return promptFrame({
        title: "Show statistics for events matching a regex.",
        current: `Current regex: ${this.state.fields}`,
        label: "New regex: ",
        input: m.input,
        message: m.message,
      });
    }
    if (m.key === "s") {
      return promptFrame({
        title: `Set update interval (defaults to ${this.defaultDelay.toFixed(1)}s).`,
        label: `Change delay from ${this.delay.toFixed(1)}s to `,
        input: m.input,
        message: m.message,
      });
    }
    const list = [`  ${"Pid".padStart(8)}  ${padEnd("Guest Name", 60)}`];
    for (const g of this.#guests()) list.push(`  ${g.pid.padStart(8)}  ${printable(g.name)}`);
    return promptFrame({
      title: "Show statistics for specific guest or pid.",
      label: "Guest or pid [ENTER exits]: ",
      input: m.input,
      message: m.message,
      list,
    });
  }
}
