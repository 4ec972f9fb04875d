/**
 * @module producer/registry
 * Top-level sources (statsfs_source_register): the roots in-process readers show, optionally
 * exported. A {@link Registry} holds one set of roots; {@link defaultRegistry} is the global one
 * that {@link register}, {@link registeredSources} and `liveSource()` use (as prom-client has a
 * global `register` beside `new Registry()`); tests and libraries make their own.
 *
 * Each registration carries any number of observers (exporters): the shm exporter when
 * registered with `{ export: … }`, and whatever else attaches with {@link Registration.attach}
 * (an HTTP exporter, a test probe). Observers of the registry itself hear of roots coming and
 * going ({@link Registry.observe}).
 */
import { Closable } from "../closable.js";
import { DefinitionError } from "../errors.js";
import { describe, isRecord, quote } from "../model/text.js";
import { Exporter, type ExportOptions } from "./export/exporter.js";
import { bumpTreeVersion, Source, type TreeObserver } from "./source.js";

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /**
   * Export the tree as live binary stats files (`true` for the defaults: /dev/shm/statsfs,
   * instance = process id) so that `statsfs read shm:NAME` and any pread-based reader see it.
   */
  readonly export?: boolean | ExportOptions;
}

/** Told when roots join or leave a registry (e.g. to attach an exporter to every root). */
export interface RegistryObserver {
  /** `reg` joined the registry (its observers, the shm exporter included, are attached). */
  registered?(reg: Registration): void;
  /** `reg` is leaving the registry (its observers are still attached). */
  unregistering?(reg: Registration): void;
}

/** What {@link Registration.attach} returns: disposing it detaches the observer. */
export interface Attachment extends Disposable {
  /** Detaches the observer (calling its `close`); idempotent. */
  close(): void;
}

/** A registration; closing it unregisters the source (and detaches every observer: its exported files go). */
export class Registration extends Closable implements Disposable {
  readonly source: Source;
  readonly registry: Registry;
  /** The shm exporter, when the source was registered with `{ export: … }`. */
  readonly exporter: Exporter | undefined;

  /** @internal Use {@link Registry.register}. */
  constructor(registry: Registry, source: Source, exporter: Exporter | undefined) {
    super();
    this.registry = registry;
    this.source = source;
    this.exporter = exporter;
  }

  /** The observers attached now, in attach order (the shm exporter first when there is one). */
  get observers(): readonly TreeObserver[] {
    return this.source.observers;
  }

  /**
   * Attaches an observer to this tree: it hears every later change (subordinates added or
   * removed, values added, sharing) until the returned handle or the registration is closed.
   * Whatever it needs of the tree as it is now, it reads from {@link source}.
   */
  attach(observer: TreeObserver): Attachment {
    if (!isRecord(observer)) throw new DefinitionError(`attach needs an observer object, not ${describe(observer)}`);
    if (this.closed) throw new DefinitionError(`source ${quote(this.source.name)} is no longer registered`);
    if (this.source.observers.includes(observer)) throw new DefinitionError("this observer is already attached");
    this.source.observers = [...this.source.observers, observer];
    let done = false;
    const close = () => {
      if (done) return;
      done = true;
      this.#detach(observer);
    };
    return { close, [Symbol.dispose]: close };
  }

  #detach(observer: TreeObserver): void {
    const list = this.source.observers;
    if (!list.includes(observer)) return;
    this.source.observers = list.filter((o) => o !== observer);
    observer.close?.();
  }

  /** Unregisters: readers stop seeing the tree, every observer is detached (exported files removed). Idempotent. */
  protected closing(): void {
    this.registry.remove(this);
    let first: unknown;
    for (const o of [...this.source.observers].reverse()) {
      try {
        this.#detach(o);
      } catch (e) {
        first ??= e;
      }
    }
    this.source.observers = [];
    this.source.registry = undefined;
    bumpTreeVersion();
    if (first !== undefined) throw first;
  }
}

/** A set of top-level sources. */
export class Registry {
  readonly #roots: Registration[] = [];
  readonly #observers: RegistryObserver[] = [];

  /**
   * Makes `source` a top-level source of this registry: in-process readers of the registry
   * show it, and with `{ export: … }` its whole tree is exported as live files. A source is
   * registered at most once (in one registry), names of top-level sources are unique within a
   * registry, and a subordinate cannot be registered.
   */
  register(source: Source, options: RegisterOptions = {}): Registration {
    if (!(source instanceof Source)) throw new DefinitionError(`register needs a Source (from createSource), not ${describe(source)}`);
    if (!isRecord(options)) throw new DefinitionError(`register options must be an object, not ${describe(options)}`);
    const exp = options.export;
    if (exp !== undefined && typeof exp !== "boolean" && !isRecord(exp)) {
      throw new DefinitionError(`register option "export" must be a boolean or an object of export options, not ${describe(exp)}`);
    }
    if (source.closed) throw new DefinitionError(`source ${quote(source.name)} is closed`);
    if (source.parent)
      throw new DefinitionError(
        `source ${quote(source.name)} is a subordinate of ${quote(source.parent.name)}; only top-level sources are registered`,
      );
    if (source.registered) throw new DefinitionError(`source ${quote(source.name)} is already registered`);
    if (this.#roots.some((r) => r.source.name === source.name)) {
      throw new DefinitionError(`a top-level source named ${quote(source.name)} is already registered`);
    }
    let exporter: Exporter | undefined;
    if (exp) {
      exporter = new Exporter(source, exp === true ? {} : exp);
      exporter.start();
    }
    const reg = new Registration(this, source, exporter);
    source.registry = this;
    source.observers = exporter ? [exporter] : [];
    source.onClose(() => reg.close());
    this.#roots.push(reg);
    bumpTreeVersion();
    for (const o of [...this.#observers]) o.registered?.(reg);
    return reg;
  }

  /** @internal Called by {@link Registration.close}. */
  remove(reg: Registration): void {
    const i = this.#roots.indexOf(reg);
    if (i < 0) return;
    for (const o of [...this.#observers]) {
      try {
        o.unregistering?.(reg);
      } catch {
        // an observer's failure must not keep a source registered
      }
    }
    this.#roots.splice(i, 1);
  }

  /** The registered top-level sources, in registration order. */
  get sources(): Source[] {
    return this.#roots.map((r) => r.source);
  }

  /** The registrations, in registration order. */
  get registrations(): readonly Registration[] {
    return [...this.#roots];
  }

  /** The top-level source named `name`. */
  get(name: string): Source | undefined {
    return this.#roots.find((r) => r.source.name === name)?.source;
  }

  /** The registration of `source`, if it is registered here. */
  registrationOf(source: Source): Registration | undefined {
    return this.#roots.find((r) => r.source === source);
  }

  /**
   * Hears of roots joining and leaving. With `{ replay: true }` (default) it is first told of
   * every root registered now. Dispose the result to stop.
   */
  observe(observer: RegistryObserver, options: { readonly replay?: boolean } = {}): Attachment {
    if (!isRecord(observer)) throw new DefinitionError(`observe needs an observer object, not ${describe(observer)}`);
    this.#observers.push(observer);
    if (options.replay !== false) for (const r of [...this.#roots]) observer.registered?.(r);
    let done = false;
    const close = () => {
      if (done) return;
      done = true;
      const i = this.#observers.indexOf(observer);
      if (i >= 0) this.#observers.splice(i, 1);
    };
    return { close, [Symbol.dispose]: close };
  }

  /** Unregisters every source (their exported files are removed; the sources stay open). */
  clear(): void {
    for (const r of [...this.#roots].reverse()) r.close();
  }
}

/** The global registry: what {@link register}, {@link registeredSources} and `liveSource()` use. */
export const defaultRegistry = new Registry();

/** {@link Registry.register} on the {@link defaultRegistry}. */
export function register(source: Source, options: RegisterOptions = {}): Registration {
  return defaultRegistry.register(source, options);
}

/** The top-level sources of the {@link defaultRegistry}, in registration order. */
export function registeredSources(): Source[] {
  return defaultRegistry.sources;
}
