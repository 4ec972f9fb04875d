/**
 * @module qmp/client/lines
 * Splits a byte stream into lines (QMP replies end in CRLF; replies never contain a raw line
 * break). Only the unfinished tail is kept between chunks, and each byte is scanned once.
 */

/** Calls `onLine` with each complete line (without its CR LF), in order. */
export class LineSplitter {
  #parts: Buffer[] = [];
  #length = 0;
  readonly #onLine: (line: Buffer) => void;
  readonly #maxLine: number;

  /** Lines longer than `maxLine` bytes are an error (a peer that never ends its line). */
  constructor(onLine: (line: Buffer) => void, maxLine = 4 << 20) {
    this.#onLine = onLine;
    this.#maxLine = maxLine;
  }

  /** Feeds a chunk; throws when a line grows beyond the limit. */
  feed(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      let line: Buffer = chunk.subarray(start, nl);
      if (this.#length + line.length > this.#maxLine) this.#tooLong();
      if (this.#parts.length) {
        line = Buffer.concat([...this.#parts, line]);
        this.#parts = [];
        this.#length = 0;
      }
      this.#onLine(line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#parts.push(rest);
      this.#length += rest.length;
      if (this.#length > this.#maxLine) this.#tooLong();
    }
  }

  #tooLong(): never {
    this.#parts = [];
    this.#length = 0;
    throw new RangeError(`reply longer than ${this.#maxLine} bytes (the client's limit)`);
  }
}
