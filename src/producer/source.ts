/**
 * @module producer/source
 * Sources — the proposal's directories: values of their own, plus subordinate sources whose
 * aggregatable values their readers combine. `createSource` / `addValues` / `addSubordinate` /
 * `removeSubordinate` mirror statsfs_source_create / _add_values / _add_subordinate /
 * _remove_subordinate; get/put reference counting becomes ownership: a parent owns its
 * subordinates, `close()` (or `using`) ends a source and its subtree, and a removed or closed
 * source disappears from every reader at their next poll.
 */
import { DefinitionError } from "../errors.js";
import { describe, isRecord, quote } from "../model/text.js";
import { checkName, defineValues, type Handles, slotsOf, type ValueInits, type ValueSet, type ValueSlot } from "./definition.js";
import { BoundsHistogram as BoundsHistogramClass } from "./float-handles.js";
import { type BoundsHistogram, type LinearHistogram, type Log2Histogram, makeHandle, type ValueHandle } from "./handles.js";
import { noteHelp, noteOwner } from "./notes.js";
import { type ShardView, Store } from "./store.js";
import { type SharedSource, shareSource } from "./threads.js";

/** Options of {@link createSource}. */
export interface SourceOptions {
  /**
   * Shard count for values written from several worker threads (default 1): each thread writes
   * only its own copy and readers sum them. See {@link Source.share}.
   */
  readonly shards?: number;
}

/**
 * Told about changes below a registered root: exporters (the shm files, an HTTP endpoint) keep
 * their view in step. A root has any number of observers (see `Registration.attach`); every
 * method is optional.
 */
export interface TreeObserver {
  /** Throws to refuse adding `child` (already validated) under `parent`. */
  willAdd?(parent: Source, child: Source): void;
  /** `child` and its subtree now hang below the root. */
  added?(child: Source): void;
  /** `child` and its subtree are about to leave the root. */
  removing?(child: Source): void;
  /** `node`'s values changed (new values were added). */
  changed?(node: Source): void;
  /** Throws to refuse sharing `node` with threads. */
  willShare?(node: Source): void;
  /** The observer was detached (its registration closed, or `attach`'s handle disposed). */
  close?(): void;
}

/** Observers of `root`, in attach order (a copy: observers may detach while being told). */
function observersOf(root: Source): readonly TreeObserver[] {
  return root.observers;
}

let version = 0;
/** A counter bumped by every change of any source tree; readers rebuild when it moves. */
export function treeVersion(): number {
  return version;
}
/** Records a change (used by the registry and exporter). */
export function bumpTreeVersion(): void {
  version++;
}

/** A source of statistics: a directory of values and subordinate sources. */
export class Source implements Disposable {
  readonly name: string;
  /** @internal The data blocks. */
  readonly store: Store;
  /** @internal Observers of a registered root, set by its registration. */
  observers: readonly TreeObserver[] = [];
  /** @internal The registry of a registered root. */
  registry: object | undefined = undefined;
  #parent: Source | undefined = undefined;
  readonly #subs: Source[] = [];
  /** Subordinates by name: a label set is looked up by its name on every `labels()` call. */
  readonly #byName = new Map<string, Source>();
  #slots: readonly ValueSlot[] = [];
  #closed = false;
  #onClose: (() => void)[] | undefined = undefined;

  /** Whether this source is a label set of its parent's values (made by `labels()`). */
  readonly labelSet: boolean;

  /** @internal Use {@link createSource}. */
  constructor(name: string, options: SourceOptions = {}, labelSet = false) {
    if (labelSet) checkName(name, "label set", Number.MAX_SAFE_INTEGER);
    else {
      checkName(name, "source");
      if (name.startsWith("{")) {
        throw new DefinitionError(
          `source name ${quote(name)} starts with "{", which names label sets (made by labels()); choose another name`,
        );
      }
    }
    this.labelSet = labelSet;
    if (!isRecord(options)) throw new DefinitionError(`source ${quote(name)}: options must be an object, not ${describe(options)}`);
    const shards = options.shards ?? 1;
    if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 1 || shards > 1024) {
      throw new DefinitionError(`source ${quote(name)}: shards must be an integer from 1 to 1024 (got ${describe(shards)})`);
    }
    this.name = name;
    this.store = new Store(shards);
  }

  /** The source this one is a subordinate of. */
  get parent(): Source | undefined {
    return this.#parent;
  }
  /** Subordinate sources, in the order they were added. */
  get subordinates(): readonly Source[] {
    return this.#subs;
  }
  /** Values in data-block order, with their word offsets. */
  get values(): readonly ValueSlot[] {
    return this.#slots;
  }
  /** Names from the top-level source down to this one. */
  get path(): string[] {
    const out: string[] = [];
    for (let s: Source | undefined = this; s; s = s.#parent) out.unshift(s.name);
    return out;
  }
  /** The top of this source's tree. */
  get root(): Source {
    let s: Source = this;
    while (s.#parent) s = s.#parent;
    return s;
  }
  /** Whether this source is registered as a top-level source (in any registry). */
  get registered(): boolean {
    return this.registry !== undefined;
  }
  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  #live(what: string): void {
    if (this.#closed) throw new DefinitionError(`source ${quote(this.name)} is closed; cannot ${what}`);
  }

  /**
   * Adds values (an object of name → definition, or a {@link defineValues} set) and returns
   * their handles by name: `const v = src.addValues({ requests: {}, inflight: { type: "instant" } })`.
   * Names must be unique within the source. Values start at zero.
   */
  addValues<const D extends ValueInits>(values: D | ValueSet<D>): Handles<D> {
    this.#live("add values");
    const set = defineValues(values as D);
    if (set.values.length === 0) return {} as Handles<D>;
    const seen = new Set(this.#slots.map((s) => s.name));
    for (const v of set.values) {
      if (seen.has(v.name)) throw new DefinitionError(`source ${quote(this.name)}: value ${quote(v.name)} is defined twice`);
      seen.add(v.name);
    }
    if (this.store.shared) {
      throw new DefinitionError(`source ${quote(this.name)} is shared with worker threads; add its values before calling share()`);
    }
    const slots = slotsOf(set, this.store.words);
    const last = slots[slots.length - 1] as ValueSlot;
    this.store.grow(last.word + last.size);
    this.#slots = this.#slots.length === 0 ? slots : [...this.#slots, ...slots];
    const out: Record<string, ValueHandle> = {};
    for (const slot of slots) {
      const h = this.store.adopt(makeHandle(this.store.shards[0] as ShardView, slot));
      noteOwner(h, this, slot);
      out[slot.name] = h;
    }
    for (const [name, init] of Object.entries(set.inits as ValueInits)) if (typeof init.help === "string") noteHelp(this, name, init.help);
    // Histograms defined with `sum: true` add each sample to their `<name>_sum` companion.
    for (const slot of slots) {
      if ((set.inits as ValueInits)[slot.name]?.sum !== true) continue;
      const companion = slots.find((x) => x.name === `${slot.name}_sum`);
      const h = out[slot.name] as Log2Histogram | LinearHistogram | BoundsHistogram;
      // u64 sums are kept as u32 pairs (index of the low word), f64 sums as doubles (word index).
      if (companion) h.s = h instanceof BoundsHistogramClass ? companion.word : companion.word * 2;
    }
    version++;
    for (const o of observersOf(this.root)) o.changed?.(this);
    return out as Handles<D>;
  }

  /** The handle of one of this source's values (a lookup: keep the handle, don't call this per update). */
  value(name: string): ValueHandle | undefined {
    const i = this.#slots.findIndex((s) => s.name === name);
    return i < 0 ? undefined : (this.store.handles[i] as ValueHandle);
  }

  /** The subordinate named `name`. */
  subordinate(name: string): Source | undefined {
    return this.#byName.get(name);
  }

  /**
   * Makes `sub` a subordinate (a sub-directory): its aggregatable values show in this source's
   * aggregates, and this source owns it (closing this source closes `sub`). Returns `sub`.
   */
  addSubordinate<S extends Source>(sub: S): S {
    this.#live("add a subordinate");
    if (!(sub instanceof Source)) throw new DefinitionError(`addSubordinate needs a Source, not ${describe(sub)}`);
    if (sub.#closed) throw new DefinitionError(`source ${quote(sub.name)} is closed`);
    if (sub.#parent) throw new DefinitionError(`source ${quote(sub.name)} is already a subordinate of ${quote(sub.#parent.name)}`);
    if (sub.registered) throw new DefinitionError(`source ${quote(sub.name)} is registered as a top-level source`);
    for (let a: Source | undefined = this; a; a = a.#parent) {
      if (a === sub) throw new DefinitionError(`source ${quote(sub.name)} cannot be its own subordinate`);
    }
    if (this.subordinate(sub.name)) {
      throw new DefinitionError(`source ${quote(this.name)} already has a subordinate named ${quote(sub.name)}`);
    }
    const observers = observersOf(this.root);
    for (const o of observers) o.willAdd?.(this, sub);
    sub.#parent = this;
    this.#subs.push(sub);
    this.#byName.set(sub.name, sub);
    version++;
    const told: TreeObserver[] = [];
    try {
      for (const o of observers) {
        o.added?.(sub);
        told.push(o);
      }
    } catch (e) {
      for (const o of told.reverse()) {
        try {
          o.removing?.(sub);
        } catch {
          // rolling back; the first error is the one to report
        }
      }
      this.#detach(sub, false);
      throw e;
    }
    return sub;
  }

  /** Removes `sub` (and its subtree) from this source; `sub` stays open and owned by the caller. */
  removeSubordinate(sub: Source): void {
    if (!(sub instanceof Source)) throw new DefinitionError(`removeSubordinate needs a Source, not ${describe(sub)}`);
    if (sub.#parent !== this) throw new DefinitionError(`source ${quote(sub.name)} is not a subordinate of ${quote(this.name)}`);
    this.#detach(sub, true);
  }

  #detach(sub: Source, notify: boolean): void {
    if (notify) for (const o of observersOf(this.root)) o.removing?.(sub);
    const i = this.#subs.indexOf(sub);
    if (i >= 0) this.#subs.splice(i, 1);
    if (this.#byName.get(sub.name) === sub) this.#byName.delete(sub.name);
    sub.#parent = undefined;
    version++;
  }

  /**
   * Freezes this sharded source's values and describes it for worker threads: post the result
   * to a worker, which calls `attachSource` to write its own shard. Needs `{ shards: N }`.
   */
  share(): SharedSource {
    return shareSource(this);
  }

  /** @internal Runs `fn` when the source closes (registry, shards). */
  onClose(fn: () => void): void {
    this.#onClose ??= [];
    this.#onClose.push(fn);
  }

  /**
   * Ends the source: removes it from its parent (or unregisters it), closes its subtree, and
   * removes its exported files. Handles keep working on private memory that no reader sees.
   * Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    if (this.#parent) this.#parent.removeSubordinate(this);
    for (const fn of this.#onClose?.splice(0) ?? []) fn();
    for (const sub of [...this.#subs]) {
      this.#detach(sub, false);
      sub.close();
    }
    this.#closed = true;
    version++;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Creates a source named `name` (printable ASCII, no `.`, `/` or `~`, not starting with `{` —
 * reserved for label sets, so a source never merges with one — at most 47 bytes):
 * statsfs_source_create. Add values with {@link Source.addValues}; hang it under a parent with
 * {@link Source.addSubordinate} or make it top-level with `register`.
 */
export function createSource(name: string, options?: SourceOptions): Source {
  return new Source(name, options);
}

/** @internal The source of one label set (`{k=v,…}`, model/label-set), made by `labels()`. */
export function createLabelSetSource(segment: string): Source {
  return new Source(segment, {}, true);
}
