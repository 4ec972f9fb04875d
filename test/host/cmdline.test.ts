/**
 * @module test/host/cmdline
 * The QEMU command-line reader, by table: every -name spelling (plain, guest=, the `,,`
 * escape, later keys), -uuid, both monitor spellings (-qmp/-qmp-pretty and -chardev + -mon),
 * libvirt's fd= monitor, HMP and client-mode monitors, `--opt=value`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseQemuCommandLine, parseQemuOpts } from "../../src/providers/host/cmdline.js";
import { globToRegExp } from "../../src/providers/host/index.js";

const q = (s: string) => parseQemuCommandLine(["qemu-system-x86_64", ...s.split(" ")]);

test("QemuOpts: implied key, ,, escape, flags", () => {
  assert.deepEqual(parseQemuOpts("foo,,bar,process=p", "guest"), [
    ["guest", "foo,bar"],
    ["process", "p"],
  ]);
  assert.deepEqual(parseQemuOpts("/tmp/a,,b.sock,server,nowait", "path"), [
    ["path", "/tmp/a,b.sock"],
    ["server", "on"],
    ["wait", "off"],
  ]);
  assert.deepEqual(parseQemuOpts("a=1,,2", "x"), [["a", "1,2"]]);
});

const NAMES: [string, string | undefined][] = [
  ["-name web1", "web1"],
  ["-name guest=web2", "web2"],
  ["-name guest=web3,debug-threads=on", "web3"],
  ["-name web,,4,process=qemu-web4", "web,4"],
  ["-name guest=a,,b,,c", "a,b,c"],
  ["-name process=p,guest=late", "late"],
  ["--name dashed", "dashed"],
  ["--name=eq", "eq"],
  ["-name first -name second", "second"],
  ["-m 64", undefined],
];

for (const [line, want] of NAMES) {
  test(`guest name: ${line}`, () => {
    assert.equal(q(line).guest, want);
  });
}

test("uuid and -S", () => {
  const c = q("-uuid 6b29fc40-ca47-1067-b31d-00dd010662da -S -smp 2");
  assert.equal(c.uuid, "6b29fc40-ca47-1067-b31d-00dd010662da");
  assert.equal(c.stopped, true);
  assert.equal(q("-smp 2").stopped, false);
});

test("monitors: -qmp and -qmp-pretty, with and without server", () => {
  const c = q("-qmp unix:/run/a.sock,server=on,wait=off -qmp-pretty unix:/run/b,,c.sock,server,nowait -qmp unix:/run/client.sock");
  assert.deepEqual(
    c.monitors.map((m) => [m.protocol, m.endpoint, m.server, m.via]),
    [
      ["qmp", { kind: "unix", path: "/run/a.sock" }, true, "-qmp"],
      ["qmp", { kind: "unix", path: "/run/b,c.sock" }, true, "-qmp-pretty"],
      ["qmp", { kind: "unix", path: "/run/client.sock" }, false, "-qmp"],
    ],
  );
});

test("monitors: -chardev socket + -mon (control is QMP, default readline is HMP)", () => {
  const c = q(
    "-chardev socket,id=mon0,path=/run/m0.sock,server=on,wait=off -mon chardev=mon0,mode=control -chardev socket,id=h,path=/run/h.sock,server=on -mon h",
  );
  assert.deepEqual(
    c.monitors.map((m) => [m.protocol, m.endpoint, m.server, m.via]),
    [
      ["qmp", { kind: "unix", path: "/run/m0.sock" }, true, "-chardev mon0"],
      ["hmp", { kind: "unix", path: "/run/h.sock" }, true, "-chardev h"],
    ],
  );
});

test("monitors: libvirt's fd= and path= spellings, TCP, -monitor, a -mon on a non-socket chardev", () => {
  const c = q(
    "-chardev socket,id=charmonitor,fd=27,server=on,wait=off -mon chardev=charmonitor,id=monitor,mode=control -qmp tcp:127.0.0.1:4444,server -monitor stdio -chardev pty,id=p -mon chardev=p,mode=control",
  );
  assert.deepEqual(
    c.monitors.map((m) => [m.protocol, m.endpoint.kind]),
    [
      ["qmp", "fd"],
      ["qmp", "other"],
      ["qmp", "tcp"],
      ["hmp", "other"],
    ],
  );
  assert.deepEqual(c.monitors[0]?.endpoint, { kind: "fd", fd: 27 });
  assert.deepEqual(c.monitors[2]?.endpoint, { kind: "tcp", host: "127.0.0.1", port: 4444 });
  const lv = q(
    "-chardev socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-3-web/monitor.sock,server=on,wait=off -mon chardev=charmonitor,id=monitor,mode=control",
  );
  assert.deepEqual(lv.monitors[0]?.endpoint, { kind: "unix", path: "/var/lib/libvirt/qemu/domain-3-web/monitor.sock" });
});

test("a trailing option without value and non-option words do not confuse the reader", () => {
  assert.deepEqual(q("-name").monitors, []);
  assert.equal(q("disk.img -name x").guest, "x");
});

test("guest globs", () => {
  assert.ok(globToRegExp("web*").test("web-1"));
  assert.ok(!globToRegExp("web*").test("db"));
  assert.ok(globToRegExp("db?").test("db1"));
  assert.ok(globToRegExp("[ab]x").test("bx"));
  assert.ok(globToRegExp("a.b").test("a.b") && !globToRegExp("a.b").test("axb"));
});
