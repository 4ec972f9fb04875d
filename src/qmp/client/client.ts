/**
 * @module qmp/client/client
 * A QMP client for QEMU (≥ 7.1) and for our own server: connects (`unix:PATH`, a path, or
 * `tcp:HOST:PORT`), reads the greeting, negotiates capabilities, and runs commands one reply
 * at a time. Replies are parsed losslessly: integers become bigint (u64 values stay exact),
 * other numbers {@link LosslessNumber}. Events are ignored. QEMU serves one client per monitor
 * socket: while another client is connected it accepts the connection but sends no greeting,
 * which is reported after `timeoutMs` rather than waited on forever. Replies are bounded: at
 * most `maxReplyBytes` per line (default 4 MiB, 50 times a 32-vCPU QEMU's query-stats reply),
 * and within that by what a stats schema can justify ({@link parseBounded}); a reply beyond
 * either is a one-line error naming the peer, and the connection is closed.
 */

import { statSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname } from "node:path";
import { LosslessNumber } from "lossless-json";
import { AsyncClosable } from "../../closable.js";
import { UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { formatQmpAddress, parseQmpAddress, type QmpAddress, unixPathProblem } from "../address.js";
import { QmpCommandError, QmpConnectError, QmpProtocolError, socketReason } from "../errors.js";
import { writeJson } from "../json/writer.js";
import { LineSplitter } from "./lines.js";
import { joinJsonLines } from "./pretty.js";
import { JsonBoundsError, losslessNumber, parseBounded } from "./reply.js";

export { losslessNumber };

/** What the greeting says about the peer. */
export interface QmpGreeting {
  readonly version: { readonly major: number; readonly minor: number; readonly micro: number };
  readonly package: string;
  readonly capabilities: readonly string[];
}

/** Options of {@link QmpClient.connect}. */
export interface QmpClientOptions {
  /** How long to wait for the connection and the greeting (default 5000 ms; at most {@link MAX_TIMEOUT_MS}). */
  readonly timeoutMs?: number | undefined;
  /** Send qmp_capabilities after the greeting (default true). */
  readonly negotiate?: boolean | undefined;
  /** How long to wait for each reply (default 30000 ms; 0: no limit; at most {@link MAX_TIMEOUT_MS}). */
  readonly commandTimeoutMs?: number | undefined;
  /** Longest reply line accepted, in bytes (default {@link DEFAULT_MAX_REPLY}; {@link MIN_MAX_REPLY}..{@link MAX_MAX_REPLY}). */
  readonly maxReplyBytes?: number | undefined;
  /**
   * Called once connected, before a byte is read or sent: throwing refuses the peer (the socket
   * is destroyed and the connect rejects with that error). `host:` checks SO_PEERCRED with it.
   */
  readonly checkPeer?: ((socket: Socket) => void) | undefined;
}

/** Default cap on one reply: 4 MiB (a 32-vCPU QEMU's query-stats reply is about 72 KB). */
export const DEFAULT_MAX_REPLY = 4 << 20;
/** Smallest cap accepted (64 KiB: QEMU's query-commands and greeting fit many times). */
export const MIN_MAX_REPLY = 64 << 10;
/** Largest cap accepted (256 MiB). */
export const MAX_MAX_REPLY = 256 << 20;

/** Longest timeout Node's timers take (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A reply as received: `return` or `error`, and the echoed `id`. */
export type QmpReply = Record<string, unknown>;

/** Parses one JSON text losslessly, within the bounds of {@link parseBounded}. */
export function parseLossless(text: string): unknown {
  return parseBounded(text);
}

/**
 * One reply line (without its line end) as the client reads it: parsed within the bounds of
 * {@link parseBounded}, and a JSON object; anything else is a {@link QmpProtocolError} naming
 * the peer `where`.
 */
export function parseReplyLine(line: Uint8Array, where: string): QmpReply {
  let msg: unknown;
  try {
    msg = parseLossless(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8"));
  } catch (e) {
    throw new QmpProtocolError(`qmp ${where}: ${parseProblem(e)}`);
  }
  if (msg === null || typeof msg !== "object" || Array.isArray(msg) || msg instanceof LosslessNumber) {
    throw new QmpProtocolError(`qmp ${where}: reply is not a JSON object`);
  }
  return msg as QmpReply;
}

/** Why a reply could not be parsed, in one line. */
function parseProblem(e: unknown): string {
  const why = e instanceof Error ? e.message : String(e);
  return e instanceof JsonBoundsError ? `reply refused: ${why}` : `malformed reply (${why})`;
}

interface Pending {
  readonly id: number;
  readonly command: string;
  readonly resolve: (r: QmpReply) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/** A connected, negotiated QMP client. */
export class QmpClient extends AsyncClosable implements AsyncDisposable {
  readonly address: QmpAddress;
  readonly greeting: QmpGreeting;
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  readonly #commandTimeout: number;
  #nextId = 1;
  #failure: Error | undefined;

  private constructor(address: QmpAddress, socket: Socket, greeting: QmpGreeting, commandTimeout: number) {
    super();
    this.address = address;
    this.#socket = socket;
    this.greeting = greeting;
    this.#commandTimeout = commandTimeout;
  }

  /** The address for messages. */
  get #where(): string {
    return printable(formatQmpAddress(this.address));
  }

  /** True when the peer is our own server (its greeting's package starts with "statsfs"). */
  get isStatsfs(): boolean {
    return this.greeting.package.startsWith("statsfs");
  }

  /** Connects, reads the greeting and (unless told not to) negotiates. */
  static async connect(address: QmpAddress | string, options: QmpClientOptions = {}): Promise<QmpClient> {
    const addr = typeof address === "string" ? parseQmpAddress(address) : address;
    const where = printable(formatQmpAddress(addr));
    const timeout = options.timeoutMs ?? 5000;
    checkTimeout("timeoutMs", timeout, 1);
    const commandTimeout = options.commandTimeoutMs ?? 30000;
    checkTimeout("commandTimeoutMs", commandTimeout, 0);
    const maxReply = options.maxReplyBytes ?? DEFAULT_MAX_REPLY;
    if (!(Number.isInteger(maxReply) && maxReply >= MIN_MAX_REPLY && maxReply <= MAX_MAX_REPLY))
      throw new UsageError(`qmp: maxReplyBytes must be an integer from ${MIN_MAX_REPLY} to ${MAX_MAX_REPLY}, got ${maxReply}`);
    if (addr.kind === "unix") {
      const problem = unixPathProblem(addr.path);
      if (problem !== undefined) throw new QmpConnectError(`qmp ${where}: cannot connect: ${problem}`);
    }
    const socket = addr.kind === "unix" ? connect(addr.path) : connect({ host: addr.host, port: addr.port });
    let client: QmpClient | undefined;
    const greeting = await new Promise<QmpGreeting>((resolve, reject) => {
      let connected = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          connected
            ? new QmpProtocolError(
                `qmp ${where}: no greeting within ${timeout / 1000} s (QEMU serves one client per socket: is another one connected?)`,
              )
            : new QmpConnectError(`qmp ${where}: cannot connect: timed out after ${timeout / 1000} s`),
        );
      }, timeout);
      socket.once("connect", () => {
        connected = true;
        if (!options.checkPeer) return;
        try {
          options.checkPeer(socket);
        } catch (e) {
          clearTimeout(timer);
          socket.removeAllListeners("close");
          socket.destroy();
          reject(e instanceof Error ? e : new QmpConnectError(`qmp ${where}: ${String(e)}`));
        }
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        reject(
          connected
            ? new QmpProtocolError(`qmp ${where}: ${socketReason(e)} before the greeting`, { cause: e })
            : new QmpConnectError(`qmp ${where}: cannot connect: ${connectReason(addr, e)}`, { cause: e }),
        );
      });
      socket.once("close", () => {
        clearTimeout(timer);
        reject(new QmpProtocolError(`qmp ${where}: connection closed before the greeting`));
      });
      const splitter = new LineSplitter(
        joinJsonLines((line) => {
          if (client) {
            client.#line(line);
            return;
          }
          clearTimeout(timer);
          try {
            resolve(parseGreeting(line.toString("utf8"), where));
          } catch (e) {
            socket.destroy();
            reject(e);
          }
        }, maxReply),
        maxReply,
      );
      socket.on("data", (chunk: Buffer) => {
        try {
          splitter.feed(chunk);
        } catch (e) {
          const err = new QmpProtocolError(`qmp ${where}: ${printable(e instanceof Error ? e.message : String(e))}`);
          if (client) client.#fail(err);
          else reject(err);
          socket.destroy();
        }
      });
    });
    client = new QmpClient(addr, socket, greeting, commandTimeout);
    socket.removeAllListeners("error");
    socket.removeAllListeners("close");
    const c = client;
    socket.on("error", (e) => c.#fail(new QmpProtocolError(`qmp ${where}: ${socketReason(e)}`, { cause: e })));
    socket.on("close", () => c.#fail(new QmpProtocolError(`qmp ${where}: connection closed by peer`)));
    if (options.negotiate !== false) {
      try {
        await client.execute("qmp_capabilities");
      } catch (e) {
        await client.close();
        throw e;
      }
    }
    return client;
  }

  /** Runs a command; resolves to its `return` value, rejects with {@link QmpCommandError} on an error reply. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = await this.request(command, args === undefined ? undefined : writeJson(args));
    const err = reply.error as { class?: unknown; desc?: unknown } | undefined;
    if (err !== undefined) throw new QmpCommandError(command, String(err.class), String(err.desc));
    return reply.return;
  }

  /**
   * Sends `{"execute": command, "arguments": argsJson, "id": n}` with the arguments as given
   * (JSON text, so that big integers pass unchanged) and resolves to the whole reply.
   */
  request(command: string, argsJson?: string): Promise<QmpReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.closed) return Promise.reject(new QmpProtocolError(`qmp ${this.#where}: client is closed`));
    const id = this.#nextId++;
    const text = `{"execute": ${JSON.stringify(command)}${argsJson === undefined ? "" : `, "arguments": ${argsJson}`}, "id": ${id}}\n`;
    return new Promise<QmpReply>((resolve, reject) => {
      const timer =
        this.#commandTimeout > 0
          ? setTimeout(
              () => this.#fail(new QmpProtocolError(`qmp ${this.#where}: no reply to ${command} within ${this.#commandTimeout / 1000} s`)),
              this.#commandTimeout,
            )
          : undefined;
      this.#pending.push({ id, command, resolve, reject, timer });
      this.#socket.write(text);
    });
  }

  #line(line: Buffer): void {
    if (line.length === 0) return;
    let reply: QmpReply;
    try {
      reply = parseReplyLine(line, this.#where);
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if ("event" in reply) return;
    const p = this.#pending.shift();
    if (!p) {
      this.#fail(new QmpProtocolError(`qmp ${this.#where}: unexpected reply without a request`));
      return;
    }
    if (p.timer) clearTimeout(p.timer);
    const id = reply.id;
    if (id !== undefined && id !== BigInt(p.id)) {
      p.reject(new QmpProtocolError(`qmp ${this.#where}: reply id ${printable(String(id))} does not match request ${p.id}`));
      return;
    }
    p.resolve(reply);
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    for (const p of this.#pending.splice(0)) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(this.#failure);
    }
    this.#socket.destroy();
  }

  /** Disconnects; idempotent. Pending commands fail. */
  protected closing(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#failure ??= new QmpProtocolError(`qmp ${this.#where}: client is closed`);
      for (const p of this.#pending.splice(0)) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(this.#failure);
      }
      if (this.#socket.destroyed) resolve();
      else {
        this.#socket.once("close", () => resolve());
        this.#socket.destroy();
      }
    });
  }
}

/** A timeout Node's timers can take: an integer from `min` to {@link MAX_TIMEOUT_MS}. */
function checkTimeout(what: string, ms: number, min: number): void {
  if (!(Number.isInteger(ms) && ms >= min && ms <= MAX_TIMEOUT_MS))
    throw new UsageError(`qmp: ${what} must be an integer from ${min} to ${MAX_TIMEOUT_MS} (ms), got ${ms}`);
}

/** Why connecting failed; a missing socket directory is named as such. */
function connectReason(addr: QmpAddress, e: unknown): string {
  if (addr.kind === "unix" && (e as NodeJS.ErrnoException).code === "ENOENT") {
    const dir = dirname(addr.path);
    try {
      if (!statSync(dir).isDirectory()) return `${printable(dir)} is not a directory`;
    } catch {
      return `no such directory ${printable(dir)}`;
    }
  }
  if (addr.kind === "unix" && (e as NodeJS.ErrnoException).code === "ECONNREFUSED") {
    // connect(2) says "refused" for a path that is no socket at all: say what it is instead.
    try {
      const st = statSync(addr.path);
      const what = st.isDirectory() ? "a directory" : st.isFile() ? "a regular file" : undefined;
      if (!st.isSocket()) return `not a socket${what ? ` (${what})` : ""}: give the socket of QEMU's -qmp unix:PATH,server=on`;
    } catch {
      // gone meanwhile: the refusal stands
    }
  }
  return socketReason(e);
}

function parseGreeting(text: string, where: string): QmpGreeting {
  let msg: unknown;
  try {
    msg = parseLossless(text);
  } catch {
    throw new QmpProtocolError(`qmp ${where}: the peer did not send a QMP greeting`);
  }
  const qmp = (msg as { QMP?: { version?: { qemu?: Record<string, unknown>; package?: unknown }; capabilities?: unknown } } | null)?.QMP;
  if (!qmp || typeof qmp !== "object") throw new QmpProtocolError(`qmp ${where}: the peer did not send a QMP greeting`);
  const v = qmp.version?.qemu ?? {};
  return {
    version: { major: Number(v.major ?? 0), minor: Number(v.minor ?? 0), micro: Number(v.micro ?? 0) },
    package: typeof qmp.version?.package === "string" ? qmp.version.package : "",
    capabilities: Array.isArray(qmp.capabilities) ? qmp.capabilities.map(String) : [],
  };
}
