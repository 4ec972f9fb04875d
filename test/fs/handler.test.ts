/**
 * @module test/fs/handler
 * The filesystem's answers to FUSE requests, without a kernel: requests built as the kernel
 * writes them, answers checked as the kernel would read them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeRequest, Errno, Op } from "../../src/fuse/protocol.js";
import { layOut } from "../../src/model/descriptor.js";
import { parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import type { SyncStatsSource } from "../../src/providers/source.js";
import { SourceSet } from "../../src/views/fs/sources.js";
import { StatsFs } from "../../src/views/fs/statsfs.js";

const { descriptors, dataSize } = layOut([{ name: "exits" }]);

function file(id: string, v: bigint): StatsFile {
  return { identity: parseId(id), schema: { descriptors, dataSize, nameSize: 48 }, data: BigUint64Array.of(v) };
}

let unique = 0n;
function req(opcode: number, nodeid: bigint, body: Uint8Array = new Uint8Array(0)) {
  const b = Buffer.alloc(40 + body.byteLength);
  b.writeUInt32LE(b.byteLength, 0);
  b.writeUInt32LE(opcode, 4);
  b.writeBigUInt64LE(++unique, 8);
  b.writeBigUInt64LE(nodeid, 16);
  b.set(body, 40);
  return decodeRequest(b);
}
const name = (s: string) => Buffer.from(`${s}\0`);
function readIn(fh: bigint, offset: number, size: number): Buffer {
  const b = Buffer.alloc(40);
  b.writeBigUInt64LE(fh, 0);
  b.writeBigUInt64LE(BigInt(offset), 8);
  b.writeUInt32LE(size, 16);
  return b;
}
function openIn(flags: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(flags, 0);
  return b;
}

describe("statsfs request handling", () => {
  const files = [file("kvm-9", 1n), file("kvm-9/vcpu-0", 10n)];
  const source: SyncStatsSource = {
    uri: "test:",
    files,
    capabilities: { pollSync: true, raw: false, reset: false },
    poll: async () => {},
    pollSync: () => {},
    close: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
  const fs = new StatsFs(new SourceSet([source], 0, 0));
  const call = (r: ReturnType<typeof req>) => {
    const out = fs.handle(r);
    assert.ok(!(out instanceof Promise), "synchronous sources answer at once");
    return out;
  };
  const lookup = (parent: bigint, n: string): bigint => {
    const e = call(req(Op.LOOKUP, parent, name(n)));
    assert.ok(e instanceof Uint8Array, `lookup ${n}`);
    return Buffer.from(e).readBigUInt64LE(0);
  };

  it("looks names up, and refuses what a stats tree cannot do", () => {
    const kvm = lookup(1n, "kvm");
    const vm = lookup(kvm, "9");
    assert.equal(lookup(kvm, "9"), vm, "the same path keeps its node id");
    assert.equal(call(req(Op.LOOKUP, vm, name("nope"))), Errno.ENOENT);
    const exits = lookup(lookup(vm, "vcpu-0"), "exits");
    assert.equal(call(req(Op.LOOKUP, exits, name("x"))), Errno.ENOTDIR);
    assert.equal(call(req(Op.MKDIR, vm, Buffer.concat([Buffer.alloc(8), name("d")]))), Errno.EPERM);
    assert.equal(call(req(Op.UNLINK, vm, name("exits"))), Errno.EPERM);
    assert.equal(call(req(Op.RENAME, vm, Buffer.concat([Buffer.alloc(8), name("a"), name("b")]))), Errno.EPERM);
    assert.equal(call(req(Op.CREATE, vm, Buffer.concat([Buffer.alloc(16), name("f")]))), Errno.EACCES);
    assert.equal(call(req(39, vm)), Errno.ENOSYS); // IOCTL
    assert.equal(call(req(Op.GETATTR, 999n, Buffer.alloc(16))), Errno.ENOENT);
    const chmod = Buffer.alloc(88);
    chmod.writeUInt32LE(1, 0); // FATTR_MODE
    assert.equal(call(req(Op.SETATTR, exits, chmod)), Errno.EPERM);
  });

  it("opens, reads at any offset, and releases", () => {
    const exits = lookup(lookup(lookup(lookup(1n, "kvm"), "9"), "vcpu-0"), "exits");
    assert.equal(call(req(Op.OPEN, exits, openIn(1))), Errno.EACCES, "O_WRONLY on a read-only value");
    const o = call(req(Op.OPEN, exits, openIn(0)));
    assert.ok(o instanceof Uint8Array);
    const fh = Buffer.from(o).readBigUInt64LE(0);
    assert.equal(Buffer.from(o).readUInt32LE(8) & 1, 1, "direct I/O");
    const read = (off: number, size: number) => Buffer.from(call(req(Op.READ, exits, readIn(fh, off, size))) as Uint8Array).toString();
    assert.equal(read(0, 4096), "10\n");
    assert.equal(read(1, 1), "0");
    assert.equal(read(3, 10), "");
    assert.equal(read(2 ** 40, 10), "");
    // The aggregate in the provider directory: the VM's 1 and the vCPU's 10.
    const agg = lookup(lookup(1n, "kvm"), "exits");
    const ao = Buffer.from(call(req(Op.OPEN, agg, openIn(0))) as Uint8Array).readBigUInt64LE(0);
    assert.equal(Buffer.from(call(req(Op.READ, agg, readIn(ao, 0, 64))) as Uint8Array).toString(), "11\n");
    assert.deepEqual(call(req(Op.RELEASE, exits, readIn(fh, 0, 0))), new Uint8Array(0));
    assert.equal(call(req(Op.READ, exits, readIn(fh, 0, 64))), Errno.EBADF);
  });

  it("an open file whose stats file left reads ENODEV; a new array with the same files changes nothing", () => {
    const exits = lookup(lookup(lookup(lookup(1n, "kvm"), "9"), "vcpu-0"), "exits");
    const fh = Buffer.from(call(req(Op.OPEN, exits, openIn(0))) as Uint8Array).readBigUInt64LE(0);
    const s = source as unknown as { files: readonly StatsFile[] };
    s.files = [...files];
    assert.equal(Buffer.from(call(req(Op.READ, exits, readIn(fh, 0, 64))) as Uint8Array).toString(), "10\n");
    s.files = [files[0] as StatsFile];
    assert.equal(call(req(Op.READ, exits, readIn(fh, 0, 64))), Errno.ENODEV);
    assert.equal(call(req(Op.GETATTR, exits, Buffer.alloc(16))), Errno.ENOENT);
  });
});
