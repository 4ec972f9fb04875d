/**
 * @module qmp/json/ghash
 * Which leftover member QEMU names in "Parameter 'x' is unexpected". QEMU's QAPI input visitor
 * keeps the members it has not visited yet in a GLib hash table (keys inserted in QDict order,
 * removed as they are visited) and reports the first one left in the table's slot order. This
 * is a model of that table (GLib 2.74, Debian bookworm's — the one QEMU 7.2 runs with there):
 * g_str_hash, slot = hash·11 mod a prime, quadratic probing, tombstones on removal, and the
 * in-place rehash on resize. Only the order of the keys matters here; no values are kept.
 */

const MIN_SHIFT = 3;
const UNUSED = 0;
const TOMBSTONE = 1;
const PRIME_MOD = [
  1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301,
  8388593, 16777213, 33554393, 67108859, 134217689, 268435399, 536870909, 1073741789, 2147483647,
];
const utf8 = new TextEncoder();

/** GLib's g_str_hash (djb2 over signed chars). */
export function gStrHash(key: string): number {
  let h = 5381;
  for (const byte of utf8.encode(key)) {
    const c = byte >= 128 ? byte - 256 : byte;
    h = (Math.imul(h, 33) + c) >>> 0;
  }
  return h;
}

/** A string set with GLib's slot layout. */
export class GHashSet {
  #size = 1 << MIN_SHIFT;
  #mod = 7;
  #mask = 7;
  #nnodes = 0;
  #noccupied = 0;
  #hashes: number[] = new Array(8).fill(UNUSED);
  #keys: (string | undefined)[] = new Array(8).fill(undefined);

  constructor(keys: Iterable<string> = []) {
    for (const k of keys) this.add(k);
  }

  #index(hash: number): number {
    // guint arithmetic: the product wraps at 2^32 before the modulo.
    return (Math.imul(hash, 11) >>> 0) % this.#mod;
  }

  #setShift(shift: number): void {
    this.#size = 1 << shift;
    this.#mod = PRIME_MOD[shift] as number;
    this.#mask = this.#size - 1;
  }

  #lookup(key: string): { index: number; hash: number } {
    let hash = gStrHash(key);
    if (hash < 2) hash = 2;
    let index = this.#index(hash);
    let step = 0;
    let tombstone = -1;
    while (this.#hashes[index] !== UNUSED) {
      const h = this.#hashes[index] as number;
      if (h === hash && this.#keys[index] === key) return { index, hash };
      if (h === TOMBSTONE && tombstone < 0) tombstone = index;
      step++;
      index = (index + step) & this.#mask;
    }
    return { index: tombstone >= 0 ? tombstone : index, hash };
  }

  /** Adds a key (g_hash_table_insert). */
  add(key: string): void {
    const { index, hash } = this.#lookup(key);
    const old = this.#hashes[index] as number;
    if (old >= 2) return;
    this.#hashes[index] = hash;
    this.#keys[index] = key;
    this.#nnodes++;
    if (old === UNUSED) {
      this.#noccupied++;
      this.#maybeResize();
    }
  }

  /** Removes a key (g_hash_table_remove); false when absent. */
  delete(key: string): boolean {
    const { index } = this.#lookup(key);
    if ((this.#hashes[index] as number) < 2) return false;
    this.#hashes[index] = TOMBSTONE;
    this.#keys[index] = undefined;
    this.#nnodes--;
    this.#maybeResize();
    return true;
  }

  /** The first key in slot order (what g_hash_table_iter_next returns first). */
  first(): string | undefined {
    for (let i = 0; i < this.#size; i++) if ((this.#hashes[i] as number) >= 2) return this.#keys[i];
    return undefined;
  }

  get size(): number {
    return this.#nnodes;
  }

  #maybeResize(): void {
    const size = this.#size;
    if ((size > this.#nnodes * 4 && size > 1 << MIN_SHIFT) || size <= this.#noccupied + Math.floor(this.#noccupied / 16)) {
      this.#resize();
    }
  }

  /** g_hash_table_resize: new shift from the node count, then relocation in place by eviction. */
  #resize(): void {
    const oldSize = this.#size;
    let n = Math.trunc(this.#nnodes * 1.333);
    let shift = 0;
    while (n) {
      n >>= 1;
      shift++;
    }
    this.#setShift(Math.max(shift, MIN_SHIFT));
    const span = Math.max(this.#size, oldSize);
    while (this.#hashes.length < span) {
      this.#hashes.push(UNUSED);
      this.#keys.push(undefined);
    }
    const moved = new Uint8Array(span);
    for (let i = 0; i < oldSize; i++) {
      let hash = this.#hashes[i] as number;
      if (hash < 2) {
        this.#hashes[i] = UNUSED;
        continue;
      }
      if (moved[i]) continue;
      this.#hashes[i] = UNUSED;
      let key = this.#keys[i];
      this.#keys[i] = undefined;
      for (;;) {
        let at = this.#index(hash);
        let step = 0;
        while (moved[at]) {
          step++;
          at = (at + step) & this.#mask;
        }
        moved[at] = 1;
        const replaced = this.#hashes[at] as number;
        const replacedKey = this.#keys[at];
        this.#hashes[at] = hash;
        this.#keys[at] = key;
        if (replaced < 2) break;
        hash = replaced;
        key = replacedKey;
      }
    }
    this.#hashes.length = this.#size;
    this.#keys.length = this.#size;
    this.#noccupied = this.#nnodes;
  }
}
