/**
 * @module views/text/schema
 * A human table of each distinct schema in a source: one per provider and target.
 */
import { baseName, typeName, unitName } from "../../model/flags.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import { unitLabel } from "../../model/units.js";
import { renderTable } from "./table.js";

/** Descriptor tables, one per (provider, target) — the first file of each speaks for all. */
export function schemaTable(files: readonly StatsFile[], provider?: string): string {
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const f of files) {
    const { provider: p, target } = f.identity;
    const key = `${p}\0${target}`;
    if ((provider !== undefined && p !== provider) || seen.has(key)) continue;
    seen.add(key);
    const rows = f.schema.descriptors.map((d) => [
      `  ${printable(d.name)}`,
      typeName(d.type),
      unitName(d.unit),
      d.exponent === 0 ? "" : `${baseName(d.base)} ${d.exponent}`,
      unitLabel(d.unit, d.base, d.exponent),
      String(d.size),
      String(d.offset),
      d.bucketSize ? String(d.bucketSize) : "",
    ]);
    const head = [["  name", "type", "unit", "scale", "label", "size", "offset", "bucket"]];
    blocks.push(
      `provider ${printable(p)}, target ${printable(target)} (${f.schema.descriptors.length} stats, ${f.schema.dataSize} data bytes, e.g. ${printable(f.identity.id)})\n${renderTable([...head, ...rows])}`,
    );
  }
  return blocks.join("\n");
}
