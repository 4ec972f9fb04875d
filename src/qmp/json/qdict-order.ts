/**
 * @module qmp/json/qdict-order
 * The order in which QEMU writes a dict's members. QEMU's QDict is a hash table of 512
 * buckets (the tdb hash of the key); iteration walks the buckets in ascending order and, within
 * a bucket, the most recently inserted key first. QEMU's replies therefore come out in an order
 * that depends only on the keys and their insertion order — `{"return": …, "id": …}` but
 * `{"id": …, "error": …}` — and QMP input checks that walk a dict ("QMP input member 'x' is
 * unexpected") meet the keys in that order too. We reproduce it so that our replies and our
 * choice among several bad members are QEMU's.
 */

const BUCKETS = 512;
const utf8 = new TextEncoder();

/** The tdb hash QEMU's QDict uses, over the key's UTF-8 bytes. */
export function tdbHash(key: string): number {
  const b = utf8.encode(key);
  let value = Math.imul(0x238f13af, b.length) >>> 0;
  for (let i = 0; i < b.length; i++) {
    value = (value + (((b[i] as number) << ((i * 5) % 24)) >>> 0)) >>> 0;
  }
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/** The QDict bucket of a key. */
export function qdictBucket(key: string): number {
  return tdbHash(key) % BUCKETS;
}

/** Keys given in insertion order, returned in QEMU's iteration order. */
export function qdictOrder(keys: readonly string[]): string[] {
  return keys
    .map((k, i) => ({ k, i, b: qdictBucket(k) }))
    .sort((x, y) => x.b - y.b || y.i - x.i)
    .map((e) => e.k);
}

const cache = new Map<string, readonly string[]>();

/** {@link qdictOrder} memoized for the fixed key sets of our own replies. */
export function fixedOrder(keys: readonly string[]): readonly string[] {
  const id = keys.join("\0");
  let order = cache.get(id);
  if (!order) {
    order = qdictOrder(keys);
    cache.set(id, order);
  }
  return order;
}
