/**
 * @module providers/qmp/schema-map
 * QEMU's query-stats-schemas mapped back to descriptors: type, unit, base (10 → pow10, 2 →
 * pow2; absent, which QAPI does when the exponent is 0, → pow10), exponent and bucket size as
 * given. The schema does not carry sizes, so each statistic's size is the length of its value
 * as query-stats reports it (1 for scalars and booleans). Data offsets are ours: values are laid
 * out one after another in schema order. A statistic whose type or unit we cannot map is left
 * out, as QEMU leaves out descriptors it cannot express.
 */
import { type DescriptorInit, layOut, type StatDescriptor } from "../../model/descriptor.js";
import { parseTypeName, parseUnitName, StatBase, StatUnit } from "../../model/flags.js";
import type { StatsSchema } from "../../model/stats-file.js";
import type { WireSchemaValue } from "./wire.js";

/** A descriptor (without size and offset) from a checked StatsSchemaValue, or undefined when unmappable. */
export function descriptorInit(v: WireSchemaValue): DescriptorInit | undefined {
  const type = parseTypeName(v.type);
  const unit = v.unit === undefined ? StatUnit.None : parseUnitName(v.unit);
  const baseNum = v.base ?? 10;
  const base = baseNum === 10 ? StatBase.Pow10 : baseNum === 2 ? StatBase.Pow2 : undefined;
  if (type === undefined || unit === undefined || base === undefined) return undefined;
  return { name: v.name, type, unit, base, exponent: v.exponent, bucketSize: v["bucket-size"] ?? 0 };
}

/** The smallest name field (≥ 48, a multiple of 8) that holds every name and the id. */
export function nameSizeFor(names: Iterable<string>): number {
  let longest = 0;
  for (const n of names) longest = Math.max(longest, Buffer.byteLength(n));
  return Math.max(48, Math.ceil((longest + 1) / 8) * 8);
}

/**
 * A schema for one result: the descriptor inits of the statistics the result has (in schema
 * order), sized by the result's values. A statistic the result lacks is absent, not zero.
 */
export function buildSchema(inits: readonly DescriptorInit[], sizes: ReadonlyMap<string, number>, id: string): StatsSchema {
  const { descriptors, dataSize } = layOut(inits.filter((d) => sizes.has(d.name)).map((d) => ({ ...d, size: sizes.get(d.name) ?? 1 })));
  return { descriptors, dataSize, nameSize: nameSizeFor([id, ...descriptors.map((d: StatDescriptor) => d.name)]) };
}
