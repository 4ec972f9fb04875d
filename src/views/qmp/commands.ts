/**
 * @module views/qmp/commands
 * The commands our QMP server knows, each checking its arguments as QEMU's generated
 * marshaller does (member by member, then leftovers) before running:
 *
 *   qmp_capabilities      [enable: ["oob"]]     the only command before negotiation
 *   query-commands                              [{"name": …}]
 *   query-version                               QEMU's VersionInfo: the QEMU behaviour we follow
 *                                               (7.2.0) and, as package, "statsfs <version>"
 *   query-stats           StatsFilter           values, polled for the query
 *   query-stats-schemas   [provider]            descriptors
 */

import { QmpRequestError } from "../../errors.js";
import type { QDict } from "../../qmp/json/qobject.js";
import { InputVisitor } from "../../qmp/json/visitor.js";
import { writeJson } from "../../qmp/json/writer.js";
import { type QemuStatsRequest, selectQemu } from "../qapi/requests.js";
import { renderQueryStats } from "./render.js";
import { schemaResults } from "./schemas.js";
import type { StatsView } from "./view.js";

/** The QEMU version whose QMP behaviour we reproduce, as the greeting and query-version give it. */
export const EMULATED_QEMU = { major: 7, minor: 2, micro: 0 } as const;
/** The package string our server announces; clients recognise our server by its prefix. */
export const STATSFS_PACKAGE = "statsfs 0.1.0";
/** QMP capabilities we offer (QEMU's: oob; no command of ours may run out-of-band). */
export const OFFERED_CAPABILITIES: readonly string[] = ["oob"];

/** Per-connection state a command may change. */
export interface SessionState {
  negotiated: boolean;
  oob: boolean;
}

/** A command's return value as JSON: text, or ASCII bytes (the rendered query-stats). */
export type ReturnJson = string | Buffer;

/** One command: runs with checked arguments, resolves to the JSON of its return value. */
export interface QmpCommand {
  readonly name: string;
  /** Allowed with exec-oob (none of ours). */
  readonly allowOob: boolean;
  run(args: QDict, session: SessionState, view: StatsView): Promise<ReturnJson> | ReturnJson;
}

/** The VersionInfo of our server. */
export function versionInfo(): Record<string, unknown> {
  return { qemu: { major: EMULATED_QEMU.major, minor: EMULATED_QEMU.minor, micro: EMULATED_QEMU.micro }, package: STATSFS_PACKAGE };
}

const capabilities: QmpCommand = {
  name: "qmp_capabilities",
  allowOob: false,
  run(args, session) {
    const v = new InputVisitor(args);
    const enable = v.optional("enable") ? v.enumList("enable", new Set(["oob"])) : [];
    v.checkStruct();
    if (session.negotiated) throw new QmpRequestError("CommandNotFound", "Capabilities negotiation is already complete, command ignored");
    const unavailable = [...new Set(enable.filter((c) => !OFFERED_CAPABILITIES.includes(c)))];
    if (unavailable.length) throw new QmpRequestError("GenericError", `Capability ${unavailable.join(", ")} not available`);
    session.negotiated = true;
    session.oob = enable.includes("oob");
    return "{}";
  },
};

const queryCommands: QmpCommand = {
  name: "query-commands",
  allowOob: false,
  run(args) {
    new InputVisitor(args).checkStruct();
    return writeJson(COMMANDS.map((c) => ({ name: c.name })));
  },
};

const queryVersion: QmpCommand = {
  name: "query-version",
  allowOob: false,
  run(args) {
    new InputVisitor(args).checkStruct();
    return writeJson(versionInfo());
  },
};

const queryStats: QmpCommand = {
  name: "query-stats",
  allowOob: false,
  async run(args, _session, view) {
    const v = new InputVisitor(args);
    const target = v.enumValue("target", view.targets());
    let providers: QemuStatsRequest[] | undefined;
    if (v.optional("providers")) {
      providers = [];
      const n = v.startList("providers");
      const known = view.providers();
      for (let i = 0; i < n; i++) {
        v.startStruct(undefined);
        const provider = v.enumValue("provider", known);
        const names = v.optional("names") ? v.strList("names") : undefined;
        v.checkStruct();
        v.endStruct();
        providers.push({ provider, names });
      }
      v.endList();
    }
    let vcpus: string[] | undefined;
    if (target === "vcpu" && v.optional("vcpus")) vcpus = v.strList("vcpus");
    v.checkStruct();
    await view.poll();
    return renderQueryStats(selectQemu(view.files, { target, providers, vcpus }));
  },
};

const queryStatsSchemas: QmpCommand = {
  name: "query-stats-schemas",
  allowOob: false,
  async run(args, _session, view) {
    const v = new InputVisitor(args);
    const provider = v.optional("provider") ? v.enumValue("provider", view.providers()) : undefined;
    v.checkStruct();
    await view.poll();
    return writeJson(schemaResults(view.files, provider));
  },
};

/** Every command, in the order query-commands lists them. */
export const COMMANDS: readonly QmpCommand[] = [capabilities, queryCommands, queryVersion, queryStats, queryStatsSchemas];
