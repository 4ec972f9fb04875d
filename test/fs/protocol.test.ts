/**
 * @module test/fs/protocol
 * The FUSE protocol module without a kernel: requests decoded from golden bytes (as the
 * kernel writes them to /dev/fuse, little-endian), replies encoded to golden bytes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FuseProtocolError } from "../../src/errors.js";
import {
  decodeBatchForget,
  decodeInit,
  decodeName,
  decodeRead,
  decodeRequest,
  decodeSetattr,
  decodeWrite,
  direntSize,
  Errno,
  encodeAttrOut,
  encodeDirents,
  encodeDirentsPlus,
  encodeEntry,
  encodeError,
  encodeInitOut,
  encodeOpenOut,
  encodeReply,
  encodeStatfs,
  Fattr,
  Op,
} from "../../src/fuse/protocol.js";
import { hex } from "../helpers.js";

const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A request header: len, opcode, unique 0x1122, nodeid 1, uid 0, gid 0, pid 0x4d2, extlen 0. */
function header(len: number, opcode: number): string {
  const h = Buffer.alloc(40);
  h.writeUInt32LE(len, 0);
  h.writeUInt32LE(opcode, 4);
  h.writeBigUInt64LE(0x1122n, 8);
  h.writeBigUInt64LE(1n, 16);
  h.writeUInt32LE(1234, 32);
  return h.toString("hex");
}

describe("FUSE requests", () => {
  it("decodes a LOOKUP header and its name", () => {
    const bytes = hex(`
      2e000000 01000000  2211000000000000  0100000000000000   # len 46, LOOKUP, unique, nodeid 1
      00000000 00000000 d2040000 0000 0000                    # uid, gid, pid 1234, extlen, pad
      6b766d0000 00                                           # "kvm\\0" (+ junk after the NUL)
    `);
    const r = decodeRequest(bytes);
    assert.deepEqual(r.header, { len: 46, opcode: Op.LOOKUP, unique: 0x1122n, nodeid: 1n, uid: 0, gid: 0, pid: 1234 });
    assert.equal(decodeName(r.body), "kvm");
  });

  it("refuses short requests and lengths that disagree with the bytes read", () => {
    assert.throws(() => decodeRequest(new Uint8Array(39)), FuseProtocolError);
    assert.throws(() => decodeRequest(hex(header(100, Op.GETATTR))), /says 100 bytes, 40 were read/);
    assert.throws(() => decodeRequest(hex(header(12, Op.GETATTR))), FuseProtocolError);
  });

  it("leaves extensions (total_extlen) out of the body", () => {
    const h = Buffer.from(header(56, Op.LOOKUP), "hex");
    h.writeUInt16LE(1, 36); // 8 bytes of extension
    const r = decodeRequest(Buffer.concat([h, Buffer.from("abc\0\0\0\0\0"), Buffer.alloc(8, 0xff)]));
    assert.equal(r.body.byteLength, 8);
    assert.equal(decodeName(r.body), "abc");
  });

  it("decodes INIT (kernel 7.45 with its flags)", () => {
    const body = hex("07000000 2d000000 00000200 fbffff73 00000000" + "00".repeat(44));
    assert.deepEqual(decodeInit(body), { major: 7, minor: 45, maxReadahead: 0x20000, flags: 0x73fffffb });
    assert.throws(() => decodeInit(new Uint8Array(8)), /INIT needs 16 bytes/);
  });

  it("decodes READ, WRITE (with its data), SETATTR and BATCH_FORGET", () => {
    const read = hex("0700000000000000 0010000000000000 00000200 00000000 0000000000000000 00000000 00000000");
    assert.deepEqual(decodeRead(read), { fh: 7n, offset: 4096n, size: 0x20000 });
    const write = hex("0300000000000000 0000000000000000 02000000 00000000 0000000000000000 00000000 00000000 300a");
    const w = decodeWrite(write);
    assert.equal(w.fh, 3n);
    assert.equal(Buffer.from(w.data).toString(), "0\n");
    assert.throws(() => decodeWrite(write.subarray(0, 41)), /WRITE of 2 bytes carries 1/);
    const set = new Uint8Array(88);
    const v = new DataView(set.buffer);
    v.setUint32(0, Fattr.MODE | Fattr.SIZE, true);
    v.setBigUint64(16, 0n, true);
    v.setUint32(68, 0o100777, true);
    assert.deepEqual(decodeSetattr(set), { valid: Fattr.MODE | Fattr.SIZE, fh: 0n, size: 0n, mode: 0o100777, uid: 0, gid: 0 });
    const forget = hex("02000000 00000000  0500000000000000 0100000000000000  0600000000000000 0300000000000000");
    assert.deepEqual(decodeBatchForget(forget), [
      { nodeid: 5n, nlookup: 1n },
      { nodeid: 6n, nlookup: 3n },
    ]);
    // A count larger than the entries present reads only what is there.
    forget[0] = 9;
    assert.equal(decodeBatchForget(forget).length, 2);
  });
});

describe("FUSE replies", () => {
  it("error and empty replies are the 16-byte header", () => {
    assert.equal(toHex(encodeError(0x1122n, Errno.ENOENT)), "10000000" + "feffffff" + "2211000000000000");
    assert.equal(toHex(encodeReply(5n)), "10000000" + "00000000" + "0500000000000000");
    assert.equal(
      toHex(encodeReply(5n, encodeOpenOut(9n, 0x21))),
      "20000000000000000500000000000000" + "0900000000000000" + "21000000" + "00000000",
    );
  });

  const attr = { ino: 2n, size: 3, mode: 0o100444, nlink: 1, uid: 0, gid: 0, mtimeMs: 1_000_500 };
  const attrHex =
    "0200000000000000" + // ino
    "0300000000000000" + // size
    "0100000000000000" + // blocks (512-byte units, rounded up)
    "e803000000000000".repeat(3) + // atime, mtime, ctime = 1000 s
    "0065cd1d".repeat(3) + // nsec = 500 ms
    "24810000" + // mode 0100444
    "01000000" + // nlink
    "00000000" + // uid
    "00000000" + // gid
    "00000000" + // rdev
    "00100000" + // blksize 4096
    "00000000"; // flags

  it("entry_out (LOOKUP) is 128 bytes: ids, timeouts, attr", () => {
    const e = encodeEntry(2n, 0n, 1, 0.25, attr);
    assert.equal(e.byteLength, 128);
    assert.equal(
      toHex(e),
      "0200000000000000" + "0000000000000000" + "0100000000000000" + "0000000000000000" + "00000000" + "80b2e60e" + attrHex,
    );
  });

  it("attr_out (GETATTR) is 104 bytes", () => {
    const a = encodeAttrOut(1, attr);
    assert.equal(a.byteLength, 104);
    assert.equal(toHex(a), "0100000000000000" + "00000000" + "00000000" + attrHex);
  });

  it("init_out answers 7.36 with our limits", () => {
    const o = encodeInitOut({
      minor: 36,
      maxReadahead: 0,
      flags: 0x40_0029,
      maxBackground: 64,
      congestionThreshold: 48,
      maxWrite: 65536,
      maxPages: 16,
    });
    assert.equal(o.byteLength, 64);
    assert.equal(
      toHex(o.subarray(0, 32)),
      "07000000" + "24000000" + "00000000" + "29004000" + "4000" + "3000" + "00000100" + "01000000" + "1000" + "0000",
    );
    assert.ok(o.subarray(32).every((b) => b === 0));
  });

  it("statfs_out carries the file count and name length", () => {
    const s = encodeStatfs(12, 255);
    assert.equal(s.byteLength, 80);
    assert.equal(toHex(s.subarray(24, 52)), "0c00000000000000" + "0000000000000000" + "00100000" + "ff000000" + "00100000");
  });

  it("dirents are padded to 8 bytes and a reply never holds a partial one", () => {
    const entries = [
      { ino: 1n, off: 1, type: 4, name: "." },
      { ino: 7n, off: 2, type: 8, name: "exits" },
    ];
    assert.equal(direntSize(1), 32);
    assert.equal(direntSize(8), 32);
    assert.equal(direntSize(9), 40);
    const all = encodeDirents(entries, 4096);
    assert.equal(
      toHex(all),
      "0100000000000000" +
        "0100000000000000" +
        "01000000" +
        "04000000" +
        "2e00000000000000" +
        "0700000000000000" +
        "0200000000000000" +
        "05000000" +
        "08000000" +
        "6578697473000000",
    );
    assert.equal(encodeDirents(entries, 63).byteLength, 32);
    assert.equal(encodeDirents(entries, 31).byteLength, 0);
  });

  it("direntplus records carry the entry_out before each dirent", () => {
    const entry = encodeEntry(7n, 0n, 1, 1, { ino: 7n, size: 2, mode: 0o100444, nlink: 1, uid: 0, gid: 0, mtimeMs: 0 });
    const e = [
      { ino: 7n, off: 3, type: 8, name: "exits", entry },
      { ino: 8n, off: 4, type: 8, name: "halt_exits", entry },
    ];
    const one = encodeDirentsPlus(e, 128 + 32 + 10);
    assert.equal(one.count, 1);
    assert.equal(one.bytes.byteLength, 160);
    assert.deepEqual(one.bytes.subarray(0, 128), entry);
    assert.equal(toHex(one.bytes.subarray(128)), "0700000000000000" + "0300000000000000" + "05000000" + "08000000" + "6578697473000000");
    const both = encodeDirentsPlus(e, 4096);
    assert.equal(both.count, 2);
    assert.equal(both.bytes.byteLength, 160 + 128 + 40);
  });
});
