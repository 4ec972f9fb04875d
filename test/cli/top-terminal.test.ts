/**
 * `statsfs top` on a real terminal (tmux): every kvm_stat key, resize (issue 7: no stale
 * rows), restore on q / Ctrl-C / SIGTERM / an error, NO_COLOR, display widths of non-ASCII
 * guest names, and sources coming and going while shown.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import stringWidth from "string-width";
import { encodeStatsFile } from "../../src/codec/writer.js";
import { layOut } from "../../src/model/descriptor.js";
import { duplicateRows } from "./screen.js";
import { Tmux, tmuxSkip } from "./tmux.js";

const MAIN = join(import.meta.dirname, "../../src/cli/main.js");
const PRODUCER = join(import.meta.dirname, "fixtures/shm-producer.js");
const dir = mkdtempSync(join(tmpdir(), "statsfs-term-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = tmuxSkip();

const topCmd = (args: string) =>
  `printf 'before\\n'; ${process.execPath} ${MAIN} top ${args}; echo "exit=$?"; stty -a | grep -o -- ' -\\?echo ' | head -1; sleep 60`;

/** Rows of a frame: name → [Total, %Total, CurAvg/s] text, for the first group that has it. */
function rows(screen: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of screen.split("\n")) {
    const m = /^ (\S.{0,39}?) +(\S+(?: [a-zµ]+)?) *(\d+\.\d)? *(\S*(?: s\/s)?)$/.exec(l.slice(0, 69).trimEnd());
    if (m && !out.has(m[1] as string)) out.set(m[1] as string, [m[2] ?? "", m[3] ?? "", m[4] ?? ""]);
  }
  return out;
}

/** The Total column (chars 42–51) of the row named `name` in the group whose title has `group`. */
function totalOf(screen: string, name: string, group: string): bigint | undefined {
  const block = screen.split(/\n\n/).find((b) => b.split("\n").some((l) => /^ \S+ {2}/.test(l) && l.includes(group)));
  const line = (block ?? "").split("\n").find((l) => l.startsWith(` ${name} `));
  return line === undefined ? undefined : BigInt(line.slice(41, 52).trim());
}

describe("top on a terminal", { skip }, () => {
  it("after a resize (80x15 → 150x30 → 80x15) no stale or duplicated rows remain", async () => {
    const t = new Tmux(80, 15, topCmd("sim: 'sim:?vcpus=3&pid=5' --interval 150"));
    try {
      const frames = async () => {
        const a = await t.waitFor((s) => s.includes("vCPUs"), "a frame");
        await t.waitFor((s) => s !== a && s.includes("vCPUs"), "the next frame");
        const b = t.screen();
        return await t.waitFor((s) => s !== b && s.includes("vCPUs"), "one more frame");
      };
      const check = (s: string, cols: number, rowsN: number) => {
        const lines = s.split("\n").slice(0, rowsN);
        assert.deepEqual(duplicateRows(lines.join("\n")), [], `a line appears twice:\n${s}`);
        assert.equal(lines.filter((l) => l.startsWith("kvm statistics")).length, 1, s);
        for (const l of lines) assert.ok(stringWidth(l) <= cols, `line wider than ${cols}: ${l}`);
        // Every group title is followed, before the next blank line, by its own Total row.
        const titles = lines.filter((l) => /^ kvm {2}(vm|vcpu) /.test(l)).length;
        const totals = lines.filter((l) => l.startsWith(" Total ")).length;
        assert.ok(totals <= titles, s);
        // Below the frame's last line nothing is left.
        const last = lines.map((l) => l.trim() !== "").lastIndexOf(true);
        assert.ok(
          lines.slice(last + 1).every((l) => l === ""),
          s,
        );
      };
      check(await frames(), 80, 15);
      t.resize(150, 30);
      const big = await frames();
      check(big, 150, 30);
      assert.ok(big.split("\n").filter((l) => l.startsWith(" Total ")).length >= 3, `the bigger screen shows more:\n${big}`);
      t.resize(80, 15);
      check(await frames(), 80, 15);
    } finally {
      t.kill();
    }
  });

  it("every key: refresh, b, x, o, f, c, p, g, h, s, r and q (terminal restored)", async () => {
    const t = new Tmux(120, 50, topCmd("'sim:?pid=101&guest=alpha&vcpus=2' 'sim:?pid=202&guest=bêta-日本&vcpus=3' -s 25"));
    try {
      let s = await t.waitFor((x) => x.startsWith("kvm statistics - summary") && x.includes("3 vCPUs"), "the first frame");
      assert.match(s, /^ Event {35} {6}Total %Total CurAvg\/s$/m);
      assert.equal(rows(s).get("exits")?.[2], "", "no CurAvg/s before a second sample");
      // Any other key refreshes at once (the delay is 25 s).
      t.keys("z");
      s = await t.waitFor((x) => /^ exits +\d+ +\d+\.\d +\d+$/m.test(x), "a refresh with rates");
      // b: per-guest totals, aligned in display columns whatever the name's characters.
      t.keys("b");
      s = await t.waitFor((x) => x.includes("Guest Name"), "the guest view");
      const a = s.split("\n").find((l) => l.startsWith(" alpha ")) as string;
      const b = s.split("\n").find((l) => l.startsWith(" bêta-日本 ")) as string;
      assert.ok(a && b, s);
      assert.equal(stringWidth(a), stringWidth(b), `columns line up:\n${a}\n${b}`);
      assert.equal(stringWidth(b.slice(0, b.indexOf("bêta-日本") + 7).padEnd(0)), 1 + stringWidth("bêta-日本"));
      t.keys("b");
      s = await t.waitFor((x) => x.includes(" Event "), "back to events");
      // x: per-vCPU child rows.
      t.keys("x");
      s = await t.waitFor((x) => /^ {3}vcpu 2 +\d+/m.test(x), "drilldown rows");
      t.keys("x");
      s = await t.waitFor((x) => !/^ {3}vcpu /m.test(x), "drilldown off");
      // o: sort by Total: the count rows of each group come in non-increasing Total order.
      t.keys("o");
      t.keys("z");
      s = await t.waitFor((x) => x !== s, "a frame sorted by Total");
      for (const g of s.split("\n\n").filter((x) => x.includes("vCPUs"))) {
        const totals = g
          .split("\n")
          .filter((l) => /^ [a-z_]+ +\d+ +\d+\.\d/.test(l))
          .map((l) => BigInt(l.slice(41, 52).trim()));
        assert.deepEqual(
          totals,
          [...totals].sort((p, q) => (p > q ? -1 : p < q ? 1 : 0)),
          g,
        );
      }
      // f: a regex, matched at the start of names.
      t.keys("f");
      await t.waitFor((x) => x.includes("Show statistics for events matching a regex."), "the regex prompt");
      t.keys("(", true);
      t.keys("Enter");
      await t.waitFor((x) => x.includes('"(": Not a valid regular expression'), "the regex error");
      t.keys("halt", true);
      t.keys("Enter");
      s = await t.waitFor((x) => x.includes("regex filter: halt"), "the filtered view");
      const names = [...rows(s).keys()].filter((n) => n !== "Total" && !n.startsWith("kvm") && !n.startsWith("No matching"));
      assert.ok(names.length > 0 && names.every((n) => n.startsWith("halt")), names.join(","));
      // c: clear.
      t.keys("c");
      s = await t.waitFor((x) => !x.includes("regex filter") && /^ exits /m.test(x), "cleared filter");
      // p: the list of guests; a pid that does not run is refused; 202 is taken.
      t.keys("p");
      s = await t.waitFor((x) => x.includes("Guest or pid [ENTER exits]:"), "the guest prompt");
      assert.match(s, /^ +101 {2}alpha$/m);
      assert.match(s, /^ +202 {2}bêta-日本$/m);
      t.keys("999", true);
      t.keys("Enter");
      await t.waitFor((x) => x.includes('"999": Not a running process'), "the pid error");
      t.keys("202", true);
      t.keys("Enter");
      s = await t.waitFor((x) => x.startsWith("kvm statistics - pid 202 (bêta-日本)"), "pid 202");
      assert.doesNotMatch(s, /alpha/);
      // g: by name.
      t.keys("g");
      await t.waitFor((x) => x.includes("Guest or pid"), "the guest prompt");
      t.keys("nobody", true);
      t.keys("Enter");
      await t.waitFor((x) => x.includes('"nobody": Not an active guest'), "the name error");
      t.keys("alpha", true);
      t.keys("Enter");
      s = await t.waitFor((x) => x.startsWith("kvm statistics - pid 101 (alpha)"), "guest alpha");
      assert.doesNotMatch(s, /bêta/);
      t.keys("c");
      await t.waitFor((x) => x.startsWith("kvm statistics - summary"), "the summary again");
      // h: help until any key.
      t.keys("h");
      s = await t.waitFor((x) => x.startsWith("Interactive commands reference"), "the help");
      assert.match(s, /^ {3}x {5}toggle reporting of stats for individual child events/m);
      t.keys("k");
      await t.waitFor((x) => x.startsWith("kvm statistics - summary"), "the view after help");
      // s: out of range is refused; 0.2 s makes frames come by themselves.
      t.keys("s");
      await t.waitFor((x) => x.includes("Change delay from 25.0s to"), "the delay prompt");
      t.keys("30", true);
      t.keys("Enter");
      await t.waitFor((x) => x.includes('"30": Delay must be <=25.5'), "the delay error");
      t.keys("0.2", true);
      t.keys("Enter");
      s = await t.waitFor((x) => x.startsWith("kvm statistics - summary"), "the view");
      const t1 = totalOf(s, "exits", "alpha  pid 101  2 vCPUs");
      s = await t.waitFor((x) => (totalOf(x, "exits", "alpha  pid 101  2 vCPUs") ?? 0n) > (t1 ?? 0n), "frames every 0.2 s");
      // r: totals count again from the reset.
      const beforeReset = totalOf(s, "exits", "alpha  pid 101  2 vCPUs") as bigint;
      t.keys("r");
      s = await t.waitFor((x) => (totalOf(x, "exits", "alpha  pid 101  2 vCPUs") ?? beforeReset) < beforeReset, "totals after r");
      // q: quits, the shell's screen is back, the terminal echoes again.
      t.keys("q");
      s = await t.waitFor((x) => /exit=\d+\n +-?echo/.test(x), "exit");
      assert.match(s, /before\n(.*\n)*exit=0\n echo$/m);
      assert.doesNotMatch(s, /kvm statistics/);
    } finally {
      t.kill();
    }
  });

  it("Ctrl-C and SIGTERM end it with the terminal restored", async () => {
    for (const how of ["C-c", "SIGTERM"]) {
      const t = new Tmux(100, 30, topCmd("sim: --interval 100"));
      try {
        await t.waitFor((x) => x.includes("vCPUs"), "a frame");
        if (how === "C-c") t.keys("C-c");
        else process.kill(t.childPid(), "SIGTERM");
        const s = await t.waitFor((x) => /exit=\d+\n +-?echo/.test(x), `exit after ${how}`);
        assert.match(s, /before\n(.*\n)*exit=0\n echo$/m, how);
        assert.doesNotMatch(s, /kvm statistics/);
      } finally {
        t.kill();
      }
    }
  });

  it("a source that breaks while shown: its one-line reason in place, the others keep updating; an error exit restores", async () => {
    const { descriptors, dataSize } = layOut([{ name: "reqs" }]);
    const p = join(dir, "breaks.stats");
    writeFileSync(p, encodeStatsFile({ id: "kvm-4242", descriptors, data: BigUint64Array.of(5n), nameSize: 48, dataSize }));
    const t = new Tmux(140, 40, topCmd(`'sim:?pid=7&guest=alpha' ${p} --interval 150`));
    try {
      await t.waitFor((x) => x.includes("pid 4242") && x.includes("alpha"), "both sources");
      truncateSync(p, 10);
      let s = await t.waitFor((x) => /pid 4242 .*gone at \d\d:\d\d:\d\d: failed — /.test(x), "the gone group with its reason");
      assert.match(s, new RegExp(` ${p.replace(/[/.]/g, "\\$&")}: failed — `), "the member's note");
      assert.match(s, /^ reqs +5/m, "the last frame of the gone group");
      const before = totalOf(s, "exits", "alpha  pid 7  2 vCPUs");
      assert.ok(before !== undefined, s);
      s = await t.waitFor((x) => totalOf(x, "exits", "alpha  pid 7  2 vCPUs") !== before, "the sim VM still updating");
      t.keys("q");
      await t.waitFor((x) => /exit=0/.test(x), "exit");
    } finally {
      t.kill();
    }
  });

  it("an error while shown (the only source breaks): one line, exit 2, terminal restored", async () => {
    const { descriptors, dataSize } = layOut([{ name: "reqs" }]);
    const p = join(dir, "alone.stats");
    writeFileSync(p, encodeStatsFile({ id: "kvm-4343", descriptors, data: BigUint64Array.of(5n), nameSize: 48, dataSize }));
    const t = new Tmux(100, 30, topCmd(`${p} --interval 100`));
    try {
      await t.waitFor((x) => x.includes("pid 4343"), "the frame");
      truncateSync(p, 10);
      const s = await t.waitFor((x) => /exit=\d+\n +-?echo/.test(x), "exit");
      assert.match(s, /before\nstatsfs: [\s\S]*alone\.stats: premature EOF[\s\S]*\nexit=2\n echo$/m);
      assert.doesNotMatch(s, /kvm statistics/);
    } finally {
      t.kill();
    }
  });

  it("a producer appearing and going away while shown", async () => {
    const shm = mkdtempSync(join(dir, "shm-"));
    const t = new Tmux(140, 40, topCmd(`'sim:?pid=7&guest=alpha' 'shm:?dir=${shm}' --interval 150`));
    let producer: ReturnType<typeof spawn> | undefined;
    try {
      await t.waitFor((x) => x.includes("alpha"), "the VM");
      producer = spawn(process.execPath, [PRODUCER, shm, "web"], { env: { ...process.env, STATSFS_SHM_PRODUCER: "1" }, stdio: "ignore" });
      let s = await t.waitFor(
        (x) => /^ statsfs {2}web {2}source \/web$/m.test(x) && /^ requests +\d+ +100\.0 +\d+$/m.test(x),
        "the producer",
      );
      producer.kill("SIGTERM");
      await new Promise((r) => producer?.once("close", r));
      s = await t.waitFor((x) => /^ statsfs {2}web {2}source \/web {2}— gone at \d\d:\d\d:\d\d$/m.test(x), "the producer gone");
      assert.match(s, /^ requests +\d+/m, "its last frame stays");
      assert.match(s, /alpha/);
      t.keys("q");
      await t.waitFor((x) => /exit=0/.test(x), "exit");
    } finally {
      producer?.kill("SIGKILL");
      t.kill();
    }
  });

  it("NO_COLOR: no SGR emphasis; without it the headline is bold", async () => {
    for (const noColor of [true, false]) {
      const t = new Tmux(100, 30, `${noColor ? "export NO_COLOR=1" : "unset NO_COLOR"}; ${topCmd("sim: --interval 100")}`);
      try {
        await t.waitFor((x) => x.includes("vCPUs"), "a frame");
        const raw = t.screen(true);
        const ESC = String.fromCharCode(27);
        if (noColor) assert.doesNotMatch(raw, new RegExp(`${ESC}\\[[0-9;]*m`), "no SGR at all");
        else assert.ok(raw.includes(`${ESC}[1mkvm statistics - summary`), raw);
        t.keys("q");
      } finally {
        t.kill();
      }
    }
  });
});
