/**
 * @module views/qmp/dispatch
 * One QMP request to one reply, checked in QEMU's order with QEMU's texts: the input must be a
 * JSON object; its members, met in QDict order, must be `execute` (a string), `arguments` (an
 * object), `id` (anything, echoed), or `exec-oob` once OOB is enabled; then the command must
 * exist (before negotiation only qmp_capabilities does: "Expecting capabilities negotiation
 * with 'qmp_capabilities'"), then its arguments are checked, then it runs.
 */
import { QmpRequestError, StatsfsError } from "../../errors.js";
import { qdictOrder } from "../../qmp/json/qdict-order.js";
import { isQDict, type QObject } from "../../qmp/json/qobject.js";
import type { StreamItem } from "../../qmp/json/streamer.js";
import { writeJson } from "../../qmp/json/writer.js";
import { COMMANDS, type QmpCommand, type ReturnJson, type SessionState } from "./commands.js";
import type { StatsView } from "./view.js";

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));
const NEGOTIATION = new Map([["qmp_capabilities", BY_NAME.get("qmp_capabilities") as QmpCommand]]);

/** An error reply's text (no line end). */
export function errorReply(errorClass: string, desc: string, id?: QObject): string {
  return writeJson({ error: { class: errorClass, desc }, id });
}

/** A reply: JSON text, or (around pre-rendered bytes) head + body + tail. No line end. */
export type Reply = string | { readonly head: string; readonly body: Buffer; readonly tail: string };

/** A success reply around a pre-rendered return value. */
function returnReply(value: ReturnJson, id: QObject | undefined): Reply {
  const tail = id === undefined ? "}" : `, "id": ${writeJson(id)}}`;
  return typeof value === "string" ? `{"return": ${value}${tail}` : { head: '{"return": ', body: value, tail };
}

/** Runs one input item; resolves to the reply (without the line end). */
export async function dispatch(item: StreamItem, session: SessionState, view: StatsView): Promise<Reply> {
  if (!item.ok) return errorReply("GenericError", item.error);
  const req = item.value;
  if (!isQDict(req)) return errorReply("GenericError", "QMP input must be a JSON object");
  const id = req.get("id");
  try {
    let execKey: string | undefined;
    for (const key of qdictOrder([...req.keys()])) {
      const value = req.get(key) as QObject;
      if (key === "execute" || (key === "exec-oob" && session.oob)) {
        if (typeof value !== "string") throw new QmpRequestError("GenericError", `QMP input member '${key}' must be a string`);
        if (execKey !== undefined) throw new QmpRequestError("GenericError", `QMP input member '${key}' clashes with '${execKey}'`);
        execKey = key;
      } else if (key === "arguments") {
        if (!isQDict(value)) throw new QmpRequestError("GenericError", "QMP input member 'arguments' must be an object");
      } else if (key !== "id") {
        throw new QmpRequestError("GenericError", `QMP input member '${key}' is unexpected`);
      }
    }
    if (execKey === undefined) throw new QmpRequestError("GenericError", "QMP input lacks member 'execute'");
    const name = req.get(execKey) as string;
    const cmd = (session.negotiated ? BY_NAME : NEGOTIATION).get(name);
    if (!cmd) throw new QmpRequestError("CommandNotFound", `The command ${name} has not been found`);
    if (execKey === "exec-oob" && !cmd.allowOob) throw new QmpRequestError("GenericError", `The command ${name} does not support OOB`);
    const args = req.get("arguments");
    const result = await cmd.run(isQDict(args) ? args : new Map(), session, view);
    return returnReply(result, id);
  } catch (e) {
    let errorClass = "GenericError";
    let desc: string;
    if (e instanceof QmpRequestError) {
      errorClass = e.errorClass;
      desc = e.desc;
    } else if (e instanceof StatsfsError) {
      desc = e.message;
    } else {
      desc = `internal error: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (!session.negotiated && errorClass === "CommandNotFound") desc = "Expecting capabilities negotiation with 'qmp_capabilities'";
    return errorReply(errorClass, desc, id);
  }
}
