/**
 * @module qmp/server/session
 * One client connection: the greeting, then requests handled one at a time in arrival order
 * (as QEMU handles in-band commands), each reply a line ending in CRLF. Bad input gets an error
 * reply and the connection stays open. Input is parsed as it arrives, never buffered beyond one
 * message (see {@link JsonStreamParser}); reading pauses while replies wait to be sent or
 * requests wait to be run, so a client that sends without reading cannot make us hold more than
 * a few replies. A client that hangs up loses its queued requests and costs nothing more; one that only
 * half-closes gets its replies first.
 */
import type { Socket } from "node:net";
import { JsonStreamParser, QEMU_MAX_NESTING, type StreamItem } from "../json/streamer.js";
import { writeJson } from "../json/writer.js";
import { OFFERED_CAPABILITIES, type SessionState, versionInfo } from "./commands.js";
import { dispatch, type Reply } from "./dispatch.js";
import type { StatsView } from "./view.js";

/** Requests queued before reading pauses. */
const MAX_QUEUED = 8;
const CRLF = "\r\n";

/** The greeting line our server sends. */
export function greeting(): string {
  return writeJson({ QMP: { version: versionInfo(), capabilities: [...OFFERED_CAPABILITIES] } });
}

/** A connected client. */
export class Session {
  readonly socket: Socket;
  readonly #view: StatsView;
  readonly #state: SessionState = { negotiated: false, oob: false };
  readonly #parser: JsonStreamParser;
  readonly #queue: StreamItem[] = [];
  #running = false;
  #closed = false;
  #inputEnded = false;
  readonly #onClose: (s: Session) => void;

  constructor(socket: Socket, view: StatsView, maxMessageBytes: number, onClose: (s: Session) => void) {
    this.socket = socket;
    this.#view = view;
    this.#onClose = onClose;
    this.#parser = new JsonStreamParser({ maxBytes: maxMessageBytes, maxNesting: QEMU_MAX_NESTING }, (item) => this.#enqueue(item));
    socket.setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => {
      if (!this.#closed) this.#parser.feed(chunk);
    });
    socket.on("drain", () => this.#flow());
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    // The client is done sending (e.g. `socat` after its stdin ended): answer what it sent, then end.
    socket.on("end", () => {
      this.#inputEnded = true;
      if (!this.#running) this.#finish();
    });
    this.#write(greeting());
  }

  #enqueue(item: StreamItem): void {
    if (this.#closed) return;
    this.#queue.push(item);
    this.#flow();
    if (!this.#running) void this.#run();
  }

  /** Pauses reading while requests or replies pile up; resumes when both have room. */
  #flow(): void {
    if (this.#closed) return;
    const busy = this.#queue.length >= MAX_QUEUED || this.socket.writableNeedDrain;
    if (busy && !this.socket.isPaused()) this.socket.pause();
    else if (!busy && this.socket.isPaused()) this.socket.resume();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const item = this.#queue.shift() as StreamItem;
        const reply = await dispatch(item, this.#state, this.#view);
        this.#write(reply);
        this.#flow();
      }
    } finally {
      this.#running = false;
    }
    if (this.#inputEnded) this.#finish();
  }

  /** After the client's end of input: half-close once every reply is written. */
  #finish(): void {
    if (this.#closed || this.#queue.length > 0) return;
    this.socket.end(() => this.close());
  }

  #write(reply: Reply): void {
    if (this.#closed || this.socket.destroyed || !this.socket.writable) return;
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
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.socket.destroy();
    this.#onClose(this);
  }
}
