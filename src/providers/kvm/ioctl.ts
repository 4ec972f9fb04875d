/**
 * @module providers/kvm/ioctl
 * The KVM ioctl numbers, capabilities, MP states and exit reasons this layer uses, as in
 * include/uapi/linux/kvm.h (x86-64).
 *
 * An ioctl number is `_IOC(dir, type, nr, size) = dir << 30 | size << 16 | type << 8 | nr`, with
 * type 0xAE (KVMIO), dir 0 for `_IO`, 1 (write: userspace → kernel) for `_IOW`, 2 (read) for
 * `_IOR`. The sized ones are computed from the struct sizes below and were checked against the
 * values the C headers give on this machine (e.g. KVM_SET_SREGS = 0x4138AE84).
 */

/** The KVM ioctl type byte (KVMIO). */
const KVMIO = 0xae;

/** `_IOC` computed with arithmetic, so numbers ≥ 2^31 stay positive. */
function ioc(dir: 0 | 1 | 2, nr: number, size: number): number {
  return dir * 2 ** 30 + size * 2 ** 16 + KVMIO * 2 ** 8 + nr;
}

/** Size of struct kvm_userspace_memory_region: u32 slot, u32 flags, u64 gpa, u64 size, u64 uaddr. */
export const SIZEOF_KVM_USERSPACE_MEMORY_REGION = 32;
/** Size of struct kvm_regs: 18 u64 (rax … r15, rip, rflags). */
export const SIZEOF_KVM_REGS = 144;
/** Size of struct kvm_sregs: 8 kvm_segment (24 B), 2 kvm_dtable (16 B), cr0/2/3/4/8, efer,
 * apic_base (u64 each), interrupt_bitmap (4 u64). */
export const SIZEOF_KVM_SREGS = 312;
/** Size of struct kvm_mp_state: one u32. */
export const SIZEOF_KVM_MP_STATE = 4;

/** `_IO(KVMIO, 0x00)` on /dev/kvm: returns the API version; 12 is the only stable one. */
export const KVM_GET_API_VERSION = 0xae00;
/** `_IO(KVMIO, 0x01)` on /dev/kvm, arg = machine type (0): returns a new VM fd. */
export const KVM_CREATE_VM = 0xae01;
/** `_IO(KVMIO, 0x03)` on /dev/kvm or a VM fd, arg = KVM_CAP_*: returns 0 when unsupported. */
export const KVM_CHECK_EXTENSION = 0xae03;
/** `_IO(KVMIO, 0x04)` on /dev/kvm: the size of the mmap-able kvm_run area of a vCPU fd. */
export const KVM_GET_VCPU_MMAP_SIZE = 0xae04;
/** `_IO(KVMIO, 0x41)` on a VM fd, arg = vCPU id: returns a new vCPU fd. */
export const KVM_CREATE_VCPU = 0xae41;
/** `_IOW(KVMIO, 0x46, struct kvm_userspace_memory_region)` on a VM fd: maps guest RAM. */
export const KVM_SET_USER_MEMORY_REGION = ioc(1, 0x46, SIZEOF_KVM_USERSPACE_MEMORY_REGION);
/** `_IO(KVMIO, 0x47)` on a VM fd, arg = guest physical address of a 3-page TSS area (x86). */
export const KVM_SET_TSS_ADDR = 0xae47;
/** `_IO(KVMIO, 0x60)` on a VM fd: creates the in-kernel PIC, IOAPIC and local APICs. */
export const KVM_CREATE_IRQCHIP = 0xae60;
/** `_IO(KVMIO, 0x80)` on a vCPU fd: runs the vCPU until an exit userspace must handle. */
export const KVM_RUN = 0xae80;
/** `_IOR(KVMIO, 0x81, struct kvm_regs)` on a vCPU fd. */
export const KVM_GET_REGS = ioc(2, 0x81, SIZEOF_KVM_REGS);
/** `_IOW(KVMIO, 0x82, struct kvm_regs)` on a vCPU fd. */
export const KVM_SET_REGS = ioc(1, 0x82, SIZEOF_KVM_REGS);
/** `_IOR(KVMIO, 0x83, struct kvm_sregs)` on a vCPU fd. */
export const KVM_GET_SREGS = ioc(2, 0x83, SIZEOF_KVM_SREGS);
/** `_IOW(KVMIO, 0x84, struct kvm_sregs)` on a vCPU fd. */
export const KVM_SET_SREGS = ioc(1, 0x84, SIZEOF_KVM_SREGS);
/** `_IOR(KVMIO, 0x98, struct kvm_mp_state)` on a vCPU fd. */
export const KVM_GET_MP_STATE = ioc(2, 0x98, SIZEOF_KVM_MP_STATE);
/** `_IOW(KVMIO, 0x99, struct kvm_mp_state)` on a vCPU fd. */
export const KVM_SET_MP_STATE = ioc(1, 0x99, SIZEOF_KVM_MP_STATE);
/** `_IO(KVMIO, 0xce)` on a VM or vCPU fd: returns a new binary stats fd (read-only). */
export const KVM_GET_STATS_FD = 0xaece;

/** The only stable KVM API version. */
export const KVM_API_VERSION = 12;

/** Capability: in-kernel irqchip (KVM_CREATE_IRQCHIP). */
export const KVM_CAP_IRQCHIP = 0;
/** Capability: KVM_SET_USER_MEMORY_REGION. */
export const KVM_CAP_USER_MEMORY = 3;
/** Capability: KVM_GET_STATS_FD (Linux 5.14+). */
export const KVM_CAP_BINARY_STATS_FD = 203;

/** kvm_mp_state values used here. */
export const KvmMpState = {
  /** Running (or ready to run). */
  Runnable: 0,
  /** An AP waiting for INIT/SIPI; APs start here with an in-kernel irqchip. */
  Uninitialized: 1,
  /** Halted. */
  Halted: 3,
} as const;

/** kvm_run.exit_reason values (KVM_EXIT_*). */
export const KvmExit = {
  Unknown: 0,
  Exception: 1,
  Io: 2,
  Hypercall: 3,
  Debug: 4,
  Hlt: 5,
  Mmio: 6,
  IrqWindowOpen: 7,
  Shutdown: 8,
  FailEntry: 9,
  Intr: 10,
  SetTpr: 11,
  TprAccess: 12,
  Nmi: 16,
  InternalError: 17,
  SystemEvent: 24,
} as const;

const exitNames = new Map<number, string>(
  Object.entries(KvmExit).map(([name, n]) => [n, `KVM_EXIT_${name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()}`]),
);

/** Returns the C name of an exit reason, e.g. 2 → "KVM_EXIT_IO", or "exit reason N". */
export function exitReasonName(reason: number): string {
  return exitNames.get(reason) ?? `exit reason ${reason}`;
}

/** kvm_run.io.direction: the guest read from the port (IN). */
export const KVM_EXIT_IO_IN = 0;
/** kvm_run.io.direction: the guest wrote to the port (OUT). */
export const KVM_EXIT_IO_OUT = 1;
