/**
 * model/read-option: the shared readers of durations and flags (argv, `?key=` and the
 * dashboard's config alike), and the openers and commands that use them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durationOption, intOption } from "../../src/cli/command.js";
import { bufferIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";
import { durationHint, readDuration, readFlag } from "../../src/model/read-option.js";
import { hostOptions } from "../../src/providers/host/index.js";

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER };

describe("readDuration", () => {
  it("takes a number in the option's unit or with ms/s, as whole milliseconds within the range", () => {
    const cases: [string, "ms" | "s", { min: number; max: number }, number | undefined][] = [
      ["500", "ms", ANY, 500],
      ["500ms", "ms", ANY, 500],
      ["2s", "ms", ANY, 2000],
      ["1.5s", "ms", ANY, 1500],
      ["0.5", "s", ANY, 500],
      [".25", "s", ANY, 250],
      ["0.1", "s", ANY, 100],
      ["0.001s", "ms", ANY, 1],
      ["0.0015s", "ms", ANY, undefined], // a fraction of a millisecond
      ["1.5", "ms", ANY, undefined],
      ["1.0", "ms", ANY, 1],
      ["2", "s", ANY, 2000],
      ["2ms", "s", ANY, 2],
      ["0", "ms", { min: 1, max: 10 }, undefined],
      ["11", "ms", { min: 1, max: 10 }, undefined],
      ["10", "ms", { min: 1, max: 10 }, 10],
      ["-1", "ms", ANY, undefined],
      ["+1", "ms", ANY, undefined],
      [" 1", "ms", ANY, undefined],
      ["1e3", "ms", ANY, undefined],
      ["1 s", "ms", ANY, undefined],
      ["1m", "ms", ANY, undefined],
      ["s", "ms", ANY, undefined],
      ["", "ms", ANY, undefined],
      [".", "ms", ANY, undefined],
      ["99999999999999999999", "ms", ANY, undefined],
      ["9007199254740991", "ms", ANY, Number.MAX_SAFE_INTEGER],
      ["9007199254740.991s", "ms", ANY, Number.MAX_SAFE_INTEGER],
      ["9007199254741s", "ms", ANY, undefined],
    ];
    for (const [text, unit, range, want] of cases) assert.equal(readDuration(text, unit, range), want, `${text} (${unit})`);
  });

  it("says what it takes", () => {
    assert.equal(durationHint("ms", { min: 1, max: 5000 }), "a number of milliseconds from 1 to 5000, or a duration such as 2s");
    assert.equal(durationHint("s", { min: 0, max: 300_000 }), "a number of seconds from 0 to 300, or a duration such as 500ms");
  });
});

describe("readFlag", () => {
  it("1/true and 0/false, nothing else", () => {
    const cases: [string, boolean | undefined][] = [
      ["1", true],
      ["true", true],
      ["0", false],
      ["false", false],
      ["", undefined],
      ["yes", undefined],
      ["TRUE", undefined],
      ["01", undefined],
      ["2", undefined],
    ];
    for (const [text, want] of cases) assert.equal(readFlag(text), want, text);
  });
});

describe("openers and commands read durations and flags alike", () => {
  it("host: ?timeout=2s and ?greeting=250ms; ?keep=true, ?self=false", () => {
    const o = hostOptions("host:?timeout=2s", "", new URLSearchParams("timeout=2s&greeting=250ms&keep=true&self=false"));
    assert.equal(o.timeoutMs, 2000);
    assert.equal(o.greetingMs, 250);
    assert.equal(o.keep, true);
    assert.equal(o.excludeSelf, true);
    const d = hostOptions("host:", "", new URLSearchParams(""));
    assert.deepEqual([d.timeoutMs, d.greetingMs, d.keep, d.excludeSelf], [2000, 500, false, false]);
    assert.throws(() => hostOptions("host:", "", new URLSearchParams("keep=yes")), /keep must be 0 or 1 \(or false, true\)/);
    assert.throws(() => hostOptions("host:", "", new URLSearchParams("timeout=2m")), /timeout must be a number of milliseconds from 1 to/);
  });

  it("top --interval 10ms and sim:?poll=true run; --interval 1.5 is refused in one line", async () => {
    const io = bufferIo();
    assert.equal(await runCli(["top", "sim:?poll=true", "--count", "1", "--interval", "10ms"], io), 0, io.err());
    const bad = bufferIo();
    assert.equal(await runCli(["top", "sim:", "--count", "1", "--interval", "1.5"], bad), 2);
    assert.equal(
      bad.err(),
      'statsfs: top: --interval must be a number of milliseconds from 1 to 3600000, or a duration such as 2s, got "1.5"\n',
    );
  });

  it("log --interval 0.01s and mount's --max-age take the same durations", async () => {
    const io = bufferIo();
    assert.equal(await runCli(["log", "sim:", "--count", "1", "--interval", "0.01s"], io), 0, io.err());
    const bad = bufferIo();
    assert.equal(await runCli(["mount", "/nonexistent-dir", "sim:", "--max-age", "2h"], bad), 2);
    assert.match(
      bad.err(),
      /^statsfs: mount: --max-age must be a number of milliseconds from 0 to 3600000, or a duration such as 2s, got "2h"\n$/,
    );
  });
});

describe("cli/command: the option readers every command uses", () => {
  const args = (values: Record<string, string>) => ({ values, positionals: [] });

  it("intOption and durationOption: absent is undefined, good is the value, bad is one usage line naming command and option", () => {
    assert.equal(intOption(args({}), "top", "count", 1, 10), undefined);
    assert.equal(intOption(args({ count: "7" }), "top", "count", 1, 10), 7);
    assert.throws(() => intOption(args({ count: "11" }), "top", "count", 1, 10), {
      name: "UsageError",
      message: 'top: --count must be an integer from 1 to 10, got "11"',
    });
    assert.throws(() => intOption(args({ "max-message": "1\n2" }), "serve", "max-message", 1024, 2048), {
      message: 'serve: --max-message must be an integer from 1024 to 2048, got "1\\x0a2"',
    });
    assert.equal(durationOption(args({}), "log", "interval", "ms", { min: 1, max: 10_000 }), undefined);
    assert.equal(durationOption(args({ interval: "2s" }), "log", "interval", "ms", { min: 1, max: 10_000 }), 2000);
    assert.throws(() => durationOption(args({ interval: "20s" }), "log", "interval", "ms", { min: 1, max: 10_000 }), {
      message: 'log: --interval must be a number of milliseconds from 1 to 10000, or a duration such as 2s, got "20s"',
    });
  });

  it("serve --max-message and log --count refuse in the same words", async () => {
    const io = bufferIo();
    assert.equal(await runCli(["log", "sim:", "--count", "0"], io), 2);
    assert.equal(io.err(), 'statsfs: log: --count must be an integer from 1 to 999999999999999, got "0"\n');
    const s = bufferIo();
    assert.equal(await runCli(["serve", "--qmp", "unix:/nonexistent/x.sock", "--max-message", "10", "sim:"], s), 2);
    assert.equal(s.err(), 'statsfs: serve: --max-message must be an integer from 1024 to 1073741824, got "10"\n');
  });
});
