/**
 * @module views/http/bcrypt-worker
 * The worker thread that runs bcrypt for basic auth (views/http/bcrypt), so a password check
 * (tens of milliseconds of CPU at cost 10) never runs on the exporter's event loop. One message
 * in (`{id, password, hash}`), one out (`{id, ok}`); a hash bcryptjs refuses is a mismatch.
 */
import { parentPort } from "node:worker_threads";
import bcrypt from "bcryptjs";

interface Job {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
}

parentPort?.on("message", (job: Job) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(job.password, job.hash);
  } catch {
    ok = false;
  }
  parentPort?.postMessage({ id: job.id, ok });
});
