/**
 * @module views/top/terminal
 * Drawing a full-screen frame on a TTY: alternate screen, hidden cursor, synchronized output
 * (frames appear whole), and a restore — of the screen and of the keyboard's raw mode — that
 * runs exactly once on any exit path (q, Ctrl-C, SIGTERM, an exception, process exit).
 *
 * Every row is written at its own absolute position and cleared to its end, rows below the
 * frame are cleared, and each line is cut to the terminal's width measured in display columns
 * (wide and combining characters included): a line can never wrap and scroll the screen. After
 * a resize the whole screen is erased before the next frame, so nothing of the old geometry
 * survives (the stale rows of issue 7). Redraws are throttled: at most one per `minGapMs`,
 * the latest frame wins.
 */

import { clip } from "../text/width.js";
import type { Line } from "./kvm-frame.js";

const ESC = "\x1b[";
const ENTER = `${ESC}?1049h${ESC}?25l`;
const LEAVE = `${ESC}0m${ESC}?25h${ESC}?1049l`;
const SYNC_BEGIN = `${ESC}?2026h`;
const SYNC_END = `${ESC}?2026l`;

const STYLES: Record<NonNullable<Line["style"]>, string> = {
  bold: `${ESC}1m`,
  standout: `${ESC}7m`,
  dim: `${ESC}2m`,
  alert: `${ESC}1;31m`,
};

/** What a Screen writes to: a TTY stream. */
export interface ScreenOut {
  write(t: string): unknown;
  readonly columns?: number | undefined;
  readonly rows?: number | undefined;
}

/** Screen options. */
export interface ScreenOptions {
  /** Emphasis by SGR (bold, reverse, colour); false under NO_COLOR. */
  readonly color?: boolean | undefined;
  /** Minimum time between two redraws (default 30 ms). */
  readonly minGapMs?: number | undefined;
  /** Raw-mode keyboard to restore with the screen. */
  readonly input?: { setRawMode?(raw: boolean): unknown; isTTY?: boolean } | undefined;
}

/** Whether colour is wanted: not under NO_COLOR (any non-empty value), https://no-color.org. */
export function colorWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== "");
}

/** A TTY screen. `restore()` is idempotent and also runs at process exit. */
export class Screen {
  readonly #out: ScreenOut;
  readonly #color: boolean;
  readonly #gap: number;
  readonly #input: ScreenOptions["input"];
  #active = false;
  #geometry = "";
  #last = 0;
  #pending: readonly Line[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #onExit = () => this.restore();

  constructor(out: ScreenOut, options: ScreenOptions = {}) {
    this.#out = out;
    this.#color = options.color ?? colorWanted();
    this.#gap = options.minGapMs ?? 30;
    this.#input = options.input;
  }

  get width(): number {
    return this.#out.columns ?? 80;
  }

  get height(): number {
    return this.#out.rows ?? 24;
  }

  enter(): void {
    if (this.#active) return;
    this.#active = true;
    process.once("exit", this.#onExit);
    if (this.#input?.isTTY) this.#input.setRawMode?.(true);
    this.#out.write(ENTER);
  }

  /** Draws `lines` now or, if a frame was drawn less than minGapMs ago, as soon as allowed. */
  draw(lines: readonly Line[]): void {
    if (!this.#active) return;
    this.#pending = lines;
    const wait = this.#gap - (performance.now() - this.#last);
    if (wait <= 0) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Draws the pending frame at once. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#pending;
    this.#pending = undefined;
    if (!lines || !this.#active) return;
    this.#last = performance.now();
    this.#out.write(this.render(lines));
  }

  /** The bytes of one frame (exposed for tests and benchmarks). */
  render(lines: readonly Line[]): string {
    const w = Math.max(1, this.width);
    const h = Math.max(1, this.height);
    const geometry = `${w}x${h}`;
    let out = SYNC_BEGIN;
    if (geometry !== this.#geometry) {
      // A new size: forget everything on screen.
      out += `${ESC}H${ESC}2J`;
      this.#geometry = geometry;
    }
    const n = Math.min(lines.length, h);
    for (let i = 0; i < n; i++) {
      const l = lines[i] as Line;
      const text = clip(l.text, w);
      const sgr = this.#color && l.style ? STYLES[l.style] : undefined;
      out += `${ESC}${i + 1};1H${sgr ? `${sgr}${text}${ESC}0m` : text}${ESC}K`;
    }
    if (n < h) out += `${ESC}${n + 1};1H${ESC}J`;
    return `${out}${SYNC_END}`;
  }

  restore(): void {
    if (!this.#active) return;
    this.#active = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    process.removeListener("exit", this.#onExit);
    this.#out.write(LEAVE);
    if (this.#input?.isTTY) this.#input.setRawMode?.(false);
  }
}
