/**
 * @module providers/kvm/guest
 * The demo guest: 99 bytes of 16-bit real-mode x86 code that keeps a vCPU busy in a way that
 * moves the interesting KVM stats:
 *
 * - `out 0xe9, al` once per loop: no in-kernel device sits on port 0xE9, so every OUT is a
 *   KVM_EXIT_IO to userspace (`exits`, `io_exits`);
 * - `sti; hlt` once per loop, woken by a one-shot local APIC timer (vector 0x40) whose count is
 *   drawn from an LCG between 20 µs and ~1.07 ms (KVM's APIC bus is 1 GHz and the divider is 1,
 *   so a count is in ns). With halt_poll_ns = 200 µs some halts end while KVM polls and others
 *   block, so `halt_*` counters and the log2 histograms halt_poll_success_hist,
 *   halt_poll_fail_hist and halt_wait_hist get real samples. (HLT only takes the in-kernel halt
 *   path with an in-kernel irqchip.)
 *
 * The local APIC is reached through ES, whose hidden base is set to 0xFEE00000 with
 * KVM_SET_SREGS (real mode ignores it until ES is reloaded, which the code never does). The
 * timer's interrupt handler writes EOI and IRETs; its IVT entry (0x40 × 4 = 0x100) is written by
 * the guest itself.
 *
 * Assembled once with GNU as (`as --32`, `.code16`) and disassembled with objdump; the source is
 * the listing beside the bytes. Load address is {@link GUEST_CODE_ADDR} (CS base 0, IP 0x1000).
 */

import { KvmError } from "../../errors.js";
import { KvmMpState } from "./ioctl.js";
import type { KvmVcpu } from "./kvm.js";
import { KvmRegs, KvmSregs, setSegment } from "./structs.js";

/** Guest physical address where the code is loaded and where every vCPU starts. */
export const GUEST_CODE_ADDR = 0x1000;
/** Bytes of guest RAM mapped at guest physical address 0 (holds the IVT, code and stacks). */
export const GUEST_MEM_SIZE = 0x10000;
/** The port the guest writes to (one KVM_EXIT_IO per loop). */
export const GUEST_IO_PORT = 0xe9;
/** The local APIC's MMIO base, used as the hidden base of ES. */
export const APIC_BASE_GPA = 0xfee0_0000n;
/** Top of vCPU 0's stack; vCPU n's is {@link GUEST_STACK_STRIDE} × n lower. */
export const GUEST_STACK_TOP = 0xf000;
/** Bytes of stack per vCPU (an interrupt frame takes 6). 1664 stacks fit above the code. */
export const GUEST_STACK_STRIDE = 0x20;
/** Highest vCPU id whose stack fits in guest RAM above the code. */
export const GUEST_MAX_VCPU_ID = Math.floor((GUEST_STACK_TOP - 0x2000) / GUEST_STACK_STRIDE);

/** The guest code, loaded at {@link GUEST_CODE_ADDR}. Offsets are from the load address. */
// biome-ignore format: one instruction per line, with its listing beside it
export const GUEST_CODE: Uint8Array = Uint8Array.from([
  // _start:
  0xfa,                                     // 00: cli
  0x31, 0xc0,                               // 01: xor  ax, ax
  0x8e, 0xd8,                               // 03: mov  ds, ax
  0x8e, 0xd0,                               // 05: mov  ss, ax                ; sp comes from KVM_SET_REGS
  0xc7, 0x06, 0x00, 0x01, 0x58, 0x10,       // 07: mov  word [0x100], 0x1058  ; IVT[0x40].offset = handler
  0xc7, 0x06, 0x02, 0x01, 0x00, 0x00,       // 0d: mov  word [0x102], 0x0000  ; IVT[0x40].segment = 0
  0x26, 0x66, 0xc7, 0x06, 0xf0, 0x00,       // 13: mov  dword [es:0xf0], 0x1ff ; SVR: APIC on, spurious 0xff
  0xff, 0x01, 0x00, 0x00,
  0x26, 0x66, 0xc7, 0x06, 0xe0, 0x03,       // 1d: mov  dword [es:0x3e0], 0xb ; timer divide by 1
  0x0b, 0x00, 0x00, 0x00,
  0x26, 0x66, 0xc7, 0x06, 0x20, 0x03,       // 27: mov  dword [es:0x320], 0x40 ; LVT timer: one-shot, vector 0x40
  0x40, 0x00, 0x00, 0x00,
  // loop:
  0x66, 0x69, 0xdb, 0x6d, 0x4e, 0xc6, 0x41, // 31: imul ebx, ebx, 1103515245 ; LCG, seed in ebx
  0x66, 0x81, 0xc3, 0x39, 0x30, 0x00, 0x00, // 38: add  ebx, 12345
  0x66, 0x89, 0xd8,                         // 3f: mov  eax, ebx
  0x66, 0xc1, 0xe8, 0x0c,                   // 42: shr  eax, 12               ; 0 … 2^20 − 1
  0x66, 0x05, 0x20, 0x4e, 0x00, 0x00,       // 46: add  eax, 20000            ; 20 µs … ~1.07 ms
  0x26, 0x66, 0xa3, 0x80, 0x03,             // 4c: mov  [es:0x380], eax       ; timer initial count: start
  0xe6, 0xe9,                               // 51: out  0xe9, al              ; KVM_EXIT_IO to userspace
  0xfb,                                     // 53: sti
  0xf4,                                     // 54: hlt                        ; until the timer fires
  0xfa,                                     // 55: cli
  0xeb, 0xd9,                               // 56: jmp  loop
  // handler:                               ;    (at 0x1058)
  0x26, 0x66, 0xc7, 0x06, 0xb0, 0x00,       // 58: mov  dword [es:0xb0], 0    ; EOI
  0x00, 0x00, 0x00, 0x00,
  0xcf,                                     // 62: iret
]);

/** Copies the guest code into guest RAM (an ArrayBuffer over the memory mapped at GPA 0). */
export function loadGuestCode(ram: ArrayBuffer): void {
  new Uint8Array(ram, GUEST_CODE_ADDR, GUEST_CODE.length).set(GUEST_CODE);
}

/** A per-vCPU LCG seed, so vCPUs draw different timer counts. */
export function guestSeed(vcpuId: number): number {
  return (Math.imul(vcpuId + 1, 0x9e37_79b9) ^ 0x5bd1_e995) >>> 0;
}

/**
 * Points a fresh vCPU at the guest code: real mode, CS = DS = SS = 0, ES hidden base at the
 * local APIC, IP = 0x1000, its own stack, and (for an AP, id ≠ 0) mp_state runnable, since APs
 * otherwise wait for INIT/SIPI with an in-kernel irqchip.
 */
export function setupGuestVcpu(vcpu: KvmVcpu): void {
  if (vcpu.id > GUEST_MAX_VCPU_ID) {
    throw new KvmError("KVM_DEMO", `vCPU ${vcpu.id}: the demo guest runs at most ${GUEST_MAX_VCPU_ID + 1} vCPUs`);
  }
  const sregs = vcpu.getSregs();
  setSegment(sregs, KvmSregs.cs, 0, 0n);
  setSegment(sregs, KvmSregs.ds, 0, 0n);
  setSegment(sregs, KvmSregs.ss, 0, 0n);
  setSegment(sregs, KvmSregs.es, 0, APIC_BASE_GPA);
  vcpu.setSregs(sregs);

  const regs = Buffer.alloc(vcpu.getRegs().length);
  regs.writeBigUInt64LE(BigInt(GUEST_CODE_ADDR), KvmRegs.rip);
  regs.writeBigUInt64LE(0x2n, KvmRegs.rflags); // bit 1 is always set; IF clear
  regs.writeBigUInt64LE(BigInt(GUEST_STACK_TOP - vcpu.id * GUEST_STACK_STRIDE), KvmRegs.rsp);
  regs.writeBigUInt64LE(BigInt(guestSeed(vcpu.id)), KvmRegs.rbx);
  vcpu.setRegs(regs);

  if (vcpu.id !== 0) vcpu.setMpState(KvmMpState.Runnable);
}
