/**
 * The shm file format and the aggregation engine live below both the producer and the shm
 * reader: nothing under src/providers (nor model, codec) imports src/producer.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(fileURLToPath(new URL("../../../src", import.meta.url)));

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("producer layering", () => {
  it("no module below the producer imports it", () => {
    const offenders: string[] = [];
    for (const top of ["model", "codec", "providers"]) {
      for (const f of tsFiles(join(SRC, top))) {
        for (const m of readFileSync(f, "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
          const spec = m[1] as string;
          if (!spec.startsWith(".")) continue;
          const target = relative(SRC, resolve(join(f, ".."), spec));
          if (target.startsWith("producer/") || target === "producer") offenders.push(`${relative(SRC, f)} -> ${spec}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });
});
