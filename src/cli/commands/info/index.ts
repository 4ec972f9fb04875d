/**
 * @module cli/commands/info
 * `statsfs info SRC [--target T] [--names a,b|*] [--provider P] [--vcpu N|PATH|all]`: the text
 * of QEMU's HMP `info stats`, for any source (see views/hmp for the differences).
 */
import { UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import type { StatsFile } from "../../../model/stats-file.js";
import { checkedSelector } from "../../../sample/select.js";
import { infoStats } from "../../../views/hmp/index.js";
import { acceptedProviders, acceptedTargets, qomPathOf } from "../../../views/qapi/requests.js";
import { type Command, str } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";

/** Options of {@link info}. */
export interface InfoOptions {
  readonly source: string;
  readonly target?: string | undefined;
  readonly names?: string | undefined;
  readonly provider?: string | undefined;
  /** Index, qom-path or "all" (target vcpu). */
  readonly vcpu?: string | undefined;
}

/** Prints `info stats`. */
export async function info(o: InfoOptions, io: Io): Promise<number> {
  const target = o.target ?? "vm";
  if (o.vcpu !== undefined && target !== "vcpu") throw new UsageError("info: --vcpu applies to --target vcpu only");
  return withSource(o.source, async (s) => {
    if (!acceptedTargets(s.files).has(target)) throw new UsageError(`invalid stats target ${printable(target)}`);
    if (o.provider !== undefined && !acceptedProviders(s.files).has(o.provider))
      throw new UsageError(`invalid stats provider ${printable(o.provider)}`);
    if (o.names !== undefined && o.names !== "*") {
      const names = o.names.split(",").filter((n) => n !== "");
      checkedSelector({ names, target, providers: o.provider === undefined ? undefined : [o.provider] }, s.files);
    }
    const vcpu = o.vcpu === undefined ? undefined : pickVcpu(s.files, o.vcpu);
    io.stdout.write(infoStats(s.files, { target, names: o.names, provider: o.provider, vcpu }));
    return Exit.Ok;
  });
}

/** `--vcpu`: "all", an index among the vCPUs, or a vCPU's qom-path or id; else a usage error. */
function pickVcpu(files: readonly StatsFile[], text: string): number | string {
  if (text === "all") return text;
  const vcpus = files.filter((f) => f.identity.target === "vcpu");
  const shown = printable(text);
  if (/^\d+$/.test(text)) {
    const i = Number(text);
    if (i < vcpus.length) return i;
    const has =
      vcpus.length === 0 ? "no vCPUs" : vcpus.length === 1 ? "1 vCPU, index 0" : `${vcpus.length} vCPUs, 0 to ${vcpus.length - 1}`;
    throw new UsageError(`info: --vcpu ${shown}: no such vCPU (the source has ${has})`);
  }
  if (vcpus.some((f) => qomPathOf(f) === text || f.identity.id === text)) return text;
  throw new UsageError(`info: --vcpu ${shown}: no vCPU has this qom-path or id (give an index, a qom-path, an id or "all")`);
}

export const command: Command = {
  name: "info",
  summary: "print QEMU's HMP `info stats` text for a source",
  help: `usage: statsfs info SRC [--target T] [--names a,b|*] [--provider P] [--vcpu N|PATH|all]

  --target T     vm (default), vcpu, or a target the source defines
  --names a,b    only these statistics (* for all)
  --provider P   only provider P (then no "provider:" lines, as in QEMU)
  --vcpu N       with --target vcpu: the vCPU shown — index N (default 0, like HMP's current
                 CPU), a qom-path, or "all" (each block then starts with "qom-path: ...")

The text is QEMU's: "provider: kvm", "    exits (cumulative): 42", units such as ns and KiB,
", bucket size=N" for linear histograms, histograms as [1]=v [2]=v ..., booleans yes/no.
Unlike QEMU 7.2, u64 values print unsigned, histograms in bucket order ([1] is bucket 0),
and a VM without vCPUs prints nothing instead of crashing.`,
  options: { target: { type: "string" }, names: { type: "string" }, provider: { type: "string" }, vcpu: { type: "string" } },
  positionals: [1, 1],
  run: (a, io) =>
    info(
      {
        source: a.positionals[0] as string,
        target: str(a, "target"),
        names: str(a, "names"),
        provider: str(a, "provider"),
        vcpu: str(a, "vcpu"),
      },
      io,
    ),
};
