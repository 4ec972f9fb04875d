/**
 * Issue 16, item 11: a producer exports only into directories its own user made and no one
 * else can write, creates them 0700, and walks them by fds (a link in place of a source
 * directory is refused, never followed). Before, an export directory another user made first
 * (0755, theirs) let them plant a link that made the producer create its files elsewhere.
 */
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SourceError } from "../../src/errors.js";
import { createSource, Registry } from "../../src/producer/index.js";
import { cli } from "../helpers.js";
import { attackSkip, NOBODY } from "./attacker.js";

const skip = attackSkip();
const base = mkdtempSync(join(tmpdir(), "statsfs-export-attack-"));
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));

/** Exports a tree `app` (with a subordinate `sub`) into `dir`; returns the registration. */
function exportApp(dir: string) {
  const app = createSource("app");
  app.addValues({ hits: {} });
  const sub = createSource("sub");
  sub.addValues({ hits: {} });
  app.addSubordinate(sub);
  return new Registry().register(app, { export: { dir, instance: "t1" } });
}

/** Asserts `f` throws one line matching `re` (a SourceError). */
function refuses(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof SourceError, String(e));
    assert.match(e.message, re);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
}

describe("producers export only into their own directories", { skip }, () => {
  it("an export directory another user made is refused in one line; nothing is made through its link", () => {
    const victim = join(base, "victim");
    mkdirSync(victim);
    const dir = join(base, "shared");
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, NOBODY, NOBODY);
    symlinkSync(victim, join(dir, "app"));
    chownSync(join(dir, "app"), NOBODY, NOBODY);
    refuses(
      () => exportApp(dir),
      /^export directory ".*\/shared" is owned by uid 65534, not by this process's uid 0: refusing to export into a directory another user controls/,
    );
    assert.deepEqual(readdirSync(victim), []);
  });

  it("a source directory another user made inside one's own export directory is refused", () => {
    const dir = join(base, "mine");
    mkdirSync(join(dir, "app"), { recursive: true, mode: 0o755 });
    chownSync(join(dir, "app"), NOBODY, NOBODY);
    refuses(() => exportApp(dir), /^export directory ".*\/mine\/app" is owned by uid 65534/);
    assert.deepEqual(readdirSync(join(dir, "app")), []);
  });

  it("creates the export directory and the tree's directory 0700", () => {
    const dir = join(base, "fresh", "statsfs");
    using reg = exportApp(dir);
    for (const d of [dir, join(dir, "app")]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
    assert.deepEqual(readdirSync(join(dir, "app")), ["t1.stats"], "one file for the tree, subordinates included");
    void reg;
  });

  it("a link in place of the tree's directory is refused, never followed", () => {
    const victim = join(base, "victim2");
    mkdirSync(victim);
    const dir = join(base, "own");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    symlinkSync(victim, join(dir, "app"));
    refuses(() => exportApp(dir), /^export directory ".*\/own\/app" is a symbolic link: refusing to follow it$/);
    assert.deepEqual(readdirSync(victim), []);
  });

  it("a directory other users can write is refused", () => {
    const dir = join(base, "open");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    refuses(() => exportApp(dir), /^export directory ".*\/open" is writable by other users \(mode 0777\): refusing to export into it/);
  });

  it("root reads an unprivileged producer's 0700 export directory", async () => {
    const home = join(base, "home");
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, NOBODY, NOBODY);
    const dir = join(home, "statsfs");
    const producer = fileURLToPath(new URL("../fs/fixtures/producer.js", import.meta.url));
    const child = fork(producer, [dir, "svc"], { uid: NOBODY, gid: NOBODY, stdio: ["ignore", "ignore", "inherit", "ipc"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (c) => reject(new Error(`producer exited with ${c}`)));
      });
      for (const d of [dir, join(dir, "svc")]) {
        const st = statSync(d);
        assert.deepEqual([st.uid, st.mode & 0o777], [NOBODY, 0o700], d);
      }
      const r = await cli("read", `shm:svc?dir=${dir}`, "--names", "requests");
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^ *requests +\S+ +41\b/m);
    } finally {
      child.send({ exit: true });
    }
  });
});
