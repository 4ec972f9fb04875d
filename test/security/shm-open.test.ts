/**
 * Issue 16, item 3: the `shm:` reader opens what a producer's link names and checks what it
 * opened, never the path first. The attacker (uid 65534) exports a sealed memfd the way a
 * producer does and swaps its fd between that memfd and an O_PATH fd of a root-only file while
 * root opens `shm:` again and again: no byte of the root-only file may reach a message or a
 * stats file.
 */
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encodeBundle } from "../../src/codec/bundle.js";
import { makeDescriptor } from "../../src/model/descriptor.js";
import { openSource } from "../../src/providers/registry.js";
import { attackSkip, NOBODY, startAttacker } from "./attacker.js";

const skip = attackSkip();
const base = mkdtempSync(join(tmpdir(), "statsfs-shm-attack-"));
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));

describe("shm: opens first, then checks what it opened", { skip }, () => {
  it("a producer swapping its fd between its memfd and a root-only file: nothing of the file is read (1000 opens)", async () => {
    // The secret: a root-only file (mode 0600) that even decodes as an export of this tree.
    const secret = join(base, "shadow");
    writeFileSync(secret, encodeBundle([{ path: ["app"], descriptors: [makeDescriptor({ name: "root_only", offset: 0 })] }]), {
      mode: 0o600,
    });
    const dir = join(base, "export");
    mkdirSync(join(dir, "app"), { recursive: true });
    chmodSync(dir, 0o755);
    chownSync(join(dir, "app"), NOBODY, NOBODY);
    const attacker = startAttacker("fd-swap", [join(dir, "app"), secret], join(base, "stop"));
    const seen: string[] = [];
    let ok = 0;
    try {
      await attacker.ready;
      for (let i = 0; i < 1000; i++) {
        await using s = await openSource(`shm:app?dir=${dir}&instances=all`);
        for (const m of s.members ?? []) {
          seen.push(`${m.state}: ${m.reason ?? ""}`);
          if (m.state === "ok") ok++;
        }
        for (const f of s.files) seen.push(`${f.identity.id} ${f.schema.descriptors.map((d) => d.name).join(",")}`);
      }
    } finally {
      await attacker.stop();
    }
    const leaks = seen.filter((t) => /shadow|root_only/.test(t));
    assert.deepEqual(leaks.slice(0, 3), [], `${leaks.length} of 1000 opens read the root-only file`);
    assert.ok(ok > 0, "the attacker's memfd itself was read when it was there");
  });
});
