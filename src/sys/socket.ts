/**
 * @module sys/socket
 * getsockopt(2) SO_PEERCRED on a connected Unix socket: the pid, uid and gid the kernel recorded
 * for the peer (for a stream socket: the process that called listen() on the server side). The
 * kernel's own fact about who is at the other end, where a path only says where we connected.
 */
import { SystemError } from "../errors.js";
import { ffi } from "./ffi.js";
import { libc } from "./libc.js";

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/** struct ucred. */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

let getsockopt: ((fd: number, buf: Uint8Array, len: Uint32Array) => number) | undefined;

/** The peer's credentials of the connected Unix socket `fd`; throws SystemError `STATSFS_SOCKET`. */
export function peerCredentials(fd: number): PeerCredentials {
  if (!getsockopt) {
    const { lib } = ffi();
    const f = lib.func("int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *len)");
    getsockopt = (d, buf, len) => f(d, SOL_SOCKET, SO_PEERCRED, buf, len) as number;
  }
  const buf = new Uint8Array(12);
  const len = new Uint32Array([12]);
  if (getsockopt(fd, buf, len) !== 0 || len[0] !== 12)
    throw new SystemError("STATSFS_SOCKET", `getsockopt(fd ${fd}, SO_PEERCRED): ${libc().lastError()}`);
  const v = new DataView(buf.buffer);
  return { pid: v.getInt32(0, true), uid: v.getUint32(4, true), gid: v.getUint32(8, true) };
}

/** The fd of a connected `net.Socket` (its libuv handle's), or undefined where Node does not say. */
export function socketFd(socket: object): number | undefined {
  const fd = (socket as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}
