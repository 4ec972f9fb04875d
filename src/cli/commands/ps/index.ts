/**
 * @module cli/commands/ps
 * `statsfs ps [--json] [host:?…]`: one line per KVM VM on this host — pid, guest, uuid, vCPUs,
 * VMM, the routes its statistics are read by, and why a route is missing. `--json` prints
 * `[{"pid","guest"?,"uuid"?,"vcpus","vmm","routes":[…],"detail"?}]` (members absent when
 * unknown; `routes` empty when none works).
 */
import { UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { HostSource, hostOptions, type VmSummary } from "../../../providers/host/index.js";
import { parseSourceUri } from "../../../providers/registry.js";
import { renderTable } from "../../../views/text/table.js";
import { type Command, flag } from "../../command.js";
import { Exit, type Io } from "../../io.js";

/** The `--json` shape of one VM. */
export function psJson(s: VmSummary): Record<string, unknown> {
  const o: Record<string, unknown> = { pid: s.pid };
  if (s.guest !== undefined) o.guest = s.guest;
  if (s.uuid !== undefined) o.uuid = s.uuid;
  o.vcpus = s.vcpus;
  o.vmm = s.vmm;
  o.routes = s.routes;
  if (s.detail !== undefined) o.detail = s.detail;
  return o;
}

/** Lists the host's VMs. */
export async function ps(o: { readonly source?: string | undefined; readonly json: boolean }, io: Io): Promise<number> {
  const uri = o.source ?? "host:";
  const { scheme, rest, query } = parseSourceUri(uri);
  if (scheme !== "host") throw new UsageError(`ps: ${printable(uri)} is not a host: source`);
  const host = await HostSource.open(uri, hostOptions(uri, rest, query));
  try {
    const list = host.summaries();
    if (o.json) {
      io.stdout.write(`${JSON.stringify(list.map(psJson))}\n`);
      return Exit.Ok;
    }
    if (list.length === 0) {
      io.stdout.write("no KVM VM on this host\n");
      return Exit.Ok;
    }
    const rows = [["PID", "GUEST", "UUID", "VCPUS", "VMM", "ROUTES", "DETAIL"]];
    for (const s of list)
      rows.push([
        String(s.pid),
        printable(s.guest ?? "-"),
        printable(s.uuid ?? "-"),
        String(s.vcpus),
        printable(s.vmm),
        s.routes.length > 0 ? s.routes.join(",") : "none",
        printable(s.detail ?? ""),
      ]);
    io.stdout.write(renderTable(rows));
    return Exit.Ok;
  } finally {
    await host.close();
  }
}

export const command: Command = {
  name: "ps",
  summary: "list every KVM VM on this host and how its statistics are read",
  help: `usage: statsfs ps [--json] [host:?pid=N,M&guest=GLOB&route=fd,qmp,debugfs,trace]

  One line per VM: pid, guest (-name), uuid, vCPUs, VMM executable, the routes used
  (fd: stats fds the VMM holds; qmp: its monitor; debugfs: kvm_stat's files; trace:
  tracepoint counts) and why a route is missing.
  --json   [{"pid":N,"guest":"…","uuid":"…","vcpus":N,"vmm":"…","routes":["fd",…],"detail":"…"}]`,
  options: { json: { type: "boolean" } },
  positionals: [0, 1],
  run: (a, io) => ps({ source: a.positionals[0], json: flag(a, "json") }, io),
};
