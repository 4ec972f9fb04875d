/**
 * @module qmp/errors
 * The QMP client's and server's failures (their classes live with every other in errors.ts:
 * STATSFS_QMP_CONNECT, STATSFS_QMP_PROTOCOL, STATSFS_TIMEOUT for QmpTimeoutError,
 * STATSFS_QMP_COMMAND, STATSFS_QMP_LISTEN), and the one-line reason of a Node socket error.
 */
export {
  QmpCommandError,
  QmpConnectError,
  QmpListenError,
  QmpProtocolError,
  QmpTimeoutError,
} from "../errors.js";

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
