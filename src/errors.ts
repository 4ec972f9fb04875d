/**
 * @module errors
 * One error base class with stable string codes, so callers (and the CLI's one top-level catch)
 * can tell kinds of failure apart without matching on message text. Messages quote data (stat
 * names, ids, paths, a peer's text): the base class escapes every control character in them
 * with model/text's {@link printable}, so that each message is exactly one printable line
 * whatever it quotes.
 */
import { printable } from "./model/text.js";

export { printable };

/** Longest message an error keeps; the rest is cut (one line stays readable). */
export const MAX_MESSAGE = 4096;

/** A message as every statsfs error holds it: control characters escaped, at most {@link MAX_MESSAGE} characters. */
export function oneLine(message: string): string {
  const p = printable(message);
  return p.length > MAX_MESSAGE ? `${p.slice(0, MAX_MESSAGE - 1)}…` : p;
}

/** Base of every error statsfs throws on purpose. `code` is stable; `message` is one printable line. */
export class StatsfsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Malformed binary stats data: names the field and the byte offset where it went wrong. */
export class DecodeError extends StatsfsError {
  readonly field: string;
  readonly offset: number;
  constructor(field: string, offset: number, message: string) {
    super("STATSFS_DECODE", `${message} (${field} at byte ${offset})`);
    this.field = field;
    this.offset = offset;
  }
}

/** A command line or API argument that cannot be used. CLI exit code 2. */
export class UsageError extends StatsfsError {
  constructor(message: string) {
    super("STATSFS_USAGE", message);
  }
}

/**
 * A command found nothing to show: the source has no statistics (a QEMU without KVM, a host
 * without VMs) or the selection keeps none. The message says what was found and why it is
 * empty. CLI exit code 3.
 */
export class NothingToShowError extends StatsfsError {
  constructor(message: string) {
    super("STATSFS_EMPTY", message);
  }
}

/** A source could not be opened or read (missing file, bad URI, peer gone). */
export class SourceError extends StatsfsError {}

/**
 * A bounded wait for a source ended before it answered (`poll({ timeoutMs })`): the source is
 * stalled, not gone; its files keep their last values and a later poll may succeed.
 */
export class TimeoutError extends SourceError {
  constructor(message: string, options?: ErrorOptions) {
    super("STATSFS_TIMEOUT", message, options);
  }
}

/** A system call or the FFI module failed (codes STATSFS_FFI, STATSFS_MMAP, …). */
export class SystemError extends StatsfsError {}

/** KVM is unavailable or an ioctl failed. */
export class KvmError extends StatsfsError {}

/** A producer-side definition error (bad name, forbidden unit/exponent, ...). */
export class DefinitionError extends StatsfsError {
  constructor(message: string) {
    super("STATSFS_DEFINITION", message);
  }
}

/**
 * A value handed to a value handle that the value cannot take exactly: a fraction or a negative
 * number for a counter, a fraction for a gauge, peak or histogram of integer samples, something
 * that is not a number. Names the value, the call and the number given. Thrown at the call:
 * a number is never silently truncated, ignored or wrapped.
 */
export class ValueError extends StatsfsError {
  constructor(message: string) {
    super("STATSFS_VALUE", message);
  }
}
