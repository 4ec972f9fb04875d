/**
 * `statsfs top host:` on a terminal with real QEMU VMs: a VM started while shown appears as
 * its own groups (guest name, pid, route), a VM killed while shown stays with its last frame
 * marked gone while the other keeps its place, and -g picks a VM by a non-ASCII guest name.
 * Needs KVM: host: finds VMs by their kvm-vm fds, which a TCG QEMU does not hold.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type Peer, startQemuWith, tempDir } from "../host/peers.js";
import { qemuKvmSkipReason } from "../qmp/qemu.js";
import { Tmux, tmuxSkip } from "./tmux.js";

const MAIN = join(import.meta.dirname, "../../src/cli/main.js");
const skip = tmuxSkip() || qemuKvmSkipReason() || false;
const tmp = tempDir();
after(() => tmp.remove());

const tag = `tl${process.pid}`;
const qemu = (name: string) =>
  startQemuWith([
    "-smp",
    "2",
    "-name",
    `guest=${name}`,
    "-qmp",
    `unix:${join(tmp.dir, `${name.length}-${Date.now()}.sock`)},server=on,wait=off`,
  ]);

describe("top host: with QEMU VMs coming and going", { skip }, () => {
  it("a VM appearing and a VM killed while shown; -g by a non-ASCII name", async () => {
    const peers: Peer[] = [];
    const t1 = `${tag}-ünï-一`;
    const t2 = `${tag}-b`;
    let t: Tmux | undefined;
    let g: Tmux | undefined;
    try {
      const a = await qemu(t1);
      peers.push(a);
      t = new Tmux(160, 50, `${process.execPath} ${MAIN} top 'host:?guest=${tag}-*&route=qmp' --interval 300; echo "exit=$?"; sleep 60`);
      await t.waitFor((s) => s.includes(`${t1}  pid ${a.pid}`), "the first VM");
      const b = await qemu(t2);
      peers.push(b);
      let s = await t.waitFor((x) => x.includes(`${t2}  pid ${b.pid}`), "the VM started while shown");
      assert.ok(s.includes(`${t1}  pid ${a.pid}`));
      await a.stop();
      s = await t.waitFor((x) => new RegExp(`${t1} {2}pid ${a.pid}.* — gone at \\d\\d:\\d\\d:\\d\\d`).test(x), "the killed VM marked gone");
      assert.ok(s.includes(`${t2}  pid ${b.pid}`) && !new RegExp(`${t2} {2}pid ${b.pid}.*gone`).test(s), "the other VM is still live");
      t.keys("q");
      await t.waitFor((x) => x.includes("exit=0"), "exit");
      // -g picks the VM by its guest name (display width of non-ASCII names measured).
      const c = await qemu(t1);
      peers.push(c);
      g = new Tmux(
        160,
        50,
        `${process.execPath} ${MAIN} top 'host:?guest=${tag}-*&route=qmp' -g '${t1}' --interval 300; echo "exit=$?"; sleep 60`,
      );
      s = await g.waitFor((x) => x.startsWith(`kvm statistics - pid ${c.pid} (${t1})`), "the -g headline");
      assert.ok(!s.includes(t2), s);
      g.keys("q");
      await g.waitFor((x) => x.includes("exit=0"), "exit");
    } finally {
      t?.kill();
      g?.kill();
      await Promise.all(peers.map((p) => p.stop()));
    }
  });
});
