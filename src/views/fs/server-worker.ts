/**
 * @module views/fs/server-worker
 * The thread that serves a statsfs mount: opens the sources, mounts, and answers FUSE requests
 * in this thread (no hop between threads per request), until the main thread sets the stop
 * word or the kernel ends the session; then unmounts and closes the sources.
 *
 * workerData: {@link ServerData}. Messages to the main thread: `notice` (one line), `mounted`
 * (kernel version, stats files), `error` (an error's class name, code and message, before
 * mounting), `ended` (why).
 */
import { parentPort, workerData } from "node:worker_threads";
import { FuseSession } from "../../fuse/session.js";
import { openSource } from "../../providers/registry.js";
import type { StatsSource } from "../../providers/source.js";
import { SourceSet } from "./sources.js";
import { StatsFs } from "./statsfs.js";

/** What the main thread hands the server thread. */
export interface ServerData {
  readonly dir: string;
  readonly sources: readonly string[];
  readonly maxAgeMs: number;
  readonly scanMs: number;
  /** Int32 word 0: non-zero asks the server to stop. */
  readonly stop: SharedArrayBuffer;
}

/** Messages from the server thread. */
export type ServerMessage =
  | { readonly type: "notice"; readonly message: string }
  | { readonly type: "mounted"; readonly kernelVersion: string; readonly files: number }
  | { readonly type: "error"; readonly name: string; readonly code: string | undefined; readonly message: string }
  | { readonly type: "ended"; readonly reason: string };

async function serve(d: ServerData): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const post = (m: ServerMessage) => port.postMessage(m);
  const sources: StatsSource[] = [];
  let session: FuseSession | undefined;
  try {
    for (const uri of d.sources) sources.push(await openSource(uri));
    const fs = new StatsFs(new SourceSet(sources, d.maxAgeMs, d.scanMs));
    session = await FuseSession.mount(d.dir, fs, { onNotice: (message) => post({ type: "notice", message }) });
    post({ type: "mounted", kernelVersion: session.kernelVersion, files: sources.reduce((n, s) => n + s.files.length, 0) });
    const reason = await session.run(new Int32Array(d.stop));
    await session.close();
    post({ type: "ended", reason });
  } catch (e) {
    await session?.close();
    const err = e as { name?: string; code?: string; message?: string };
    post({ type: "error", name: err.name ?? "Error", code: err.code, message: (err.message ?? String(e)).split("\n")[0] ?? "" });
  } finally {
    await Promise.all(sources.map((s) => s.close().catch(() => {})));
  }
}

if (workerData && typeof (workerData as ServerData).dir === "string") void serve(workerData as ServerData);
