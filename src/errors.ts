/**
 * @module errors
 * One error base class with stable string codes, so callers (and the CLI's one top-level catch)
 * can tell kinds of failure apart without matching on message text.
 */

/** Base of every error statsfs throws on purpose. `code` is stable; `message` is one line. */
export class StatsfsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
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

/** A source could not be opened or read (missing file, bad URI, peer gone). */
export class SourceError extends StatsfsError {}

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
