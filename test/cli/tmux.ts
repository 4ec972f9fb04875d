/**
 * @module test/cli/tmux
 * Driving a terminal program under tmux: a private server per session (-L), send-keys to
 * type, capture-pane to read the screen, resize-window to change its size. With
 * STATSFS_REQUIRE_TMUX=1 (set by .ci/run) a missing tmux is a failure, not a skip.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** Why tmux tests cannot run, or false when they can. */
export function tmuxSkip(): string | false {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return false;
  } catch {
    const reason = "SKIPPED: tmux is not installed; terminal tests cannot run";
    if (process.env.STATSFS_REQUIRE_TMUX === "1") throw new Error(`STATSFS_REQUIRE_TMUX=1 but ${reason}`);
    console.error(reason);
    return reason;
  }
}

let serial = 0;

/** One tmux session running `command` in a shell. */
export class Tmux {
  readonly name: string;

  constructor(cols: number, rows: number, command: string, env: Record<string, string> = {}) {
    this.name = `statsfs-${process.pid}-${++serial}`;
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v}'; `)
      .join("");
    this.tm("new-session", "-d", "-s", this.name, "-x", String(cols), "-y", String(rows), `${exports}${command}`);
    this.tm("set-option", "-t", this.name, "remain-on-exit", "on");
  }

  tm(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.name, "-u", ...args], { encoding: "utf8", env: { ...process.env, LANG: "C.UTF-8" } });
  }

  /** The visible screen as text (trailing blanks trimmed per line by tmux). */
  screen(escapes = false): string {
    return this.tm("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", this.name);
  }

  /** Types keys (tmux key names: "q", "Enter", "Escape", "C-c", or literal text with literal=true). */
  keys(keys: string, literal = false): void {
    this.tm("send-keys", "-t", this.name, ...(literal ? ["-l"] : []), keys);
  }

  resize(cols: number, rows: number): void {
    this.tm("resize-window", "-t", this.name, "-x", String(cols), "-y", String(rows));
  }

  /** The pid of the pane's shell's first child (the program under test). */
  childPid(): number {
    const shell = this.tm("list-panes", "-t", this.name, "-F", "#{pane_pid}").trim();
    const kids = readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim().split(/\s+/);
    return Number(kids[0]);
  }

  /** Waits (bounded) until the screen satisfies `cond`; returns it or throws with the last screen. */
  async waitFor(cond: (screen: string) => boolean, what: string, ms = 15000): Promise<string> {
    let s = "";
    for (let t = 0; t < ms; t += 100) {
      s = this.screen();
      if (cond(s)) return s;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
  }

  kill(): void {
    try {
      this.tm("kill-server");
    } catch {
      // already gone
    }
  }
}
