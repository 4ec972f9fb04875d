import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = (p: string) => readFileSync(fileURLToPath(new URL(`../../../${p}`, import.meta.url)), "utf8");

describe("package", () => {
  it("ships the MIT license its package.json names", () => {
    const pkg = JSON.parse(root("package.json")) as { license?: string };
    assert.equal(pkg.license, "MIT");
    const text = root("LICENSE");
    assert.match(text, /^MIT License\n\nCopyright \(c\) 2026 statsfs contributors\n/);
    assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
  });
});
