/**
 * @module views/binary
 * Any stats file as bytes in the kernel's binary layout (header, id, descriptors, data), and
 * the names snapshots give such files. Files that declare `raw` bytes (real stats fds) are
 * re-encoded from their schema and values all the same, so every source encodes alike.
 */
import { encodeStatsFile } from "../../codec/writer.js";
import { encodeFileName } from "../../model/file-name.js";
import type { StatsIdentity } from "../../model/identity.js";
import type { StatsFile } from "../../model/stats-file.js";
import { idSegments } from "../../sample/producer.js";

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

/**
 * The file name a stats file is saved under: its id as humans read it (sample/producer: label
 * sets decoded), each segment encoded by model/file-name (`.` reserved as the separator) and
 * joined by `.`: `kvm-7.vcpu-0.stats`, `statsfs.app.{method="GET",route="%2Fusers%2F:id"}.stats`.
 */
export function snapshotFileName(identity: StatsIdentity): string {
  return `${idSegments(identity)
    .map((s) => encodeFileName(s, "."))
    .join(".")}.stats`;
}
