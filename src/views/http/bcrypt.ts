/**
 * @module views/http/bcrypt
 * bcrypt comparisons off the event loop: one worker thread (views/http/bcrypt-worker), started
 * when basic auth is configured, runs one comparison at a time (as the exporter toolkit serialises them with a
 * mutex), with a short queue behind it. When the queue is full the answer is `busy` at once: a
 * flood of wrong passwords costs at most one core and never holds a request (or a signal) up.
 */
import { Worker } from "node:worker_threads";
import { AsyncClosable } from "../../closable.js";

/** A comparison's outcome: match, mismatch, or refused unrun because the queue is full. */
export type BcryptResult = boolean | "busy";

/** Comparisons allowed to wait behind the running one (default of {@link BcryptPool}). */
export const DEFAULT_BCRYPT_QUEUE = 4;

interface Job {
  readonly id: number;
  readonly password: string;
  readonly hash: string;
  readonly resolve: (ok: boolean) => void;
}

/** One worker thread comparing passwords with bcrypt hashes, one at a time. */
export class BcryptPool extends AsyncClosable {
  readonly #maxQueued: number;
  #worker: Worker | undefined;
  #running: Job | undefined;
  readonly #queue: Job[] = [];
  #nextId = 1;

  constructor(maxQueued = DEFAULT_BCRYPT_QUEUE) {
    super();
    this.#maxQueued = maxQueued;
  }

  /** Starts the worker now (it loads in the background), so the first check does not wait for it. */
  warm(): void {
    if (!this.closed) this.#worker ??= this.#start();
  }

  /** Comparisons running or waiting. */
  get pending(): number {
    return this.#queue.length + (this.#running ? 1 : 0);
  }

  /** Compares off the event loop; `busy` at once when {@link pending} is at its bound. */
  compare(password: string, hash: string): Promise<BcryptResult> {
    if (this.closed || this.pending > this.#maxQueued) return Promise.resolve("busy");
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ id: this.#nextId++, password, hash, resolve });
      this.#next();
    });
  }

  #start(): Worker {
    const w = new Worker(new URL("./bcrypt-worker.js", import.meta.url));
    w.unref();
    w.on("message", (m: { id: number; ok: boolean }) => {
      const job = this.#running;
      if (!job || job.id !== m.id) return;
      this.#running = undefined;
      job.resolve(m.ok === true);
      this.#next();
    });
    const lost = () => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      const job = this.#running;
      this.#running = undefined;
      job?.resolve(false);
      this.#next();
    };
    w.on("error", lost);
    w.on("exit", lost);
    return w;
  }

  #next(): void {
    if (this.#running || this.closed) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#worker ??= this.#start();
    this.#running = job;
    this.#worker.postMessage({ id: job.id, password: job.password, hash: job.hash });
  }

  /** Stops the worker; pending comparisons resolve as mismatches (close(), once). */
  protected async closing(): Promise<void> {
    for (const j of this.#queue.splice(0)) j.resolve(false);
    this.#running?.resolve(false);
    this.#running = undefined;
    const w = this.#worker;
    this.#worker = undefined;
    await w?.terminate();
  }
}
