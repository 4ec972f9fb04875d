/**
 * @module cli/commands/qmp
 * `statsfs qmp SOCKET COMMAND [JSON-ARGS]`: runs one QMP command against QEMU or a statsfs
 * server and prints the reply as JSON, digit-exact. Exit 0 for a `return`, 1 for an `error`
 * reply (printed all the same), 2 when the peer cannot be reached.
 */
import { UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { parseQmpAddress } from "../../../qmp/address.js";
import { MAX_TIMEOUT_MS, parseLossless, QmpClient } from "../../../qmp/client/client.js";
import { type Command, durationOption, flag } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { command as info } from "../info/index.js";
import { command as serve } from "../serve/index.js";
import { printJson } from "./print.js";

/** Options of {@link qmp}. */
export interface QmpOptions {
  readonly socket: string;
  readonly command: string;
  /** The arguments as JSON text (an object). */
  readonly args?: string | undefined;
  readonly compact?: boolean | undefined;
  readonly timeoutMs?: number | undefined;
}

/** Runs one command and prints its reply. */
export async function qmp(o: QmpOptions, io: Io): Promise<number> {
  let args: string | undefined;
  if (o.args !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseLossless(o.args);
    } catch (e) {
      throw new UsageError(`qmp: JSON-ARGS is not valid JSON (${e instanceof Error ? e.message : e})`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new UsageError("qmp: JSON-ARGS must be a JSON object");
    args = printJson(parsed, 0);
  }
  // Sending qmp_capabilities ourselves: leave negotiation to the user's command.
  const address = parseQmpAddress(o.socket, `qmp ${o.socket === "" ? '""' : printable(o.socket)}`);
  const client = await QmpClient.connect(address, { timeoutMs: o.timeoutMs, negotiate: o.command !== "qmp_capabilities" });
  try {
    const { id: _ours, ...reply } = await client.request(o.command, args);
    io.stdout.write(`${printJson(reply, o.compact ? 0 : 2)}\n`);
    return reply.error === undefined ? Exit.Ok : 1;
  } finally {
    await client.close();
  }
}

export const command: Command = {
  name: "qmp",
  summary: "run one QMP command (QEMU or statsfs serve) and print the reply as JSON",
  help: `usage: statsfs qmp SOCKET COMMAND [JSON-ARGS] [--compact] [--timeout MS]

  SOCKET        unix:PATH (or PATH) or tcp:HOST:PORT
  COMMAND       e.g. query-stats, query-stats-schemas, query-version
  JSON-ARGS     the arguments object, e.g. '{"target":"vcpu"}' (big integers pass unchanged)
  --compact     the reply on one line
  --timeout MS  wait this long for the connection and greeting (default 5000, at most
                2147483647, about 24.8 days)

Prints the whole reply ({"return": ...} or {"error": {"class", "desc"}}), integers digit-exact.
Capabilities are negotiated first unless COMMAND is qmp_capabilities. Exit status: 0 return,
1 error reply, 2 no connection or bad usage.`,
  options: { compact: { type: "boolean" }, timeout: { type: "string" } },
  positionals: [2, 3],
  run: (a, io) => {
    const timeoutMs = durationOption(a, "qmp", "timeout", "ms", { min: 1, max: MAX_TIMEOUT_MS });
    return qmp(
      {
        socket: a.positionals[0] as string,
        command: a.positionals[1] as string,
        args: a.positionals[2],
        compact: flag(a, "compact"),
        timeoutMs,
      },
      io,
    );
  },
};

/** The QMP family for the command list: `info`, `serve`, `qmp` (one entry in cli/commands). */
export const QMP_COMMANDS: readonly Command[] = [info, serve, command];
