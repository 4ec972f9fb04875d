/**
 * @module producer/threads
 * Values written from several worker threads without atomics or locks: a source created with
 * `{ shards: N }` keeps N copies of its data block (in a SharedArrayBuffer, or in N exported
 * files). The creating thread writes shard 0; `source.share()` gives a structured-cloneable
 * description that a worker passes to {@link attachSource} to claim a free shard and get
 * handles over it. Each thread writes only its own shard; readers sum the shards (max for peaks
 * and booleans). A closed shard keeps its values (sums stay right after a worker exits) and is
 * reused, values included, by the next thread that attaches.
 */

import { closeSync, openSync } from "node:fs";
import { Closable } from "../closable.js";
import { DefinitionError, LimitError } from "../errors.js";
import { StatType } from "../model/flags.js";
import { describe, isRecord, quote } from "../model/text.js";
import { fstatBig } from "../sys/dirfd.js";
import { compatible, defineValues, type Handles, type ValueInits, type ValueSet, type ValueSlot } from "./definition.js";
import { type FileMapping, mapFile, unmapFile } from "./export/libc.js";
import { makeHandle, type Slots, type ValueHandle } from "./handles.js";
import type { Source } from "./source.js";
import { type ShardFile, type ShardView, shardStride, viewOf } from "./store.js";

/** What a worker needs to attach to a sharded source; send it with postMessage or workerData. */
export interface SharedSource {
  readonly kind: "statsfs/shared-source";
  /** The source's path, root first. */
  readonly path: readonly string[];
  readonly values: readonly ValueSlot[];
  /** Data block length in u64 words. */
  readonly words: number;
  readonly shards: number;
  /** Claim flags, one Int32 per shard. */
  readonly control: SharedArrayBuffer;
  /** Every shard's data block, when they live in memory. */
  readonly data: SharedArrayBuffer | undefined;
  /** Every shard's exported file, when the source is exported. */
  readonly files: readonly ShardFile[] | undefined;
}

/**
 * Freezes a sharded source's values and describes it for worker threads (see
 * {@link attachSource}). Export the source before sharing it, if it is to be exported.
 */
export function shareSource(source: Source): SharedSource {
  const store = source.store;
  if (source.closed) throw new DefinitionError(`source ${quote(source.name)} is closed`);
  if (store.shardCount < 2 || !store.control) {
    throw new DefinitionError(`source ${quote(source.name)} has one shard; create it with { shards: N } to write it from N threads`);
  }
  for (const o of source.root.observers) o.willShare?.(source);
  store.shared = true;
  return {
    kind: "statsfs/shared-source",
    path: source.path,
    values: source.values,
    words: store.words,
    shards: store.shardCount,
    control: store.control.buffer as SharedArrayBuffer,
    data: store.files ? undefined : store.sab,
    files: store.files,
  };
}

/** One thread's shard of a shared source. */
export class ThreadShard<D extends ValueInits = ValueInits> extends Closable implements Disposable {
  /** The shard index (1..shards−1). */
  readonly shard: number;
  /** Typed handles for the definitions given to {@link attachSource}. */
  readonly values: Handles<D>;
  readonly #all = new Map<string, ValueHandle>();
  readonly #control: Int32Array;
  readonly #mapping: FileMapping | undefined;
  readonly #words: number;

  /** @internal */
  constructor(
    shared: SharedSource,
    shard: number,
    control: Int32Array,
    view: ShardView,
    mapping: FileMapping | undefined,
    wanted: ValueSet<D> | undefined,
  ) {
    super();
    this.shard = shard;
    this.#control = control;
    this.#mapping = mapping;
    this.#words = shared.words;
    for (const slot of shared.values) this.#all.set(slot.name, makeHandle(view, slot));
    // A histogram's `<name>_sum` companion (definition option `sum: true`) sits right after it.
    for (const slot of shared.values) {
      const bounds = slot.type === StatType.BoundsHistogram;
      if (slot.type !== StatType.Log2Histogram && slot.type !== StatType.LinearHistogram && !bounds) continue;
      const c = shared.values.find((x) => x.name === `${slot.name}_sum`);
      if (c && c.word === slot.word + slot.size && c.type === StatType.Cumulative)
        (this.#all.get(slot.name) as { s: number }).s = bounds ? c.word : c.word * 2;
    }
    const out: Record<string, ValueHandle> = {};
    for (const v of wanted?.values ?? []) {
      const slot = shared.values.find((s) => s.name === v.name);
      if (!slot) throw new DefinitionError(`shared source ${quote(shared.path.join("/"))} has no value ${quote(v.name)}`);
      if (!compatible(slot, v))
        throw new DefinitionError(`value ${quote(v.name)} is defined differently in the shared source ${quote(shared.path.join("/"))}`);
      out[v.name] = this.#all.get(v.name) as ValueHandle;
    }
    this.values = out as Handles<D>;
  }

  /** The handle of a value by name (a lookup: keep the handle). */
  value(name: string): ValueHandle | undefined {
    return this.#all.get(name);
  }

  /** Releases the shard (its values stay counted). Handles keep working on private memory. Idempotent. */
  protected closing(): void {
    const scratch = new Uint32Array(this.#words * 2);
    const f = new Float64Array(scratch.buffer);
    const b = new BigUint64Array(scratch.buffer);
    for (const h of this.#all.values() as Iterable<Slots>) {
      h.u = scratch;
      h.b = b;
      if (h.f !== undefined) h.f = f;
    }
    if (this.#mapping) unmapFile(this.#mapping);
    Atomics.store(this.#control, this.shard, 0);
  }
}

/** Checks that `x` has the shape of a {@link SharedSource} (it crossed a thread boundary as plain data). */
function checkShared(x: unknown): asserts x is SharedSource {
  const bad = (why: string) => new DefinitionError(`attachSource needs the result of source.share(); ${why}`);
  const r = x as Partial<Record<keyof SharedSource, unknown>> | null | undefined;
  if (!isRecord(r) || r.kind !== "statsfs/shared-source") throw bad(`got ${describe(x)}`);
  const { path, values, words, shards, control, data, files } = r;
  if (!Array.isArray(path) || !path.every((p) => typeof p === "string")) throw bad("its path is not an array of names");
  if (!Array.isArray(values) || !values.every(isRecord)) throw bad("its values are not an array of value slots");
  if (typeof words !== "number" || !Number.isInteger(words) || words < 0) throw bad("its word count is not an integer >= 0");
  if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 2 || shards > 1024) {
    throw bad("its shard count is not an integer from 2 to 1024");
  }
  if (!(control instanceof SharedArrayBuffer) || control.byteLength < 4 * shards) throw bad("its control block is missing");
  if (data !== undefined && !(data instanceof SharedArrayBuffer)) throw bad("its data is not a SharedArrayBuffer");
  if (files !== undefined && (!Array.isArray(files) || !files.every(isRecord))) throw bad("its files are not an array");
  if ((files as Record<string, unknown>[] | undefined)?.some((f) => !Number.isInteger(f.fd) || typeof f.ino !== "bigint"))
    throw bad("its files lack their fd and inode");
}

/**
 * In a worker thread: claims a free shard of a shared source and returns handles over it.
 * Pass the same definitions the source was built with (e.g. from a shared module) for typed
 * handles; they are checked against the shared source.
 */
export function attachSource<const D extends ValueInits = ValueInits>(shared: SharedSource, values?: D | ValueSet<D>): ThreadShard<D> {
  checkShared(shared);
  const wanted = values === undefined ? undefined : defineValues(values as D);
  const control = new Int32Array(shared.control);
  let shard = -1;
  for (let k = 1; k < shared.shards; k++) {
    if (Atomics.compareExchange(control, k, 0, 1) === 0) {
      shard = k;
      break;
    }
  }
  if (shard < 0) throw new LimitError(`all ${shared.shards - 1} worker shards of ${quote(shared.path.join("/"))} are in use`);
  let view: ShardView;
  let mapping: FileMapping | undefined;
  try {
    const file = shared.files?.[shard];
    if (file) {
      // The producer's own memfd, through this process's fd table: no path in the export
      // directory is followed, and the inode of what was opened is checked before it is mapped.
      const fd = openSync(`/proc/self/fd/${file.fd}`, "r+");
      try {
        if (fstatBig(fd).ino !== file.ino)
          throw new DefinitionError(`shared source ${quote(shared.path.join("/"))}: its file is no longer exported`);
        mapping = mapFile(fd, file.length, file.path);
      } finally {
        closeSync(fd);
      }
      view = viewOf(mapping.buffer, file.dataOffset, shared.words);
    } else if (shared.data) {
      view = viewOf(shared.data, shard * shardStride(shared.words), shared.words);
    } else {
      throw new DefinitionError(`shared source ${quote(shared.path.join("/"))} has no data`);
    }
    return new ThreadShard<D>(shared, shard, control, view, mapping, wanted);
  } catch (e) {
    if (mapping) unmapFile(mapping);
    Atomics.store(control, shard, 0);
    throw e;
  }
}
