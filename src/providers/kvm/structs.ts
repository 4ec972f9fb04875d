/**
 * @module providers/kvm/structs
 * Byte layouts (x86-64, little-endian) of the KVM structs this layer reads or writes, as offsets
 * into a Buffer: kvm_userspace_memory_region, kvm_regs, kvm_sregs (with kvm_segment) and the
 * head of the mmap'd kvm_run. Offsets were checked against the C headers on this machine.
 */

import { SIZEOF_KVM_USERSPACE_MEMORY_REGION } from "./ioctl.js";

/** Encodes a struct kvm_userspace_memory_region. */
export function encodeMemoryRegion(region: {
  slot: number;
  flags?: number;
  guestPhysAddr: bigint;
  memorySize: bigint;
  userspaceAddr: bigint;
}): Buffer {
  const b = Buffer.alloc(SIZEOF_KVM_USERSPACE_MEMORY_REGION);
  b.writeUInt32LE(region.slot, 0);
  b.writeUInt32LE(region.flags ?? 0, 4);
  b.writeBigUInt64LE(region.guestPhysAddr, 8);
  b.writeBigUInt64LE(region.memorySize, 16);
  b.writeBigUInt64LE(region.userspaceAddr, 24);
  return b;
}

/** Offsets of u64 fields in struct kvm_regs. */
export const KvmRegs = {
  rax: 0x00,
  rbx: 0x08,
  rcx: 0x10,
  rdx: 0x18,
  rsi: 0x20,
  rdi: 0x28,
  rsp: 0x30,
  rbp: 0x38,
  rip: 0x80,
  rflags: 0x88,
} as const;

/** Offsets of the kvm_segment fields of struct kvm_sregs (each segment is 24 bytes). */
export const KvmSregs = {
  cs: 0x00,
  ds: 0x18,
  es: 0x30,
  fs: 0x48,
  gs: 0x60,
  ss: 0x78,
  tr: 0x90,
  ldt: 0xa8,
  gdt: 0xc0,
  idt: 0xd0,
  cr0: 0xe0,
  cr2: 0xe8,
  cr3: 0xf0,
  cr4: 0xf8,
  cr8: 0x100,
  efer: 0x108,
  apicBase: 0x110,
} as const;

/** Offsets inside a struct kvm_segment. */
export const KvmSegment = {
  base: 0, // u64
  limit: 8, // u32
  selector: 12, // u16
  type: 14, // u8
  present: 15, // u8
} as const;

/** Sets a real-mode style segment: selector and hidden base (the limit and type are kept). */
export function setSegment(sregs: Buffer, segOffset: number, selector: number, base: bigint): void {
  sregs.writeUInt16LE(selector, segOffset + KvmSegment.selector);
  sregs.writeBigUInt64LE(base, segOffset + KvmSegment.base);
}

/** Offsets in the head of struct kvm_run (the vCPU's mmap'd area). */
export const KvmRun = {
  /** u8: when set, KVM_RUN returns EINTR at once. */
  immediateExit: 0x01,
  /** u32: KVM_EXIT_*. */
  exitReason: 0x08,
  /** Exit payload union (io, mmio, fail_entry, internal, …). */
  payload: 0x20,
  /** io.direction u8. */
  ioDirection: 0x20,
  /** io.size u8. */
  ioSize: 0x21,
  /** io.port u16. */
  ioPort: 0x22,
  /** io.count u32. */
  ioCount: 0x24,
  /** io.data_offset u64, from the start of kvm_run. */
  ioDataOffset: 0x28,
} as const;
