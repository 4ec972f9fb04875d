/**
 * @module test/qmp/raw
 * A byte-level QMP peer for tests: sends exactly the bytes given and collects reply lines as
 * text, so that two servers' replies can be compared character for character.
 */
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A raw connection. */
export class RawQmp implements AsyncDisposable {
  readonly #socket: Socket;
  #buf = "";
  readonly lines: string[] = [];
  closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.#buf += d;
      let nl = this.#buf.indexOf("\n");
      while (nl >= 0) {
        this.lines.push(Buffer.from(this.#buf.slice(0, nl).replace(/\r$/, ""), "latin1").toString("utf8"));
        this.#buf = this.#buf.slice(nl + 1);
        nl = this.#buf.indexOf("\n");
      }
    });
    socket.on("close", () => {
      this.closed = true;
    });
    socket.on("error", () => {
      this.closed = true;
    });
  }

  /** Connects and waits for the greeting (returned). */
  static async open(path: string, negotiate = true): Promise<{ raw: RawQmp; greeting: string }> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    const raw = new RawQmp(socket);
    const [greeting = ""] = await raw.next(1);
    if (negotiate) await raw.send('{"execute":"qmp_capabilities"}\n', 1);
    return { raw, greeting };
  }

  /** Waits for `n` more lines (or `ms` of silence when n is 0). */
  async next(n: number, ms = 5000): Promise<string[]> {
    const start = this.lines.length;
    const deadline = Date.now() + ms;
    while (this.lines.length < start + n && Date.now() < deadline && !this.closed) await sleep(2);
    if (n === 0) await sleep(ms);
    return this.lines.slice(start);
  }

  /** Sends bytes and waits for `n` reply lines; returns them. */
  async send(bytes: string | Uint8Array, n = 1, ms = 5000): Promise<string[]> {
    const start = this.lines.length;
    this.#socket.write(typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
    const deadline = Date.now() + ms;
    while (this.lines.length < start + n && Date.now() < deadline && !this.closed) await sleep(2);
    return this.lines.slice(start);
  }

  /** Drops the lines received so far that are events. */
  withoutEvents(lines: readonly string[]): string[] {
    return lines.filter((l) => !l.includes('"event"'));
  }

  /** The socket, for tests that misbehave on purpose. */
  get socket(): Socket {
    return this.#socket;
  }

  async close(): Promise<void> {
    this.#socket.destroy();
    this.closed = true;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
