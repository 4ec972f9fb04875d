/**
 * @module cli/io
 * What a command may touch of the outside world, so that commands run in tests without argv,
 * real stdio or process.exit.
 */

/** Where a command writes, and how it learns it should stop. */
export interface Io {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: { write(text: string): unknown };
  /** Aborted on SIGINT/SIGTERM: long-running commands (top, serve) end cleanly when it fires. */
  readonly signal: AbortSignal;
}

/** Exit codes of every command. */
export const Exit = {
  Ok: 0,
  /** `check` found violations. */
  Violations: 1,
  /** Bad command line, bad input or an unreachable source. */
  Usage: 2,
  /** Nothing to show: the source has no statistics, or the selection keeps none (stderr says why). */
  Empty: 3,
} as const;

/** An Io that collects output in strings (for tests and embedding). */
export function bufferIo(signal: AbortSignal = new AbortController().signal): Io & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    signal,
    out: () => out,
    err: () => err,
  };
}
