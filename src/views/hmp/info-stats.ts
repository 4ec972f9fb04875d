/**
 * @module views/hmp/info-stats
 * The text of QEMU's HMP `info stats TARGET [NAMES] [PROVIDER]`, line for line:
 *
 *   provider: kvm
 *       exits (cumulative): 42
 *       halt_wait_ns (cumulative, ns): 1234
 *       blocking (instant, boolean): no
 *       halt_wait_hist (log2-histogram, ns): [1]=0 [2]=3 …
 *
 * Units as QEMU prints them: an SI prefix (a f p n u m K M G T P E) for seconds and bytes with
 * base 10, an IEC prefix (Ki … Ei) for base 2, else `* 10^-9` style; `, bucket size=N` for
 * linear histograms; the `provider:` line only when no provider was asked for. Differences,
 * documented: values are printed unsigned (QEMU 7.2 prints u64 as signed), histograms are in
 * bucket order with `[1]` the first bucket (QEMU's list is reversed), a VM without vCPUs prints
 * nothing (QEMU 7.2 crashes), and when several objects are shown (`vcpu: "all"`, or a target of
 * our own with several objects) each block starts with a `qom-path: …` line.
 */

import type { StatDescriptor } from "../../model/descriptor.js";
import { StatBase, StatType, StatUnit, typeName, unitName } from "../../model/flags.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import { wordText } from "../../model/value.js";
import { producerRole, sourceText, viewPlan } from "../../sample/producer.js";
import { providersOf, type QemuStatsRequest, qomPathOf, selectQemu, valueShape } from "../qapi/requests.js";

/** What `info stats` is asked. */
export interface InfoStatsOptions {
  /** vm, vcpu, or a target of the source. */
  readonly target: string;
  /** HMP's names argument: `a,b`, or `*` for all; undefined for all. */
  readonly names?: string | undefined;
  /** Only this provider (and no `provider:` lines). */
  readonly provider?: string | undefined;
  /** For target vcpu: which vCPU — its index among the vCPUs (default 0, HMP's current CPU), its qom-path, or "all". */
  readonly vcpu?: number | string | undefined;
}

const SI = ["a", "f", "p", "n", "u", "m", "", "K", "M", "G", "T", "P", "E"];
const IEC = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/** QEMU's "(type, unit…)" part of a statistic's line. */
export function schemaText(d: StatDescriptor): string {
  const hasUnit = d.unit !== StatUnit.None;
  // QAPI carries a base only when the exponent is not 0.
  const base = d.exponent === 0 ? 0 : d.base === StatBase.Pow10 ? 10 : d.base === StatBase.Pow2 ? 2 : d.base;
  let out = `(${typeName(d.type)}${hasUnit || d.exponent !== 0 ? ", " : ""}`;
  let unit = d.unit === StatUnit.Seconds ? "s" : d.unit === StatUnit.Bytes ? "B" : undefined;
  const e = d.exponent;
  if (unit && base === 10 && e >= -18 && e <= 18 && e % 3 === 0) out += SI[(e + 18) / 3];
  else if (unit && base === 2 && e >= 0 && e <= 60 && e % 10 === 0) out += IEC[e / 10];
  else if (e !== 0) {
    out += `* ${base}^${e}${hasUnit ? " " : ""}`;
    unit = undefined;
  }
  if (hasUnit) out += unit ?? unitName(d.unit);
  if (d.type === StatType.LinearHistogram) out += `, bucket size=${d.bucketSize}`;
  return `${out})`;
}

/** QEMU's ": value" part, u64 unsigned, histograms in bucket order. */
function valueText(d: StatDescriptor, data: BigUint64Array): string {
  const w = d.offset >>> 3;
  const shape = valueShape(d);
  if (shape === "boolean") return `: ${(data[w] ?? 0n) !== 0n ? "yes" : "no"}\n`;
  if (shape === "scalar") return `: ${wordText(d, data[w] ?? 0n)}\n`;
  let out = ": ";
  for (let i = 0; i < d.size; i++) out += `[${i + 1}]=${data[w + i] ?? 0n} `;
  return `${out}\n`;
}

/** The vCPU files `info stats vcpu` shows. */
function pickVcpus(files: readonly StatsFile[], which: number | string | undefined): StatsFile[] {
  const vcpus = files.filter((f) => f.identity.target === "vcpu");
  if (which === "all") return vcpus;
  if (typeof which === "string") return vcpus.filter((f) => qomPathOf(f) === which || f.identity.id === which);
  const f = vcpus[which ?? 0];
  return f ? [f] : [];
}

/**
 * The text of `info stats` over `files` — the files views show (sample/producer: a
 * producer's merged files, not the per-process files already inside them).
 */
export function infoStats(all: readonly StatsFile[], o: InfoStatsOptions): string {
  const files = viewPlan(all).shown;
  let vcpus: string[] | undefined;
  if (o.target === "vcpu") {
    vcpus = pickVcpus(files, o.vcpu).map((f) => qomPathOf(f) ?? "");
    if (vcpus.length === 0) return "";
  }
  let providers: QemuStatsRequest[] | undefined;
  if (o.names !== undefined || o.provider !== undefined) {
    const names = o.names !== undefined && o.names !== "*" ? o.names.split(",") : undefined;
    providers = (o.provider !== undefined ? [o.provider] : providersOf(files)).map((provider) => ({ provider, names }));
  }
  const results = selectQemu(files, { target: o.target, providers, vcpus });
  const several = results.length > 1 && o.target !== "vm";
  let out = "";
  for (const { file, qomPath, stats } of results) {
    if (several && qomPath !== undefined) out += `qom-path: ${producerRole(file.identity) ? sourceText(qomPath) : qomPath}\n`;
    if (o.provider === undefined) out += `provider: ${printable(file.identity.provider)}\n`;
    for (const d of stats) out += `    ${printable(d.name)} ${schemaText(d)}${valueText(d, file.data)}`;
  }
  return out;
}
