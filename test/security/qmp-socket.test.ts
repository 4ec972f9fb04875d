/**
 * Issue 16, item 6: `serve --qmp unix:PATH` in a directory another user can write. The
 * attacker (uid 65534) replaces each new socket by a link to a victim file in a loop while root
 * starts and stops the server again and again: the socket's mode comes from the bind (umask),
 * so nothing ever changes the victim's mode through the link.
 */
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openSource } from "../../src/providers/registry.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { attackSkip, NOBODY, startAttacker } from "./attacker.js";

const skip = attackSkip();
const base = mkdtempSync(join(tmpdir(), "statsfs-qmp-attack-"));
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));

describe("the QMP socket's mode is set at bind, never by a chmod of its path", { skip }, () => {
  it("a link swapped in for the new socket: the victim keeps its mode (100 starts, 3 s at least)", async () => {
    const victim = join(base, "victim");
    writeFileSync(victim, "victim\n", { mode: 0o644 });
    chmodSync(victim, 0o644);
    const dir = join(base, "run");
    mkdirSync(dir, { mode: 0o755 });
    chownSync(dir, NOBODY, NOBODY);
    const sock = join(dir, "stats.sock");
    const attacker = startAttacker("socket-swap", [sock, victim], join(base, "stop"));
    await using sim = await openSource("sim:");
    let started = 0;
    try {
      await attacker.ready;
      const until = Date.now() + 3000;
      for (let i = 0; i < 100 || Date.now() < until; i++) {
        try {
          unlinkSync(sock);
        } catch {
          // nothing there
        }
        let server: QmpServer;
        try {
          server = await QmpServer.listen(`unix:${sock}`, { sources: [sim] });
        } catch {
          continue; // raced at start: refused, which is fine
        }
        started++;
        try {
          // A socket still in place was made 0600 by the bind itself.
          const st = statSync(`${sock}`, { throwIfNoEntry: false });
          if (st?.isSocket()) {
            assert.equal(st.mode & 0o777, 0o600);
          }
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        } finally {
          await server.close();
        }
      }
    } finally {
      const said = await attacker.stop();
      assert.match(said, /swaps [1-9]/, "the attacker really swapped");
    }
    assert.ok(started > 0);
    assert.equal(statSync(victim).mode & 0o777, 0o644, "the victim's mode was changed through the link");
  });
});
