/**
 * @module views/qmp/session
 * One client connection: the greeting, then requests handled one at a time in arrival order
 * (as QEMU handles in-band commands), each reply a line ending in CRLF. Bad input gets an error
 * reply and the connection stays open. Input is parsed as it arrives, never buffered beyond one
 * message (see {@link JsonStreamParser}). Backpressure: parsing stops once 8 requests wait to
 * run (the rest of the chunk is kept, reading pauses), and after a reply the socket cannot take
 * the next request waits until it drains, so a client that sends without reading costs at most
 * a chunk, a few parsed requests and one reply. A client that hangs up loses its queued requests and costs nothing more; one that only
 * half-closes gets its replies first.
 */

import type { Socket } from "node:net";
import { Closable } from "../../closable.js";
import { JsonStreamParser, QEMU_MAX_NESTING, type StreamItem } from "../../qmp/json/streamer.js";
import { writeJson } from "../../qmp/json/writer.js";
import { OFFERED_CAPABILITIES, type SessionState, versionInfo } from "./commands.js";
import { dispatch, type Reply } from "./dispatch.js";
import type { StatsView } from "./view.js";

/** Requests parsed and queued before parsing stops (QEMU's QMP_REQ_QUEUE_LEN_MAX is 8). */
const MAX_QUEUED = 8;
const CRLF = "\r\n";

/** The greeting line our server sends. */
export function greeting(): string {
  return writeJson({ QMP: { version: versionInfo(), capabilities: [...OFFERED_CAPABILITIES] } });
}

/** A connected client. */
export class Session extends Closable {
  readonly socket: Socket;
  readonly #view: StatsView;
  readonly #state: SessionState = { negotiated: false, oob: false };
  readonly #parser: JsonStreamParser;
  readonly #queue: StreamItem[] = [];
  /** Bytes received but not parsed yet (parsing stopped with a full queue); reading is paused meanwhile. */
  #unparsed: Buffer | undefined;
  #running = false;
  #inputEnded = false;
  readonly #onClose: (s: Session) => void;

  constructor(socket: Socket, view: StatsView, maxMessageBytes: number, onClose: (s: Session) => void) {
    super();
    this.socket = socket;
    this.#view = view;
    this.#onClose = onClose;
    this.#parser = new JsonStreamParser({ maxBytes: maxMessageBytes, maxNesting: QEMU_MAX_NESTING }, (item) => this.#enqueue(item));
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => {
      if (this.closed) return;
      this.#unparsed = this.#unparsed ? Buffer.concat([this.#unparsed, chunk]) : chunk;
      this.#flow();
    });
    socket.on("drain", () => this.#flow());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    // The client is done sending (e.g. `socat` after its stdin ended): answer what it sent, then end.
    socket.on("end", () => {
      this.#inputEnded = true;
      this.#maybeFinish();
    });
    this.#write(greeting());
  }

  /** Queues a parsed item; false (stop parsing) once the queue is full. */
  #enqueue(item: StreamItem): boolean {
    if (this.closed) return false;
    this.#queue.push(item);
    if (!this.#running) void this.#run();
    return this.#queue.length < MAX_QUEUED;
  }

  /**
   * Parses what was received while the queue has room, and reads only while nothing is left
   * unparsed and no reply waits for the client to read.
   */
  #flow(): void {
    if (this.closed) return;
    const rest = this.#unparsed;
    if (rest !== undefined && this.#queue.length < MAX_QUEUED) {
      const used = this.#parser.feed(rest);
      this.#unparsed = used < rest.length ? rest.subarray(used) : undefined;
      if (this.closed) return;
    }
    const busy = this.#unparsed !== undefined || this.socket.writableNeedDrain;
    if (busy && !this.socket.isPaused()) this.socket.pause();
    else if (!busy && this.socket.isPaused()) this.socket.resume();
    this.#maybeFinish();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.closed && this.#queue.length > 0) {
        const item = this.#queue.shift() as StreamItem;
        const reply = await dispatch(item, this.#state, this.#view);
        this.#write(reply);
        // A client that does not read gets no further reply until it has read this one.
        if (this.socket.writableNeedDrain) await this.#drained();
        this.#flow();
      }
    } finally {
      this.#running = false;
    }
    this.#maybeFinish();
  }

  /** Resolves when the socket has room again (or is gone). */
  #drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** After the client's end of input: half-close once every request is answered. */
  #maybeFinish(): void {
    if (!this.#inputEnded || this.closed || this.#running || this.#queue.length > 0 || this.#unparsed !== undefined) return;
    this.#inputEnded = false;
    this.socket.end(() => this.close());
  }

  #write(reply: Reply): void {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return;
    // Replies are ASCII (the writer escapes everything else): latin1 skips UTF-8 encoding.
    if (typeof reply === "string") {
      this.socket.write(reply + CRLF, "latin1");
      return;
    }
    this.socket.cork();
    this.socket.write(reply.head, "latin1");
    this.socket.write(reply.body);
    this.socket.write(reply.tail + CRLF, "latin1");
    this.socket.uncork();
  }

  /** Drops the connection and everything queued for it; idempotent. */
  protected closing(): void {
    this.#queue.length = 0;
    this.#unparsed = undefined;
    this.socket.destroy();
    this.#onClose(this);
  }
}
