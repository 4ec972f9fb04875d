/**
 * @module qmp/errors
 * Typed failures of the QMP client and server, each with a stable code and a one-line message.
 *
 *   STATSFS_QMP_CONNECT   the peer cannot be reached (no socket, refused, timed out)
 *   STATSFS_QMP_PROTOCOL  the peer broke the protocol (no greeting, malformed reply, hung up)
 *   STATSFS_TIMEOUT       a bounded wait for a reply ended (the peer is stalled): QmpTimeoutError
 *   STATSFS_QMP_COMMAND   the peer answered a command with an error (class and desc kept)
 *   STATSFS_QMP_LISTEN    the server cannot listen on its address
 */
import { SourceError, StatsfsError, TimeoutError } from "../errors.js";
import { printable } from "../model/printable.js";

/** The QMP peer cannot be reached. */
export class QmpConnectError extends SourceError {
  constructor(message: string, options?: ErrorOptions) {
    super("STATSFS_QMP_CONNECT", message, options);
  }
}

/** The QMP peer broke the protocol. */
export class QmpProtocolError extends SourceError {
  constructor(message: string, options?: ErrorOptions) {
    super("STATSFS_QMP_PROTOCOL", message, options);
  }
}

/**
 * A wait for the peer ended before its reply (a poll bounded by `timeoutMs`): the connection
 * stays open and the reply, when it comes, is used by the next poll.
 */
export class QmpTimeoutError extends TimeoutError {}

/** A command's error reply: QEMU's error class (GenericError, CommandNotFound, …) and text. */
export class QmpCommandError extends StatsfsError {
  readonly errorClass: string;
  readonly desc: string;
  constructor(command: string, errorClass: string, desc: string) {
    // The peer's text is data: control characters in it must not reach a terminal.
    super("STATSFS_QMP_COMMAND", printable(`${command}: ${errorClass}: ${desc}`));
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** The server cannot listen. */
export class QmpListenError extends SourceError {
  constructor(message: string, options?: ErrorOptions) {
    super("STATSFS_QMP_LISTEN", message, options);
  }
}

/** A one-line reason from a Node socket error (`ECONNREFUSED` → "connection refused"). */
export function socketReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such socket";
    case "ECONNREFUSED":
      return "connection refused";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTSOCK":
      return "not a socket";
    case "ETIMEDOUT":
      return "timed out";
    case "EHOSTUNREACH":
      return "host unreachable";
    case "ENOTFOUND":
      return "host not found";
    case "EADDRINUSE":
      return "address in use";
    case "EADDRNOTAVAIL":
      return "address not available";
    case "ECONNRESET":
      return "connection reset by peer";
    case "EPIPE":
      return "connection closed by peer";
    case "EAGAIN":
      return "the server is busy (its connection backlog is full)";
    case "ENAMETOOLONG":
      return "socket path too long";
    default:
      return e instanceof Error ? e.message.replace(/^\w+ /, "") : String(e);
  }
}
