/**
 * @module cli/io
 * What a command may touch of the outside world, so that commands run in tests without argv,
 * real stdio, the process's environment, signals or process.exit: commands read stdin, the
 * environment and the stop signal from their {@link Io}, never from `process`.
 */

/** Where a command writes, and how it learns it should stop. */
export interface Io {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: { write(text: string): unknown };
  /** Aborted on SIGINT/SIGTERM: long-running commands (top, serve) end cleanly when it fires. */
  readonly signal: AbortSignal;
  /** Key input (top's keys on a terminal); none: no keys are read. */
  readonly stdin?: NodeJS.ReadStream | undefined;
  /** Calls `listener` on each SIGHUP (log -L reopens its file) until the returned function is called. */
  readonly onHangup?: ((listener: () => void) => () => void) | undefined;
  /** The environment (NO_COLOR, STATSFS_DEBUG, …); none: empty. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Exit codes of every command. */
export const Exit = {
  Ok: 0,
  /** `check` found violations. */
  Violations: 1,
  /** Bad command line, bad input or an unreachable source. */
  Usage: 2,
  /** A bug in statsfs (an error that is not a StatsfsError): sysexits' EX_SOFTWARE. */
  Bug: 70,
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
