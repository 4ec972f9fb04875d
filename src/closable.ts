/**
 * @module closable
 * The one idempotent close (undici's `dispatcher-base.js` is the model): a class extends
 * {@link AsyncClosable} or {@link Closable}, says what closing does in `closing()`, and gets
 * `close()` that runs it once (a second call returns at once, or the same promise),
 * `closed`, and `Symbol.asyncDispose` / `Symbol.dispose`, so that `await using` and `using`
 * close it. A leaf like errors.ts: imported by any layer.
 */

/** Something closed asynchronously, once. */
export abstract class AsyncClosable implements AsyncDisposable {
  #closing: Promise<void> | undefined;

  /** True once {@link close} was called (closing may still be under way). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Runs {@link closing} on the first call (synchronously up to its first await); every call
   * returns the same promise, which rejects when closing failed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => this.closing())();
    return this.#closing;
  }

  /** What closing does; called once. */
  protected abstract closing(): void | Promise<void>;

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Something closed synchronously, once. */
export abstract class Closable implements Disposable {
  #closed = false;

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs {@link closing} on the first call; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.closing();
  }

  /** What closing does; called once, with {@link closed} already true. */
  protected abstract closing(): void;

  [Symbol.dispose](): void {
    this.close();
  }
}
