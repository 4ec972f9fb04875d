/**
 * @module views/fs/mount
 * `mountStatsfs(dir, sources)`: the statsfs filesystem over FUSE at `dir`, serving every stats
 * file of the named sources until closed. The sources are opened and the requests answered in
 * a thread of its own (views/fs/server-worker), so this thread's event loop never waits on the
 * kernel. Needs root and /dev/fuse.
 */
import { Worker } from "node:worker_threads";
import { errorFromCode, SystemError } from "../../errors.js";
import type { ServerData, ServerMessage } from "./server-worker.js";

/** Options of {@link mountStatsfs}. */
export interface StatsfsMountOptions {
  /** Largest age of a value served, in ms (default 0: every read at offset 0 re-reads). */
  readonly maxAgeMs?: number;
  /** How often listings re-poll the sources for files that came or went, in ms (default 100). */
  readonly scanMs?: number;
  /** Called with a one-line message (a stale mount that was cleaned). */
  readonly onNotice?: (message: string) => void;
}

/** A mounted statsfs. */
export interface StatsfsMount extends AsyncDisposable {
  readonly dir: string;
  /** The kernel's FUSE protocol version, e.g. "7.45". */
  readonly kernelVersion: string;
  /** Stats files when mounted. */
  readonly files: number;
  /** Resolves with why the server stopped ("stopped" after close, "unmounted" from outside, …). */
  readonly ended: Promise<string>;
  /** Unmounts and closes the sources; idempotent. */
  close(): Promise<void>;
}

/** The server thread's error as its class here (a code that is not statsfs's: STATSFS_MOUNT). */
function rebuild(m: Extract<ServerMessage, { type: "error" }>): Error {
  return errorFromCode(m.code, m.message, "STATSFS_MOUNT");
}

/** Mounts the sources' stats files at `dir`. */
export async function mountStatsfs(dir: string, sources: readonly string[], o: StatsfsMountOptions = {}): Promise<StatsfsMount> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const data: ServerData = {
    dir,
    sources: [...sources],
    maxAgeMs: o.maxAgeMs ?? 0,
    scanMs: o.scanMs ?? 100,
    stop: stop.buffer as SharedArrayBuffer,
  };
  // trackUnmanagedFds off: sources open fds through libc (koffi) and close them with fs.
  const worker = new Worker(new URL("./server-worker.js", import.meta.url), { workerData: data, trackUnmanagedFds: false });
  let onMessage: (m: ServerMessage) => void = () => {};
  worker.on("message", (m: ServerMessage) => onMessage(m));
  const exited = new Promise<string>((resolve) => {
    worker.on("error", (e) => resolve(`server thread failed: ${e.message}`));
    worker.on("exit", (code) => resolve(`server thread exited (${code})`));
  });
  let endedWith: (reason: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    endedWith = resolve;
  });
  void exited.then(endedWith);
  const mounted = await new Promise<Extract<ServerMessage, { type: "mounted" }>>((resolve, reject) => {
    onMessage = (m) => {
      if (m.type === "notice") o.onNotice?.(m.message);
      else if (m.type === "mounted") resolve(m);
      else if (m.type === "error") reject(rebuild(m));
      else if (m.type === "ended") endedWith(m.reason);
    };
    void exited.then((why) => reject(new SystemError("STATSFS_MOUNT", `mount: ${why}`)));
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      Atomics.store(stop, 0, 1);
      // The server unmounts and closes its sources, then says "ended"; a thread that still
      // has something alive after that (or hangs) is terminated.
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 10_000);
      });
      await Promise.race([ended, grace]);
      clearTimeout(timer);
      await worker.terminate();
    })();
    return closing;
  };
  return { dir, kernelVersion: mounted.kernelVersion, files: mounted.files, ended, close, [Symbol.asyncDispose]: close };
}
