/**
 * The public surface is what the README documents: the package entry does not hand out the
 * registry's mutable table or the message helpers of errors.ts, and `statsfs/producer` does
 * not re-export the aggregation engine or id formatting of the providers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as root from "../../src/index.js";
import * as producer from "../../src/producer/index.js";

describe("public surface", () => {
  it("statsfs: error classes and sourceSchemes(), not OPENERS or the errors module's oneLine and MAX_MESSAGE", () => {
    const names = new Set(Object.keys(root));
    for (const hidden of ["OPENERS", "oneLine", "MAX_MESSAGE"]) assert.ok(!names.has(hidden), hidden);
    for (const shown of ["StatsfsError", "UsageError", "SourceError", "TimeoutError", "openSource", "sourceSchemes"])
      assert.ok(names.has(shown), shown);
    assert.ok(root.sourceSchemes().includes("sim"));
    assert.throws(() => (root.sourceSchemes() as string[]).push("x"));
  });

  it("statsfs/producer: no provider internals", () => {
    const names = new Set(Object.keys(producer));
    for (const hidden of ["AggregatePlan", "exportedId", "mergedId", "defaultDir"]) assert.ok(!names.has(hidden), hidden);
    assert.ok(names.has("createSource") && names.has("labelsOf") && names.has("helpOf"));
  });
});
