/**
 * @module codec/bundle-writer
 * Writing into a bundle file in place (codec/bundle.ts): the writer keeps the header's numbers,
 * appends names, schema records and entries, hands out data regions, rewrites an entry, and
 * brackets every change of the table in the generation seqlock (odd while it changes, the header
 * written before it turns even again). Pure, over the bytes it is given: the producer's export
 * (producer/export/bundle-file.ts) and statsfs/prom-client's (prom-client/export.ts) both write
 * through it, each deciding what goes where.
 */
import {
  align8,
  BUNDLE_ENTRY_SIZE,
  type BundleEntryRaw,
  type BundleHeader,
  BundleHeaderField,
  ENTRY_LIVE,
  EntryField,
  encodeBundleHeader,
  encodeEntry,
} from "./bundle.js";

/** An entry to append: its name already in the meta area ({@link BundleWriter.appendMeta}). */
export type NewEntry = Omit<BundleEntryRaw, "flags">;

/** Writes one bundle file's header, meta area and entry table in place. */
export class BundleWriter {
  readonly u8: Uint8Array;
  readonly #dv: DataView;
  /** The header's numbers as written (entry count and used sizes grow as things are appended). */
  readonly h: { -readonly [K in keyof BundleHeader]: BundleHeader[K] };

  /** A writer over `u8` (the whole file, from offset 0) laid out as `header` says. */
  constructor(u8: Uint8Array, header: BundleHeader) {
    this.u8 = u8;
    this.#dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.h = { ...header };
  }

  /** Starts a change of the table: the generation turns odd. */
  begin(): void {
    this.#setGeneration((this.h.generation + 1) | 0);
  }

  /** Ends a change: the header is written and the generation turns even (readers re-read the table). */
  end(): void {
    this.writeHeader();
    this.#setGeneration((this.h.generation + 1) | 0);
  }

  /** Writes the header as it stands (a new file's, before it is published). */
  writeHeader(): void {
    encodeBundleHeader(this.u8, this.h);
  }

  #setGeneration(g: number): void {
    this.h.generation = g >>> 0;
    this.#dv.setUint32(BundleHeaderField.generation, this.h.generation, true);
  }

  /** Whether `entries` more entries, `meta` more meta bytes and `data` more data bytes fit. */
  fits(entries: number, meta: number, data: number): boolean {
    const h = this.h;
    return h.entryCount + entries <= h.entryCapacity && h.metaUsed + meta <= h.metaCapacity && h.dataUsed + data <= h.dataCapacity;
  }

  /** Appends `bytes` to the meta area (at a multiple of 8 when `aligned`: schema records); returns their offset. */
  appendMeta(bytes: Uint8Array, aligned: boolean): number {
    const h = this.h;
    const at = aligned ? align8(h.metaUsed) : h.metaUsed;
    this.u8.set(bytes, h.metaOffset + at);
    h.metaUsed = at + bytes.length;
    return at;
  }

  /** Takes `bytes` of the data area (never given again in this file); returns their offset in it. */
  reserveData(bytes: number): number {
    const at = this.h.dataUsed;
    this.h.dataUsed += bytes;
    return at;
  }

  /** Appends a live entry; returns its index. */
  appendEntry(e: NewEntry): number {
    const h = this.h;
    const i = h.entryCount;
    encodeEntry(this.u8.subarray(h.entryOffset, h.entryOffset + h.entryCapacity * BUNDLE_ENTRY_SIZE), i, { ...e, flags: ENTRY_LIVE });
    h.entryCount = i + 1;
    return i;
  }

  /** Gives entry `i` another schema record and region. */
  setEntry(i: number, schemaOffset: number, dataOffset: number, words: number): void {
    const at = this.h.entryOffset + i * BUNDLE_ENTRY_SIZE;
    this.#dv.setUint32(at + EntryField.schemaOffset, schemaOffset, true);
    this.#dv.setUint32(at + EntryField.dataOffset, dataOffset, true);
    this.#dv.setUint32(at + EntryField.words, words, true);
  }

  /** Marks entry `i` removed (its live flag cleared). */
  kill(i: number): void {
    this.#dv.setUint32(this.h.entryOffset + i * BUNDLE_ENTRY_SIZE + EntryField.flags, 0, true);
  }
}
