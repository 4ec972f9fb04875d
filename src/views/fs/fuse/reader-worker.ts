/**
 * @module views/fs/fuse/reader-worker
 * The thread that reads /dev/fuse, so the main event loop never blocks on it: poll(2) with a
 * short timeout (so a stop request is seen even when the kernel sends nothing), then one
 * nonblocking read per request, each posted to the main thread as its own buffer. Stops when
 * the main thread sets the stop word, or when the kernel ends the connection (ENODEV).
 *
 * workerData: { fd, bufferSize, control: SharedArrayBuffer (Int32 word 0: stop flag) }.
 * Messages: { type: "request", bytes: Uint8Array } | { type: "end", reason }.
 */
import { readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { mountCalls, POLLIN } from "../../../sys/mount.js";

interface ReaderData {
  readonly fd: number;
  readonly bufferSize: number;
  readonly control: SharedArrayBuffer;
}

function run(d: ReaderData): void {
  const port = parentPort;
  if (!port) return;
  const stop = new Int32Array(d.control);
  const calls = mountCalls();
  const buf = new Uint8Array(d.bufferSize);
  let reason = "stopped";
  loop: while (Atomics.load(stop, 0) === 0) {
    const p = calls.pollOne(d.fd, POLLIN, 200);
    if (p.result < 0) {
      if (p.errno === 4) continue; // EINTR
      reason = `poll failed: ${calls.describe(p.errno)}`;
      break;
    }
    if (p.result === 0) continue;
    // Read everything that is queued before polling again.
    for (;;) {
      let n: number;
      try {
        n = readSync(d.fd, buf, 0, buf.byteLength, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EINTR") break;
        // ENOENT: the request was interrupted before we read it.
        if (code === "ENOENT") continue;
        reason = code === "ENODEV" ? "unmounted" : `read failed: ${(e as Error).message}`;
        break loop;
      }
      if (n === 0) {
        reason = "unmounted";
        break loop;
      }
      const bytes = buf.slice(0, n);
      port.postMessage({ type: "request", bytes }, [bytes.buffer]);
    }
  }
  port.postMessage({ type: "end", reason });
}

if (workerData && typeof (workerData as ReaderData).fd === "number") run(workerData as ReaderData);
