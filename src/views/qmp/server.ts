/**
 * @module views/qmp/server
 * A QMP server over stats sources: `QmpServer.listen("unix:/run/statsfs.sock", { sources })`.
 * A Unix socket is created with mode 0600 (a stale socket left by a dead server is replaced; a
 * live one or any other file is not) and removed on close. TCP only when asked for
 * (`tcp:HOST:PORT`, host default 127.0.0.1; port 0 picks one, see {@link QmpServer.address}).
 *
 * What the server says and how it differs from QEMU 7.2 (documented differences):
 * - the greeting and query-version give version 7.2.0 (the behaviour we follow) and package
 *   "statsfs <version>"; our client recognises our server by that prefix;
 * - providers: `kvm`, `statsfs` (a Node application's own sources), and any provider a served
 *   source has; targets: `vm`, `vcpu`, and any target a served source defines;
 * - results come in source order (vCPU 0 first, statistics in schema order) and histograms in
 *   bucket order, where QEMU reverses all three;
 * - vCPU files without a path are served with qom-path `/<id>` (`/kvm-1234/vcpu-0`);
 * - the message size limit is ours (default 1 MiB; QEMU's is 64 MiB), and so is the token count
 *   limit, in QEMU's proportion (1 token per 32 bytes: 32,768 for 1 MiB; QEMU's is 2 Mi), with
 *   QEMU's texts; the rest of a refused message is skipped rather than lexed again;
 * - a Unix socket path longer than 107 bytes (what `sun_path` holds) is refused, not shortened;
 * - no events, no other commands.
 */

import { lstatSync, statSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { AsyncClosable } from "../../closable.js";
import { printable } from "../../model/printable.js";
import type { StatsSource } from "../../providers/source.js";
import { formatQmpAddress, parseQmpAddress, type QmpAddress, unixPathProblem } from "../../qmp/address.js";
import { QmpListenError, socketReason } from "../../qmp/errors.js";
import { Session } from "./session.js";
import { StatsView } from "./view.js";

/** Default largest request, in bytes. */
export const DEFAULT_MAX_MESSAGE = 1 << 20;

/** Options of {@link QmpServer.listen}. */
export interface QmpServerOptions {
  /** What to serve; polled on each query. Not closed by the server. */
  readonly sources: readonly StatsSource[];
  /** Largest request in bytes (default 1 MiB). */
  readonly maxMessageBytes?: number | undefined;
}

/** A listening QMP server. */
export class QmpServer extends AsyncClosable implements AsyncDisposable {
  /** Where it listens (with the real port when 0 was asked for). */
  readonly address: QmpAddress;
  readonly #server: Server;
  readonly #sessions = new Set<Session>();
  readonly #socketIno: number | undefined;

  private constructor(server: Server, address: QmpAddress, socketIno: number | undefined) {
    super();
    this.#server = server;
    this.address = address;
    this.#socketIno = socketIno;
  }

  /** Starts listening on `address` (`unix:PATH`, a path, or `tcp:HOST:PORT`). */
  static async listen(address: QmpAddress | string, options: QmpServerOptions): Promise<QmpServer> {
    const addr = typeof address === "string" ? parseQmpAddress(address) : address;
    const view = new StatsView(options.sources);
    const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    let self: QmpServer | undefined;
    const pending: Socket[] = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      if (self) self.#accept(socket, view, max);
      else pending.push(socket);
    });
    const where = printable(formatQmpAddress(addr));
    let ino: number | undefined;
    try {
      if (addr.kind === "unix") {
        const problem = unixPathProblem(addr.path);
        if (problem !== undefined) throw new QmpListenError(`${where}: cannot listen: ${problem}`);
        checkDirectory(addr.path, where);
        await clearStaleSocket(addr.path, where);
        // Mode 0600 from the bind itself (umask); never a chmod by path afterwards, which would
        // follow whatever link another user swapped in meanwhile.
        await listenUnix(server, addr.path);
        ino = ownSocketIno(addr.path);
      } else {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(addr.port, addr.host, () => {
            server.off("error", reject);
            resolve();
          });
        });
      }
    } catch (e) {
      server.close();
      if (e instanceof QmpListenError) throw e;
      throw new QmpListenError(`${where}: cannot listen: ${socketReason(e)}`, { cause: e });
    }
    const bound = server.address();
    const real: QmpAddress =
      addr.kind === "tcp" && bound && typeof bound === "object" ? { kind: "tcp", host: addr.host, port: bound.port } : addr;
    self = new QmpServer(server, real, ino);
    for (const s of pending) self.#accept(s, view, max);
    return self;
  }

  #accept(socket: Socket, view: StatsView, max: number): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const session = new Session(socket, view, max, (s) => this.#sessions.delete(s));
    this.#sessions.add(session);
  }

  /** Number of connected clients. */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Stops listening, drops every client, removes the Unix socket; idempotent. */
  protected closing(): Promise<void> {
    return new Promise<void>((resolve) => {
      for (const s of [...this.#sessions]) s.close();
      this.#server.close(() => resolve());
      if (this.address.kind === "unix") removeOwnSocket(this.address.path, this.#socketIno);
    });
  }
}

/** Binds with a umask that leaves the socket 0600 from its first moment. */
function listenUnix(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const old = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
}

/**
 * The socket's directory must exist (Node reports a missing one as "permission denied", the
 * way libuv maps ENOENT on bind).
 */
function checkDirectory(path: string, where: string): void {
  const dir = dirname(path);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new QmpListenError(`${where}: cannot listen: no such directory ${printable(dir)}`);
    if (code === "ENOTDIR") throw new QmpListenError(`${where}: cannot listen: ${printable(dir)} is not a directory`);
    return; // let listen() report it (e.g. permission denied)
  }
  if (!st.isDirectory()) throw new QmpListenError(`${where}: cannot listen: ${printable(dir)} is not a directory`);
}

/**
 * Removes a socket file no server answers on; refuses to touch a live socket or another file.
 * Only a refused connection means nobody listens: any other failure (EAGAIN from a busy server
 * whose backlog is full, EACCES, …) leaves the socket alone.
 */
async function clearStaleSocket(path: string, where: string): Promise<void> {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new QmpListenError(`${where}: cannot listen: the path exists and is not a socket`);
  const state = await new Promise<"live" | "stale" | "gone" | Error>((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve("live");
    });
    s.once("error", (e: NodeJS.ErrnoException) => {
      s.destroy();
      resolve(e.code === "ECONNREFUSED" ? "stale" : e.code === "ENOENT" ? "gone" : e);
    });
  });
  if (state === "gone") return;
  if (state === "live") throw new QmpListenError(`${where}: cannot listen: another server is listening there`);
  if (state !== "stale") {
    throw new QmpListenError(
      `${where}: cannot listen: cannot tell whether another server is listening there (${socketReason(state)}); the socket is left alone`,
      { cause: state },
    );
  }
  unlinkSync(path);
}

/** The inode of the socket just bound at `path` (lstat: never through a link), or undefined. */
function ownSocketIno(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isSocket() ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

function removeOwnSocket(path: string, ino: number | undefined): void {
  try {
    const st = lstatSync(path);
    if (st.isSocket() && ino !== undefined && st.ino === ino) unlinkSync(path);
  } catch {
    // already gone
  }
}
