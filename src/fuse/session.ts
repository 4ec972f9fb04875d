/**
 * @module fuse/session
 * A mounted FUSE filesystem: opens /dev/fuse (nonblocking), mounts it with mount(2) (root
 * only), answers INIT, and hands every other request to a {@link FuseHandler}; replies go back
 * with one write(2) each. Handlers may answer asynchronously and in any order, so many readers
 * are served at once.
 *
 * {@link FuseSession.run} reads and answers in the thread that calls it — poll(2) with a short
 * timeout, then every queued request — so a request costs no hop between threads (measured
 * here: a MessagePort or Atomics.waitAsync hand-off to another thread cost several times the
 * whole kernel round trip). It is meant for a thread of its own (views/fs/server-worker): the
 * main thread's event loop never waits on /dev/fuse.
 *
 * Unmounting: umount2(MNT_DETACH), then the device fd is closed, which ends the connection even
 * if some process still holds a file open. A mount left behind by a killed server ("Transport
 * endpoint is not connected") is detected and detached before mounting again.
 */

import { closeSync, constants, openSync, readdirSync, statSync, writeSync } from "node:fs";
import { AsyncClosable } from "../closable.js";
import { SystemError, UsageError } from "../errors.js";
import { printable } from "../model/printable.js";
import { MNT_DETACH, MS_NODEV, MS_NOSUID, mountCalls, POLLIN } from "../sys/mount.js";
import {
  decodeInit,
  decodeRequest,
  Errno,
  encodeError,
  encodeInitOut,
  encodeReply,
  expectsNoReply,
  InitFlag,
  KERNEL_MINOR_VERSION,
  KERNEL_VERSION,
  MIN_READ_BUFFER,
  Op,
  type Request,
} from "./protocol.js";

/** What a handler answers: a reply payload, an errno number, or nothing (no reply). */
export type HandlerResult = Uint8Array | number | undefined;

/** The filesystem behind a session. */
export interface FuseHandler {
  /** Answers one request (never INIT). A thrown error becomes EIO. */
  handle(req: Request): HandlerResult | Promise<HandlerResult>;
}

const EAGAIN = 11;
const EINTR = 4;

/** Largest WRITE the kernel sends us in one request. */
export const MAX_WRITE = 64 * 1024;

/** Options of {@link FuseSession.mount}. */
export interface MountOptions {
  /** Filesystem name shown in /proc/mounts (default "statsfs"). */
  readonly fsname?: string;
  /** Called with a one-line message for a stale mount that was cleaned. */
  readonly onNotice?: (message: string) => void;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Makes `dir` usable as a mount point: it must exist, be a directory and be empty. A stale
 * FUSE mount (ENOTCONN) is detached first; `notice` says so.
 */
export function prepareMountPoint(dir: string, notice: (m: string) => void): void {
  const where = printable(dir);
  try {
    statSync(dir);
  } catch (e) {
    if (errnoCode(e) !== "ENOTCONN") {
      if (errnoCode(e) === "ENOENT") throw new UsageError(`mount: ${where}: no such directory`);
      throw new UsageError(`mount: ${where}: ${(e as Error).message}`);
    }
    const r = mountCalls().umount2(dir, MNT_DETACH);
    if (r.result < 0)
      throw new SystemError("STATSFS_MOUNT", `mount: ${where}: stale mount, and umount2 failed: ${mountCalls().describe(r.errno)}`);
    notice(`statsfs: ${where}: removed a stale mount (transport endpoint is not connected) left by a server that died`);
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new UsageError(`mount: ${where}: not a directory`);
  if (readdirSync(dir).length > 0) throw new UsageError(`mount: ${where}: directory is not empty`);
}

/** A live FUSE mount. */
export class FuseSession extends AsyncClosable implements AsyncDisposable {
  readonly dir: string;
  readonly #fd: number;
  readonly #handler: FuseHandler;
  readonly #buf = new Uint8Array(Math.max(MIN_READ_BUFFER, MAX_WRITE + 4096));
  #mounted = true;
  #initDone = false;
  /** Handler answers still pending. */
  #inflight = 0;
  /** The kernel's protocol version from INIT, e.g. "7.45". */
  kernelVersion = "";
  #writeFailures = 0;
  #handlerFailures = 0;

  private constructor(dir: string, fd: number, handler: FuseHandler) {
    super();
    this.dir = dir;
    this.#fd = fd;
    this.#handler = handler;
  }

  /**
   * Mounts a FUSE filesystem at `dir` served by `handler` and answers INIT. Needs root
   * (mount(2)). Requests are served by {@link run}.
   */
  static async mount(dir: string, handler: FuseHandler, options: MountOptions = {}): Promise<FuseSession> {
    prepareMountPoint(dir, options.onNotice ?? (() => {}));
    let fd: number;
    try {
      fd = openSync("/dev/fuse", constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      throw new SystemError("STATSFS_MOUNT", `mount: cannot open /dev/fuse: ${(e as Error).message}`);
    }
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const data = `fd=${fd},rootmode=40000,user_id=${uid},group_id=${gid},default_permissions,allow_other`;
    const fsname = options.fsname ?? "statsfs";
    const calls = mountCalls();
    const r = calls.mount(fsname, dir, "fuse.statsfs", MS_NOSUID | MS_NODEV, data);
    if (r.result < 0) {
      closeSync(fd);
      const hint = r.errno === 1 ? " (mounting needs root)" : "";
      throw new SystemError("STATSFS_MOUNT", `mount: ${printable(dir)}: mount(2) failed: ${calls.describe(r.errno)}${hint}`);
    }
    const s = new FuseSession(dir, fd, handler);
    // The kernel sends INIT first; answer it before anyone uses the mount.
    for (let i = 0; i < 100 && !s.#initDone; i++) {
      const why = s.#serve(100);
      if (why !== undefined) {
        await s.close();
        throw new SystemError("STATSFS_MOUNT", `mount: ${printable(dir)}: the kernel ended the session before INIT (${why})`);
      }
    }
    if (!s.#initDone) {
      await s.close();
      throw new SystemError("STATSFS_MOUNT", `mount: ${printable(dir)}: no INIT from the kernel within 10 s`);
    }
    return s;
  }

  /**
   * Waits up to `timeoutMs` for requests and serves every one that is queued (synchronous
   * answers are written at once). Returns why the session ended, or undefined.
   */
  #serve(timeoutMs: number): string | undefined {
    const calls = mountCalls();
    const p = calls.pollOne(this.#fd, POLLIN, timeoutMs);
    if (p.result < 0) return p.errno === EINTR ? undefined : `poll failed: ${calls.describe(p.errno)}`;
    if (p.result === 0) return undefined;
    for (let k = 0; k < 256; k++) {
      const r = calls.read(this.#fd, this.#buf);
      if (r.result < 0) {
        if (r.errno === EAGAIN) return undefined;
        // EINTR; ENOENT: a request interrupted before we read it.
        if (r.errno === EINTR || r.errno === Errno.ENOENT) continue;
        return r.errno === Errno.ENODEV ? "unmounted" : `read failed: ${calls.describe(r.errno)}`;
      }
      if (r.result === 0) return "unmounted";
      // A copy: handlers that answer later still read their request.
      this.#dispatch(this.#buf.slice(0, r.result));
    }
    return undefined;
  }

  /**
   * Serves requests until `stop[0]` becomes non-zero or the kernel ends the session; returns
   * why it ended. Blocks this thread for at most `idleMs` at a time in poll(2) and yields to
   * the event loop between waits (at once while answers are pending), so asynchronous sources
   * and messages keep flowing. Meant for a thread of its own (see views/fs/server-worker).
   */
  async run(stop: Int32Array, idleMs = 20): Promise<string> {
    let yielded = performance.now();
    for (;;) {
      if (Atomics.load(stop, 0) !== 0) return "stopped";
      // While answers are pending, wait at most 1 ms so their I/O is not held up.
      const why = this.#serve(this.#inflight > 0 ? 1 : idleMs);
      if (why !== undefined) {
        this.#mounted = false;
        return why;
      }
      const now = performance.now();
      if (this.#inflight > 0 || now - yielded >= idleMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        yielded = performance.now();
      }
    }
  }

  /** True until unmounted (by close, or by the kernel). */
  get mounted(): boolean {
    return this.#mounted;
  }

  #write(bytes: Uint8Array): void {
    try {
      writeSync(this.#fd, bytes);
    } catch (e) {
      // ENOENT: the request was interrupted and no longer waits; anything else is counted.
      if (errnoCode(e) !== "ENOENT") this.#writeFailures++;
    }
  }

  /** Replies that could not be written (other than to interrupted requests). */
  get writeFailures(): number {
    return this.#writeFailures;
  }

  #dispatch(bytes: Uint8Array): void {
    let req: Request;
    try {
      req = decodeRequest(bytes);
    } catch {
      return; // nothing to answer: we cannot even read its unique
    }
    const { opcode, unique } = req.header;
    if (opcode === Op.INIT) {
      this.#init(req);
      return;
    }
    if (opcode === Op.DESTROY) {
      this.#write(encodeReply(unique));
      return;
    }
    const done = (r: HandlerResult) => {
      if (expectsNoReply(opcode)) return;
      if (r === undefined) return;
      this.#write(typeof r === "number" ? encodeError(unique, r) : encodeReply(unique, r));
    };
    let out: HandlerResult | Promise<HandlerResult>;
    try {
      out = this.#handler.handle(req);
    } catch (e) {
      this.#failed(opcode, e);
      done(Errno.EIO);
      return;
    }
    if (out instanceof Promise) {
      this.#inflight++;
      out
        .then(done, (e: unknown) => {
          this.#failed(opcode, e);
          done(Errno.EIO);
        })
        .finally(() => this.#inflight--);
    } else done(out);
  }

  /** A handler failure becomes EIO; with STATSFS_FUSE_DEBUG=1 it is also printed (one line). */
  #failed(opcode: number, e: unknown): void {
    this.#handlerFailures++;
    if (process.env.STATSFS_FUSE_DEBUG === "1") {
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      process.stderr.write(`statsfs: fuse opcode ${opcode} failed: ${msg.replaceAll("\n", " | ")}\n`);
    }
  }

  /** Requests answered EIO because the handler failed. */
  get handlerFailures(): number {
    return this.#handlerFailures;
  }

  #init(req: Request): void {
    let kernelFlags = 0;
    let minor = KERNEL_MINOR_VERSION;
    try {
      const init = decodeInit(req.body);
      this.kernelVersion = `${init.major}.${init.minor}`;
      if (init.major !== KERNEL_VERSION) {
        this.#write(encodeError(req.header.unique, Errno.EPROTO));
        return;
      }
      kernelFlags = init.flags;
      minor = Math.min(init.minor, KERNEL_MINOR_VERSION);
    } catch {
      this.#write(encodeError(req.header.unique, Errno.EINVAL));
      return;
    }
    const want =
      InitFlag.ASYNC_READ |
      InitFlag.ATOMIC_O_TRUNC |
      InitFlag.BIG_WRITES |
      InitFlag.DO_READDIRPLUS |
      InitFlag.PARALLEL_DIROPS |
      InitFlag.MAX_PAGES;
    this.#write(
      encodeReply(
        req.header.unique,
        encodeInitOut({
          minor,
          maxReadahead: 0,
          flags: want & kernelFlags,
          maxBackground: 64,
          congestionThreshold: 48,
          maxWrite: MAX_WRITE,
          maxPages: MAX_WRITE / 4096,
        }),
      ),
    );
    this.#initDone = true;
  }

  /** Unmounts (detaching) and closes the device, which ends the connection; idempotent. */
  protected closing(): void {
    if (this.#mounted) mountCalls().umount2(this.dir, MNT_DETACH);
    this.#mounted = false;
    closeSync(this.#fd);
  }
}
