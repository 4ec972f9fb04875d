/**
 * @module producer/store
 * The memory behind one source's values: its data block in the kernel layout (u64 words,
 * little-endian), one copy per thread shard. Shard 0 belongs to the thread that created the
 * source; shards 1.. are claimed by worker threads. The memory is a heap ArrayBuffer, a
 * SharedArrayBuffer (sharded sources) or a mapped file (exported sources); when it moves, the
 * store copies the values and rebinds every handle, so handles never look anything up.
 */
import { DefinitionError } from "../errors.js";
import type { Slots } from "./handles.js";

/** One shard's data block, seen as u32 and u64 words and as doubles (f64 values). */
export interface ShardView {
  readonly u: Uint32Array;
  readonly b: BigUint64Array;
  readonly f: Float64Array;
}

/**
 * Bytes from one shard to the next in a SharedArrayBuffer: the data block rounded up to whole
 * 128-byte blocks, so that two threads never write the same cache line (nor adjacent-line
 * prefetch pairs): false sharing would cost more than the shards save.
 */
export function shardStride(words: number): number {
  return Math.max(128, Math.ceil((words * 8) / 128) * 128);
}

/** Views over `words` u64 words of `buffer` at `byteOffset`. */
export function viewOf(buffer: ArrayBufferLike, byteOffset: number, words: number): ShardView {
  return {
    u: new Uint32Array(buffer, byteOffset, words * 2),
    b: new BigUint64Array(buffer, byteOffset, words),
    f: new Float64Array(buffer, byteOffset, words),
  };
}

/** Where one shard of an exported source lives, for a worker thread to map it. */
export interface ShardFile {
  /** The export path (for messages: a worker thread never opens it). */
  readonly path: string;
  /** The producer's own fd of the memfd, open while exported (fds are shared by every thread). */
  readonly fd: number;
  /** The memfd's inode, checked on what a worker thread opened before it maps it. */
  readonly ino: bigint;
  /** Bytes to map (the whole file). */
  readonly length: number;
  readonly dataOffset: number;
}

/** The data blocks of one source, one per shard. */
export class Store {
  /** Length of the data block in u64 words. */
  words = 0;
  /** Shard count: 1, or the `shards` the source was created with. */
  readonly shardCount: number;
  /** Current views, shard 0 first. Replaced (never mutated) when the memory moves. */
  shards: readonly ShardView[];
  /** Claim flags of shards (1 = in use), shared with workers; shard 0 is always claimed. */
  readonly control: Int32Array | undefined;
  /** The SharedArrayBuffer holding every shard, while the shards live in one. */
  sab: SharedArrayBuffer | undefined = undefined;
  /** The exported files holding the shards (shard 0 first), while the source is exported. */
  files: readonly ShardFile[] | undefined = undefined;
  /** Set once the layout has been handed to worker threads: it can no longer change. */
  shared = false;
  /** Handles of the owning thread (shard 0), rebound on every move. */
  readonly #handles: Slots[] = [];

  constructor(shardCount: number) {
    this.shardCount = shardCount;
    this.control = shardCount > 1 ? new Int32Array(new SharedArrayBuffer(4 * shardCount)) : undefined;
    if (this.control) this.control[0] = 1;
    const first = this.#alloc(0);
    this.shards = first.views;
    this.sab = first.sab;
  }

  #alloc(words: number): { views: ShardView[]; sab: SharedArrayBuffer | undefined } {
    if (this.shardCount === 1) return { views: [viewOf(new ArrayBuffer(words * 8), 0, words)], sab: undefined };
    const stride = shardStride(words);
    const sab = new SharedArrayBuffer(Math.max(8, stride * this.shardCount));
    return { views: Array.from({ length: this.shardCount }, (_, k) => viewOf(sab, k * stride, words)), sab };
  }

  /** The handles of the owning thread, in the order they were adopted. */
  get handles(): readonly Slots[] {
    return this.#handles;
  }

  /** Registers a handle of the owning thread so that it follows moves. */
  adopt<H extends Slots>(h: H): H {
    this.#handles.push(h);
    return h;
  }

  /** Grows the data block to `words` (new values start at zero). */
  grow(words: number): void {
    if (this.shared) throw new DefinitionError("the source is shared with worker threads; add its values before calling share()");
    const { views, sab } = this.#alloc(words);
    this.place(views, words, sab);
  }

  /** Moves the data blocks to heap memory (or a new SharedArrayBuffer when sharded). */
  toHeap(): void {
    const { views, sab } = this.#alloc(this.words);
    this.place(views, this.words, sab);
  }

  /**
   * Moves to new views (one per shard, each at least `words` long): copies every value that
   * fits, then rebinds the handles. Runs between two JS turns of the owning thread, so no
   * update of that thread is lost. `sab` is the SharedArrayBuffer holding them all, if any.
   */
  place(next: readonly ShardView[], words: number, sab?: SharedArrayBuffer): void {
    const n = Math.min(words, this.words);
    next.forEach((v, k) => {
      const old = this.shards[k];
      if (old && old.b !== v.b && n > 0) v.b.set(old.b.subarray(0, n));
    });
    this.sab = sab;
    this.shards = next;
    this.words = words;
    const s0 = next[0] as ShardView;
    for (const h of this.#handles) {
      h.u = s0.u;
      h.b = s0.b;
      if (h.f !== undefined) h.f = s0.f;
    }
  }

  /** Zeroes `size` words from `word` in every shard (a reset). */
  zero(word: number, size: number): void {
    for (const s of this.shards) s.b.fill(0n, word, word + size);
  }
}
