/**
 * @module views/binary
 * Any stats file as bytes in the kernel's binary layout (header, id, descriptors, data), and
 * the names snapshots give such files. Files that declare `raw` bytes (real stats fds) are
 * re-encoded from their schema and values all the same, so every source encodes alike.
 */
import { encodeStatsFile } from "../../codec/writer.js";
import type { StatsFile } from "../../model/stats-file.js";

/** Encodes a stats file with its current values. */
export function encodeFile(f: StatsFile): Uint8Array {
  return encodeStatsFile({
    id: f.identity.id,
    descriptors: f.schema.descriptors,
    data: f.data,
    nameSize: f.schema.nameSize,
    dataSize: f.schema.dataSize,
  });
}

/** The file name a stats file is saved under: its id, `/` → `.`, other unsafe bytes → `_`. */
export function snapshotFileName(id: string): string {
  const safe = id
    .replaceAll("/", ".")
    .replace(/[^A-Za-z0-9._@+-]/g, "_")
    .replace(/^\.+/, "_");
  return `${safe || "stats"}.stats`;
}
