/**
 * @module errors
 * Every error statsfs throws on purpose, in one file (undici's `core/errors.js` is the model):
 * one class per kind of failure, each owning its code(s) as string literals, so that callers
 * (and the CLI's one top-level catch) tell failures apart without matching on message text, and
 * throwing a class with another class's code does not compile. Messages quote data (stat names,
 * ids, paths, a peer's text): the base class escapes every control character in them with
 * model/text's {@link printable}, so that each message is exactly one printable line whatever it
 * quotes.
 *
 * The codes, their classes and the CLI's exit code ({@link ERROR_CODES} is this table as data;
 * anything thrown that is not a StatsfsError is a bug: `internal error: …`, exit 70):
 *
 *   code                     class               exit  meaning
 *   STATSFS_USAGE            UsageError          2     a command line or API argument cannot be used
 *   STATSFS_EMPTY            NothingToShowError  3     the source or the selection has no statistics
 *   STATSFS_DECODE           DecodeError         2     malformed binary stats data (field, byte offset)
 *   STATSFS_ENCODE           EncodeError         2     a stats file cannot be encoded (name too long, bad name_size)
 *   STATSFS_DEFINITION       DefinitionError     2     a producer definition is refused (name, unit, export path)
 *   STATSFS_VALUE            ValueError          2     a value a producer handle cannot take exactly
 *   STATSFS_LIMIT            LimitError          2     a fixed limit is reached (all worker shards in use)
 *   STATSFS_SOURCE           SourceError         2     a source cannot be opened or read
 *   STATSFS_SOURCE_UNOPENED  SourceError         2     a source that never opened is polled
 *   STATSFS_CLOSED           SourceError         2     a source or file is used after close()
 *   STATSFS_EXPORT           SourceError         2     a producer's export directory or file cannot be used
 *   STATSFS_OUTPUT           SourceError         2     an output (snapshot directory) cannot be written
 *   STATSFS_TIMEOUT          TimeoutError        2     a bounded wait for a source ended (stalled, not gone)
 *   STATSFS_QMP_CONNECT      QmpConnectError     2     a QMP peer cannot be reached
 *   STATSFS_QMP_PROTOCOL     QmpProtocolError    2     a QMP peer broke the protocol
 *   STATSFS_QMP_LISTEN       QmpListenError      2     the QMP server cannot listen
 *   STATSFS_QMP_COMMAND      QmpCommandError     2     a QMP peer answered a command with an error
 *   STATSFS_QMP_REQUEST      QmpRequestError     2     our QMP server refuses a request (QEMU's class and text)
 *   STATSFS_FFI              SystemError         2     koffi or libc.so.6 cannot load
 *   STATSFS_MMAP             SystemError         2     mmap(2) failed
 *   STATSFS_MEMFD            SystemError         2     memfd_create(2) or its sealing failed
 *   STATSFS_PIDFD            SystemError         2     pidfd_open(2) or pidfd_getfd(2) failed
 *   STATSFS_SOCKET           SystemError         2     a socket call (SO_PEERCRED) failed
 *   STATSFS_MOUNT            SystemError         2     a FUSE mount failed or ended
 *   STATSFS_FUSE             FuseProtocolError   2     a FUSE request from the kernel does not parse
 *   STATSFS_PERF             PerfError           2     perf_event_open(2) failed (errno kept)
 *   KVM_UNAVAILABLE          KvmError            2     no usable /dev/kvm (missing, refused, too old)
 *   KVM_IOCTL                KvmError            2     a KVM ioctl failed
 *   KVM_FFI                  KvmError            2     the FFI calls KVM needs cannot load
 *   KVM_CLOSED               KvmError            2     a KVM fd is used after close()
 *   KVM_DEMO                 KvmError            2     the demo VM cannot start or stop
 *   KVM_GUEST                KvmError            2     the demo guest stopped in an unexpected way
 *
 * Warnings (process.emitWarning, not thrown): STATSFS_GAUGE_RANGE (a gauge set outside u64).
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

/** Exit code of the CLI for a usage, input or source error. */
const INPUT = 2;
/** Exit code of the CLI when there is nothing to show. */
const EMPTY = 3;

/** Every code: its class, the CLI's exit code for it and what it means (the table of the header). */
export const ERROR_CODES = {
  STATSFS_USAGE: { class: "UsageError", exit: INPUT, meaning: "a command line or API argument cannot be used" },
  STATSFS_EMPTY: { class: "NothingToShowError", exit: EMPTY, meaning: "the source or the selection has no statistics" },
  STATSFS_DECODE: { class: "DecodeError", exit: INPUT, meaning: "malformed binary stats data" },
  STATSFS_ENCODE: { class: "EncodeError", exit: INPUT, meaning: "a stats file cannot be encoded" },
  STATSFS_DEFINITION: { class: "DefinitionError", exit: INPUT, meaning: "a producer definition is refused" },
  STATSFS_VALUE: { class: "ValueError", exit: INPUT, meaning: "a value a producer handle cannot take exactly" },
  STATSFS_LIMIT: { class: "LimitError", exit: INPUT, meaning: "a fixed limit is reached" },
  STATSFS_SOURCE: { class: "SourceError", exit: INPUT, meaning: "a source cannot be opened or read" },
  STATSFS_SOURCE_UNOPENED: { class: "SourceError", exit: INPUT, meaning: "a source that never opened is polled" },
  STATSFS_CLOSED: { class: "SourceError", exit: INPUT, meaning: "a source or file is used after close()" },
  STATSFS_EXPORT: { class: "SourceError", exit: INPUT, meaning: "a producer's export directory or file cannot be used" },
  STATSFS_OUTPUT: { class: "SourceError", exit: INPUT, meaning: "an output cannot be written" },
  STATSFS_TIMEOUT: { class: "TimeoutError", exit: INPUT, meaning: "a bounded wait for a source ended" },
  STATSFS_QMP_CONNECT: { class: "QmpConnectError", exit: INPUT, meaning: "a QMP peer cannot be reached" },
  STATSFS_QMP_PROTOCOL: { class: "QmpProtocolError", exit: INPUT, meaning: "a QMP peer broke the protocol" },
  STATSFS_QMP_LISTEN: { class: "QmpListenError", exit: INPUT, meaning: "the QMP server cannot listen" },
  STATSFS_QMP_COMMAND: { class: "QmpCommandError", exit: INPUT, meaning: "a QMP peer answered a command with an error" },
  STATSFS_QMP_REQUEST: { class: "QmpRequestError", exit: INPUT, meaning: "our QMP server refuses a request" },
  STATSFS_FFI: { class: "SystemError", exit: INPUT, meaning: "koffi or libc.so.6 cannot load" },
  STATSFS_MMAP: { class: "SystemError", exit: INPUT, meaning: "mmap(2) failed" },
  STATSFS_MEMFD: { class: "SystemError", exit: INPUT, meaning: "memfd_create(2) or its sealing failed" },
  STATSFS_PIDFD: { class: "SystemError", exit: INPUT, meaning: "pidfd_open(2) or pidfd_getfd(2) failed" },
  STATSFS_SOCKET: { class: "SystemError", exit: INPUT, meaning: "a socket call failed" },
  STATSFS_MOUNT: { class: "SystemError", exit: INPUT, meaning: "a FUSE mount failed or ended" },
  STATSFS_FUSE: { class: "FuseProtocolError", exit: INPUT, meaning: "a FUSE request from the kernel does not parse" },
  STATSFS_PERF: { class: "PerfError", exit: INPUT, meaning: "perf_event_open(2) failed" },
  KVM_UNAVAILABLE: { class: "KvmError", exit: INPUT, meaning: "no usable /dev/kvm" },
  KVM_IOCTL: { class: "KvmError", exit: INPUT, meaning: "a KVM ioctl failed" },
  KVM_FFI: { class: "KvmError", exit: INPUT, meaning: "the FFI calls KVM needs cannot load" },
  KVM_CLOSED: { class: "KvmError", exit: INPUT, meaning: "a KVM fd is used after close()" },
  KVM_DEMO: { class: "KvmError", exit: INPUT, meaning: "the demo VM cannot start or stop" },
  KVM_GUEST: { class: "KvmError", exit: INPUT, meaning: "the demo guest stopped in an unexpected way" },
} as const satisfies Record<string, { readonly class: string; readonly exit: number; readonly meaning: string }>;

/** Every code an error of statsfs has. */
export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes of the class named `N`. */
type CodesOf<N extends string> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]["class"] extends N ? C : never }[ErrorCode];

export type SourceCode = CodesOf<"SourceError">;
export type SystemCode = CodesOf<"SystemError">;
export type KvmCode = CodesOf<"KvmError">;

declare const inherited: unique symbol;
/**
 * A subclass's code handed to its parent's constructor: only this file makes one ({@link own}),
 * so `new SourceError("STATSFS_TIMEOUT", …)` does not compile while TimeoutError can be a
 * SourceError.
 */
type Inherited<C extends ErrorCode> = C & { readonly [inherited]: true };
function own<C extends ErrorCode>(code: C): Inherited<C> {
  return code as Inherited<C>;
}

/**
 * Base of every error statsfs throws on purpose. `code` is stable (a literal of
 * {@link ErrorCode}); `message` is one printable line. Abstract: each kind of failure is a class.
 */
export abstract class StatsfsError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.code = code;
    this.name = new.target.name;
  }

  /** The CLI's exit code for this error (see {@link ERROR_CODES}). */
  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

/** Malformed binary stats data: names the field and the byte offset where it went wrong. */
export class DecodeError extends StatsfsError {
  declare readonly code: "STATSFS_DECODE";
  readonly field: string;
  readonly offset: number;
  constructor(field: string, offset: number, message: string) {
    super("STATSFS_DECODE", `${message} (${field} at byte ${offset})`);
    this.field = field;
    this.offset = offset;
  }
}

/** A stats file that cannot be encoded: a name longer than name_size allows, a bad name_size, … */
export class EncodeError extends StatsfsError {
  declare readonly code: "STATSFS_ENCODE";
  constructor(message: string) {
    super("STATSFS_ENCODE", message);
  }
}

/** A command line or API argument that cannot be used. CLI exit code 2. */
export class UsageError extends StatsfsError {
  declare readonly code: "STATSFS_USAGE";
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
  declare readonly code: "STATSFS_EMPTY";
  constructor(message: string) {
    super("STATSFS_EMPTY", message);
  }
}

/** A source could not be opened or read (missing file, bad URI, peer gone). */
export class SourceError extends StatsfsError {
  declare readonly code: SourceCode | "STATSFS_TIMEOUT" | "STATSFS_QMP_CONNECT" | "STATSFS_QMP_PROTOCOL" | "STATSFS_QMP_LISTEN";
  constructor(code: SourceCode | Inherited<SourceError["code"]>, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/**
 * A bounded wait for a source ended before it answered (`poll({ timeoutMs })`): the source is
 * stalled, not gone; its files keep their last values and a later poll may succeed.
 */
export class TimeoutError extends SourceError {
  declare readonly code: "STATSFS_TIMEOUT";
  constructor(message: string, options?: ErrorOptions) {
    super(own("STATSFS_TIMEOUT"), message, options);
  }
}

/** The QMP peer cannot be reached (no socket, refused, timed out). */
export class QmpConnectError extends SourceError {
  declare readonly code: "STATSFS_QMP_CONNECT";
  constructor(message: string, options?: ErrorOptions) {
    super(own("STATSFS_QMP_CONNECT"), message, options);
  }
}

/** The QMP peer broke the protocol (no greeting, malformed reply, hung up). */
export class QmpProtocolError extends SourceError {
  declare readonly code: "STATSFS_QMP_PROTOCOL";
  constructor(message: string, options?: ErrorOptions) {
    super(own("STATSFS_QMP_PROTOCOL"), message, options);
  }
}

/** The QMP server cannot listen on its address. */
export class QmpListenError extends SourceError {
  declare readonly code: "STATSFS_QMP_LISTEN";
  constructor(message: string, options?: ErrorOptions) {
    super(own("STATSFS_QMP_LISTEN"), message, options);
  }
}

/**
 * A wait for a QMP peer ended before its reply (a poll bounded by `timeoutMs`): the connection
 * stays open and the reply, when it comes, is used by the next poll.
 */
export class QmpTimeoutError extends TimeoutError {}

/** A command's error reply: QEMU's error class (GenericError, CommandNotFound, …) and text. */
export class QmpCommandError extends StatsfsError {
  declare readonly code: "STATSFS_QMP_COMMAND";
  readonly errorClass: string;
  readonly desc: string;
  constructor(command: string, errorClass: string, desc: string) {
    super("STATSFS_QMP_COMMAND", `${command}: ${errorClass}: ${desc}`);
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/**
 * A QMP request our server refuses, as QEMU would: its error class (GenericError,
 * CommandNotFound, …) and `desc`, QEMU's exact text, which the server sends as is (JSON-escaped
 * on the wire); `message` is the same text as one printable line.
 */
export class QmpRequestError extends StatsfsError {
  declare readonly code: "STATSFS_QMP_REQUEST";
  readonly errorClass: string;
  readonly desc: string;
  constructor(errorClass: string, desc: string) {
    super("STATSFS_QMP_REQUEST", desc);
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** A system call or the FFI module failed. */
export class SystemError extends StatsfsError {
  declare readonly code: SystemCode | "STATSFS_PERF";
  constructor(code: SystemCode | Inherited<SystemError["code"]>, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** perf_event_open(2) failed; `errno` says why (ESRCH: the thread is gone). */
export class PerfError extends SystemError {
  declare readonly code: "STATSFS_PERF";
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(own("STATSFS_PERF"), message);
    this.errno = errno;
  }
}

/** A request read from /dev/fuse that does not parse: too short, or a length that disagrees with the bytes read. */
export class FuseProtocolError extends StatsfsError {
  declare readonly code: "STATSFS_FUSE";
  constructor(message: string) {
    super("STATSFS_FUSE", message);
  }
}

/** KVM is unavailable or an ioctl failed. */
export class KvmError extends StatsfsError {
  declare readonly code: KvmCode;
  constructor(code: KvmCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A producer-side definition error (bad name, forbidden unit/exponent, ...). */
export class DefinitionError extends StatsfsError {
  declare readonly code: "STATSFS_DEFINITION";
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
  declare readonly code: "STATSFS_VALUE";
  constructor(message: string) {
    super("STATSFS_VALUE", message);
  }
}

/** A fixed limit is reached (all worker shards of a shared source are in use). */
export class LimitError extends StatsfsError {
  declare readonly code: "STATSFS_LIMIT";
  constructor(message: string) {
    super("STATSFS_LIMIT", message);
  }
}

/** True when `code` is a code of statsfs (from a worker's message, say). */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * The error a worker reported (its code and message), rebuilt as its class in this thread; a
 * code that is not statsfs's, or whose class holds more than a message (DecodeError, PerfError,
 * QmpCommandError, QmpRequestError), is rebuilt with `fallback`. The message is escaped again: it is data.
 */
export function errorFromCode(code: unknown, message: string, fallback: SourceCode | SystemCode | KvmCode): StatsfsError {
  const c = isErrorCode(code) ? code : fallback;
  switch (ERROR_CODES[c].class) {
    case "UsageError":
      return new UsageError(message);
    case "NothingToShowError":
      return new NothingToShowError(message);
    case "EncodeError":
      return new EncodeError(message);
    case "DefinitionError":
      return new DefinitionError(message);
    case "ValueError":
      return new ValueError(message);
    case "LimitError":
      return new LimitError(message);
    case "TimeoutError":
      return new TimeoutError(message);
    case "QmpConnectError":
      return new QmpConnectError(message);
    case "QmpProtocolError":
      return new QmpProtocolError(message);
    case "QmpListenError":
      return new QmpListenError(message);
    case "FuseProtocolError":
      return new FuseProtocolError(message);
    case "SourceError":
      return new SourceError(c as SourceCode, message);
    case "SystemError":
      return new SystemError(c as SystemCode, message);
    case "KvmError":
      return new KvmError(c as KvmCode, message);
    default:
      return errorFromCode(fallback, message, fallback);
  }
}
