/** model/read-int: the one integer reader of options, ports, pids and milliseconds. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readInt } from "../../src/model/read-int.js";

describe("readInt", () => {
  it("takes digits within [min, max] only, exactly", () => {
    const cases: [string, number, number, number | undefined][] = [
      ["0", 0, 10, 0],
      ["007", 0, 10, 7],
      ["10", 0, 10, 10],
      ["11", 0, 10, undefined],
      ["0", 1, 10, undefined],
      ["-1", -5, 10, undefined],
      ["+1", 0, 10, undefined],
      [" 1", 0, 10, undefined],
      ["1e3", 0, 10_000, undefined],
      ["1.0", 0, 10, undefined],
      ["", 0, 10, undefined],
      ["9007199254740991", 0, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
      ["9007199254740993", 0, Number.MAX_SAFE_INTEGER, undefined],
      ["99999999999999999999", 0, Number.MAX_SAFE_INTEGER, undefined],
      ["65535", 0, 65535, 65535],
      ["65536", 0, 65535, undefined],
    ];
    for (const [text, min, max, want] of cases) assert.equal(readInt(text, min, max), want, `${text} in [${min}, ${max}]`);
  });
});
