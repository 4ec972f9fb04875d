/**
 * @module views/top/terminal
 * Drawing a full-screen frame on a TTY: alternate screen, hidden cursor, synchronized output
 * (frames appear whole), and a restore that runs exactly once on any exit path.
 */

const ESC = "\x1b[";
const ENTER = `${ESC}?1049h${ESC}?25l`;
const LEAVE = `${ESC}?25h${ESC}?1049l`;
const SYNC_BEGIN = `${ESC}?2026h`;
const SYNC_END = `${ESC}?2026l`;

/** A TTY screen. `restore()` is idempotent and also runs at process exit. */
export class Screen {
  readonly #out: { write(t: string): unknown };
  #active = false;
  readonly #onExit = () => this.restore();

  constructor(out: { write(t: string): unknown }) {
    this.#out = out;
  }

  enter(): void {
    if (this.#active) return;
    this.#active = true;
    process.once("exit", this.#onExit);
    this.#out.write(ENTER);
  }

  /** Replaces the screen with `lines` in one synchronized update. */
  draw(lines: readonly string[], width: number, height: number): void {
    const body = lines
      .slice(0, height)
      .map((l) => (l.length > width ? l.slice(0, width) : l))
      .join(`${ESC}K\n`);
    this.#out.write(`${SYNC_BEGIN}${ESC}H${body}${ESC}K\n${ESC}J${SYNC_END}`);
  }

  restore(): void {
    if (!this.#active) return;
    this.#active = false;
    process.removeListener("exit", this.#onExit);
    this.#out.write(LEAVE);
  }
}
