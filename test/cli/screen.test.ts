/**
 * What counts as a duplicated row on a `top` screen (test/cli/screen): the same row in two
 * VMs' groups is fine (the resize test once failed under load on two simulated VMs that both
 * showed `pages_4k 4`); a row name twice in one group, or a group title twice, is not.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { duplicateRows, groups } from "./screen.js";

const HEADER = "kvm statistics - summary\n\n Event                                         Total %Total CurAvg/s";
const vm = (pid: number, rows: string[]) => [` kvm  vm  pid ${pid}`, ...rows, " Total                                        4"].join("\n");
const ROW = " pages_4k                                      4";

describe("duplicate rows of a top screen", () => {
  it("splits a screen into groups at blank lines", () => {
    assert.deepEqual(
      groups(`${HEADER}\n\n${vm(0, [ROW])}`).map((g) => g.length),
      [1, 1, 3],
    );
  });

  it("the same row in two VMs' groups is not a duplicate", () => {
    assert.deepEqual(duplicateRows(`${HEADER}\n\n${vm(0, [ROW])}\n\n${vm(5, [ROW])}\n`), []);
  });

  it("a row name twice in one group is (a stale row left by a resize)", () => {
    const stale = `${HEADER}\n\n${vm(0, [ROW, " exits  1", " pages_4k                                      3"])}`;
    assert.equal(duplicateRows(stale).length, 1);
    assert.match(duplicateRows(stale)[0] as string, /row twice in group "kvm {2}vm {2}pid 0": pages_4k/);
  });

  it("a group title twice on one screen is", () => {
    assert.match(duplicateRows(`${HEADER}\n\n${vm(0, [ROW])}\n\n${vm(0, [])}`).join(), /group title twice: kvm {2}vm {2}pid 0/);
  });
});
