/**
 * The error classes' contract (errors.ts): every exported class owns its code literal(s), each
 * code is in the table with its class and the CLI's exit code, and the CLI prints every error
 * of statsfs in one line with that exit code. The classes that lived outside errors.ts (plain
 * `Error`s, so `internal error` and exit 70 when one reached the CLI) are now StatsfsErrors:
 * one test each that the CLI prints them as one line, exit 2. The `@ts-expect-error` lines are
 * checked by the type-check: a class given another class's code must not compile.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { bufferIo, Exit } from "../../src/cli/io.js";
import { reportError } from "../../src/cli/run.js";
import * as errors from "../../src/errors.js";
import {
  DecodeError,
  DefinitionError,
  EncodeError,
  ERROR_CODES,
  type ErrorCode,
  errorFromCode,
  FuseProtocolError,
  KvmError,
  LimitError,
  NothingToShowError,
  PerfError,
  QmpCommandError,
  QmpConnectError,
  QmpListenError,
  QmpProtocolError,
  QmpRequestError,
  QmpTimeoutError,
  SourceError,
  StatsfsError,
  SystemError,
  TimeoutError,
  UsageError,
  ValueError,
} from "../../src/errors.js";
import { decodeRequest } from "../../src/fuse/protocol.js";
import { RouteUnavailable } from "../../src/providers/host/routes/route.js";
import { checkSchemas } from "../../src/providers/qmp/wire.js";
import { checkBounds, JsonBoundsError } from "../../src/qmp/client/reply.js";
import { JsonParseError } from "../../src/qmp/json/parser.js";
import { InputVisitor, QapiArgumentError } from "../../src/qmp/json/visitor.js";

const EVIL = "a\nb\x1b[31m";

/** One instance per code of every exported class (a new class without a row fails below). */
const SAMPLES: Record<string, readonly StatsfsError[]> = {
  DecodeError: [new DecodeError("header", 8, EVIL)],
  EncodeError: [new EncodeError(EVIL)],
  UsageError: [new UsageError(EVIL)],
  NothingToShowError: [new NothingToShowError(EVIL)],
  SourceError: (["STATSFS_SOURCE", "STATSFS_SOURCE_UNOPENED", "STATSFS_CLOSED", "STATSFS_EXPORT", "STATSFS_OUTPUT"] as const).map(
    (c) => new SourceError(c, EVIL),
  ),
  TimeoutError: [new TimeoutError(EVIL)],
  QmpConnectError: [new QmpConnectError(EVIL)],
  QmpProtocolError: [new QmpProtocolError(EVIL)],
  QmpListenError: [new QmpListenError(EVIL)],
  QmpTimeoutError: [new QmpTimeoutError(EVIL)],
  QmpCommandError: [new QmpCommandError("query-stats", "GenericError", EVIL)],
  QmpRequestError: [new QmpRequestError("GenericError", EVIL)],
  SystemError: (["STATSFS_FFI", "STATSFS_MMAP", "STATSFS_MEMFD", "STATSFS_PIDFD", "STATSFS_SOCKET", "STATSFS_MOUNT"] as const).map(
    (c) => new SystemError(c, EVIL),
  ),
  PerfError: [new PerfError(3, EVIL)],
  FuseProtocolError: [new FuseProtocolError(EVIL)],
  KvmError: (["KVM_UNAVAILABLE", "KVM_IOCTL", "KVM_FFI", "KVM_CLOSED", "KVM_DEMO", "KVM_GUEST"] as const).map((c) => new KvmError(c, EVIL)),
  DefinitionError: [new DefinitionError(EVIL)],
  ValueError: [new ValueError(EVIL)],
  LimitError: [new LimitError(EVIL)],
};

/** `e` as the CLI prints it: its lines on stderr and the exit code. */
function cli(e: unknown): { lines: string[]; exit: number } {
  const io = bufferIo();
  const exit = reportError(e, io);
  return { lines: io.err().split("\n").slice(0, -1), exit };
}

/** Throws what `f` throws (the test fails when it throws nothing). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail("nothing thrown");
}

describe("errors.ts: codes belong to classes", () => {
  const classes = Object.entries(errors).filter(
    ([, v]) => typeof v === "function" && (v === StatsfsError || v.prototype instanceof StatsfsError),
  ) as [string, abstract new (...a: never[]) => StatsfsError][];

  it("every exported class has its code literal(s) in the table, with the CLI's exit code and one line", () => {
    const seen = new Set<ErrorCode>();
    for (const [name, cls] of classes) {
      if (cls === StatsfsError) continue;
      const samples = SAMPLES[name];
      assert.ok(samples?.length, `${name}: no sample (add its codes to this table)`);
      for (const e of samples) {
        assert.ok(e instanceof cls, name);
        assert.equal(e.name, name);
        const row = ERROR_CODES[e.code];
        assert.ok(row, `${name}: code ${e.code} is not in ERROR_CODES`);
        const owner = (errors as Record<string, unknown>)[row.class] as abstract new (...a: never[]) => StatsfsError;
        assert.ok(e instanceof owner, `${name}: ${e.code} belongs to ${row.class}`);
        const { lines, exit } = cli(e);
        assert.equal(exit, row.exit, `${name} ${e.code}`);
        assert.equal(lines.length, 1, `${name}: ${lines.join(" | ")}`);
        assert.equal(lines[0], `statsfs: ${errors.printable(e.message)}`, "escaped");
        assert.ok(!lines[0]?.includes("\x1b"), "no raw escape");
        seen.add(e.code);
      }
    }
    assert.deepEqual([...seen].sort(), Object.keys(ERROR_CODES).sort(), "every code is thrown by a class");
  });

  it("the table says exit 2 for input errors and 3 for nothing to show; anything else is a bug (70)", () => {
    assert.equal(cli(new NothingToShowError("none")).exit, Exit.Empty);
    assert.equal(cli(new UsageError("bad")).exit, Exit.Usage);
    assert.equal(cli(new SourceError("STATSFS_SOURCE", "gone")).exit, Exit.Usage);
    assert.deepEqual(cli(new RangeError("bad index\n at f")), { lines: ["statsfs: internal error: bad index"], exit: Exit.Bug });
  });

  it("the header of errors.ts and the README's table document every code with its class and exit code", () => {
    const text = readFileSync(fileURLToPath(new URL("../../../src/errors.ts", import.meta.url)), "utf8");
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    const rows = readme.split("\n").filter((l) => /^\| (STATSFS|KVM)_/.test(l));
    for (const [code, row] of Object.entries(ERROR_CODES)) {
      assert.match(text, new RegExp(` \\* {3}${code} +${row.class} +${row.exit} +\\S`), code);
      const line = rows.find((l) => (l.split("|")[1] ?? "").split(",").some((c) => c.trim() === code));
      assert.ok(line, `README: no row for ${code}`);
      const [, , cls = "", exit = ""] = line.split("|");
      assert.ok(cls.includes(row.class), `README: ${code} is ${row.class}`);
      assert.equal(exit.trim(), String(row.exit), `README: ${code} exits ${row.exit}`);
    }
  });

  it("STATSFS_MOUNT is one class (SystemError); a worker's error comes back as its class", () => {
    const owners = new Set(
      Object.values(SAMPLES)
        .flat()
        .filter((e) => e.code === "STATSFS_MOUNT")
        .map((e) => e.name),
    );
    assert.deepEqual([...owners], ["SystemError"]);
    const back = errorFromCode("STATSFS_CLOSED", "x: closed", "STATSFS_MOUNT");
    assert.ok(back instanceof SourceError && back.code === "STATSFS_CLOSED");
    const usage = errorFromCode("STATSFS_USAGE", "bad", "STATSFS_MOUNT");
    assert.ok(usage instanceof UsageError);
    const foreign = errorFromCode("ENOENT", EVIL, "STATSFS_MOUNT");
    assert.ok(foreign instanceof SystemError && foreign.code === "STATSFS_MOUNT");
    assert.doesNotMatch(foreign.message, /\n/);
    const decode = errorFromCode("STATSFS_DECODE", "bad", "KVM_GUEST");
    assert.ok(decode instanceof KvmError && decode.code === "KVM_GUEST");
  });

  it("a class given another class's code does not compile", () => {
    // Each line is a type error today; were it not, tsc would fail on the unused directive.
    const wrong = [
      // @ts-expect-error STATSFS_MOUNT is SystemError's
      () => new SourceError("STATSFS_MOUNT", "x"),
      // @ts-expect-error STATSFS_TIMEOUT is TimeoutError's
      () => new SourceError("STATSFS_TIMEOUT", "x"),
      // @ts-expect-error STATSFS_SOURCE is SourceError's
      () => new SystemError("STATSFS_SOURCE", "x"),
      // @ts-expect-error STATSFS_PERF is PerfError's
      () => new SystemError("STATSFS_PERF", "x"),
      // @ts-expect-error KVM codes only
      () => new KvmError("STATSFS_FFI", "x"),
      // @ts-expect-error the base is abstract
      () => new StatsfsError("STATSFS_USAGE", "x"),
    ];
    assert.equal(wrong.length, 6);
  });
});

describe("classes that were plain Errors print one line, exit 2", () => {
  it("a host route that cannot open (RouteUnavailable)", () => {
    const e = new RouteUnavailable(`qmp: ${EVIL}`);
    assert.ok(e instanceof SourceError);
    assert.deepEqual(cli(e), { lines: ["statsfs: qmp: a\\x0ab\\x1b[31m"], exit: Exit.Usage });
  });

  it("a FUSE request that does not parse (FuseProtocolError)", () => {
    const e = thrown(() => decodeRequest(new Uint8Array(39)));
    assert.ok(e instanceof FuseProtocolError);
    assert.deepEqual(cli(e), { lines: ["statsfs: request of 39 bytes is shorter than its 40-byte header"], exit: Exit.Usage });
  });

  it("a malformed query-stats-schemas reply (was a plain Error from providers/qmp/wire)", () => {
    const e = thrown(() => checkSchemas([{ provider: "kvm", target: "vm", stats: "no" }]));
    assert.ok(e instanceof QmpProtocolError, String(e));
    const { lines, exit } = cli(e);
    assert.equal(exit, Exit.Usage);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /^statsfs: query-stats-schemas reply \[0\]\.stats: /);
  });

  it("a QMP reply the bounds refuse (JsonBoundsError)", () => {
    const e = thrown(() => checkBounds("[".repeat(65)));
    assert.ok(e instanceof JsonBoundsError && e instanceof QmpProtocolError);
    assert.equal(cli(e).exit, Exit.Usage);
    assert.equal(cli(e).lines.length, 1);
  });

  it("a QMP request our server refuses keeps QEMU's exact text in desc (QapiArgumentError, JsonParseError)", () => {
    const v = new InputVisitor(new Map([["bad\nkey", "x"]]));
    const e = thrown(() => v.checkStruct());
    assert.ok(e instanceof QapiArgumentError && e instanceof QmpRequestError, String(e));
    assert.equal(e.desc, "Parameter 'bad\nkey' is unexpected");
    assert.deepEqual(cli(e), { lines: ["statsfs: Parameter 'bad\\x0akey' is unexpected"], exit: Exit.Usage });
    const p = new JsonParseError("JSON parse error, stray '\x01'");
    assert.ok(p instanceof QmpRequestError && p.errorClass === "GenericError");
    assert.equal(p.desc, "JSON parse error, stray '\x01'");
    assert.deepEqual(cli(p), { lines: ["statsfs: JSON parse error, stray '\\x01'"], exit: Exit.Usage });
  });

  it("perf_event_open's failure (PerfError, now in errors.ts)", () => {
    assert.deepEqual(cli(new PerfError(1, "perf_event_open(kvm_exit, tid 1): Operation not permitted (EPERM)")), {
      lines: ["statsfs: perf_event_open(kvm_exit, tid 1): Operation not permitted (EPERM)"],
      exit: Exit.Usage,
    });
  });
});
