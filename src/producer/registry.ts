/**
 * @module producer/registry
 * Top-level sources (statsfs_source_register): the roots in-process readers show by default,
 * optionally exported as live files for other processes.
 */
import { DefinitionError } from "../errors.js";
import { Exporter, type ExportOptions } from "./export/exporter.js";
import { bumpTreeVersion, Source } from "./source.js";
import { describe, isRecord, quote } from "./text.js";

/** Options of {@link register}. */
export interface RegisterOptions {
  /**
   * Export the tree as live binary stats files (`true` for the defaults: /dev/shm/statsfs,
   * instance = process id) so that `statsfs read shm:NAME` and any pread-based reader see it.
   */
  readonly export?: boolean | ExportOptions;
}

/** A registration; closing it unregisters the source (and removes its exported files). */
export class Registration implements Disposable {
  readonly source: Source;
  /** The exporter, when the source is exported. */
  readonly exporter: Exporter | undefined;
  #closed = false;

  /** @internal */
  constructor(source: Source, exporter: Exporter | undefined) {
    this.source = source;
    this.exporter = exporter;
  }

  /** Unregisters: readers stop seeing the tree, its files are removed. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const i = roots.indexOf(this);
    if (i >= 0) roots.splice(i, 1);
    this.source.observer = undefined;
    this.source.registered = false;
    this.exporter?.close();
    bumpTreeVersion();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const roots: Registration[] = [];

/**
 * Makes `source` a top-level source: in-process readers ({@link liveSource}) show it, and with
 * `{ export: … }` its whole tree is exported as live files. A source is registered at most
 * once, names of top-level sources are unique, and a subordinate cannot be registered.
 */
export function register(source: Source, options: RegisterOptions = {}): Registration {
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
  if (roots.some((r) => r.source.name === source.name)) {
    throw new DefinitionError(`a top-level source named ${quote(source.name)} is already registered`);
  }
  let exporter: Exporter | undefined;
  if (exp) {
    exporter = new Exporter(source, exp === true ? {} : exp);
    exporter.start();
  }
  const reg = new Registration(source, exporter);
  source.registered = true;
  source.observer = exporter;
  source.onClose(() => reg.close());
  roots.push(reg);
  bumpTreeVersion();
  return reg;
}

/** The registered top-level sources, in registration order. */
export function registeredSources(): Source[] {
  return roots.map((r) => r.source);
}
