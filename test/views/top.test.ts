import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allocateRows } from "../../src/views/top/rows.js";

describe("top: rows per group", () => {
  it("gives what a small group leaves unused to the groups that need more", () => {
    assert.deepEqual(allocateRows([1, 40], 37), [1, 30]);
    assert.deepEqual(allocateRows([10, 10], 37), [10, 10]);
    assert.deepEqual(allocateRows([40, 40], 26), [10, 10]);
    assert.deepEqual(allocateRows([5, 7], undefined), [5, 7]);
    assert.deepEqual(allocateRows([5, 7], 2), [0, 0]);
  });
});
