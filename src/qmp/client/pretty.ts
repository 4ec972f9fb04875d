/**
 * @module qmp/client/pretty
 * `-qmp-pretty` monitors print each JSON message over several lines. {@link joinJsonLines}
 * sits between the line splitter and the message handler: a line that is a whole message (the
 * compact case, ending in `}`) passes straight through; a line that opens a value and leaves it
 * open is held, and lines are appended until its braces and brackets (outside strings) close.
 * Anything else passes through for the parser to reject.
 */

/**
 * Wraps `onMessage` so that it receives whole messages from a stream of lines. A held message
 * longer than `maxBytes` is passed on as it is (for the parser to reject).
 */
export function joinJsonLines(onMessage: (message: Buffer) => void, maxBytes = 64 << 20): (line: Buffer) => void {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  const scan = (line: Buffer): void => {
    for (const c of line) {
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
    }
  };
  return (line) => {
    if (held.length === 0) {
      let end = line.length - 1;
      while (end >= 0 && (line[end] === 0x20 || line[end] === 0x09)) end--;
      let start = 0;
      while (start < line.length && (line[start] === 0x20 || line[start] === 0x09)) start++;
      const first = line[start];
      if (line[end] === 0x7d || (first !== 0x7b && first !== 0x5b)) {
        onMessage(line);
        return;
      }
      depth = 0;
      inString = false;
      escaped = false;
    }
    held.push(line);
    heldBytes += line.length + 1;
    scan(line);
    if (depth <= 0 || heldBytes > maxBytes) {
      const message = Buffer.concat(held.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from("\n"), l])));
      held = [];
      heldBytes = 0;
      onMessage(message);
    }
  };
}
