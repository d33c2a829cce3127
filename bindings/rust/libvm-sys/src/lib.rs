//! Raw FFI declarations for libvm (`<libvm/libvm.h>`, with `<libvm/snapshot.h>`, the boot
//! protocols of `<libvm/boot.h>`, the platform and machine of `<libvm/platform.h>` and
//! `<libvm/machine.h>`, and the guest/host
//! comparison-log layout `<libvm/cmplog.h>`), written by hand to
//! match the C headers.  `tests/abi.rs` checks them against the headers:
//! every `LIBVM_API` function (name and argument count), every `LIBVM_*`
//! constant (name and value, through a C program) and the size and field
//! offsets of every public struct.
//!
//! Everything here is `unsafe` to call; the `libvm` crate is the safe
//! wrapper.  Guest-side `<libvm/guest.h>` is not bound.

#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_void};

mod virtio;
pub use virtio::*;

// ---- common.h -------------------------------------------------------------

pub const LIBVM_VERSION_MAJOR: u32 = 1;
pub const LIBVM_VERSION_MINOR: u32 = 0;
pub const LIBVM_VERSION_PATCH: u32 = 0;
pub const LIBVM_VERSION_NUM: u32 =
    (LIBVM_VERSION_MAJOR << 16) | (LIBVM_VERSION_MINOR << 8) | LIBVM_VERSION_PATCH;
pub const LIBVM_VERSION_STRING: &str = "1.0.0";

// ---- errors.h -------------------------------------------------------------

pub const LIBVM_OK: c_int = 0;
pub const LIBVM_EINVAL: c_int = -1;
pub const LIBVM_ENOKVM: c_int = -2;
pub const LIBVM_ENOMEM: c_int = -3;
pub const LIBVM_EKVM: c_int = -4;
pub const LIBVM_EVERSION: c_int = -5;
pub const LIBVM_EOVERLAP: c_int = -6;
pub const LIBVM_ERANGE: c_int = -7;
pub const LIBVM_ENOENT: c_int = -8;
pub const LIBVM_EBUSY: c_int = -9;
pub const LIBVM_ENOTSUP: c_int = -10;
pub const LIBVM_EIO: c_int = -11;
pub const LIBVM_EFAULT: c_int = -12;
pub const LIBVM_ELIMIT: c_int = -13;
pub const LIBVM_ESTATE: c_int = -14;
pub const LIBVM_EIMAGE: c_int = -15;
pub const LIBVM_EGUEST: c_int = -16;
pub const LIBVM_ETIMEOUT: c_int = -17;

// ---- vm.h -----------------------------------------------------------------

/// Opaque VM handle.
#[repr(C)]
pub struct libvm_vm {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// Opaque vCPU handle.
#[repr(C)]
pub struct libvm_vcpu {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_VM_IRQCHIP: u32 = 1 << 0;
pub const LIBVM_VM_PIT: u32 = 1 << 1;
pub const LIBVM_VM_CONFIG_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_vm_config {
    pub version: u32,
    pub flags: u32,
    pub kick_signal: i32,
    pub max_vcpus: u32,
    pub kvm_path: *const c_char,
}

impl Default for libvm_vm_config {
    /// `LIBVM_VM_CONFIG_INIT`.
    fn default() -> Self {
        libvm_vm_config {
            version: LIBVM_VM_CONFIG_VERSION,
            flags: 0,
            kick_signal: 0,
            max_vcpus: 0,
            kvm_path: core::ptr::null(),
        }
    }
}

pub const LIBVM_HOST_SYNC_REGS: u64 = 1 << 0;
pub const LIBVM_HOST_IRQCHIP: u64 = 1 << 1;
pub const LIBVM_HOST_PIT: u64 = 1 << 2;
pub const LIBVM_HOST_READONLY_MEM: u64 = 1 << 3;
pub const LIBVM_HOST_IMMEDIATE_EXIT: u64 = 1 << 4;
pub const LIBVM_HOST_XSAVE: u64 = 1 << 5;
pub const LIBVM_HOST_XCRS: u64 = 1 << 6;
pub const LIBVM_HOST_DIRTY_LOG_PROTECT: u64 = 1 << 7;
pub const LIBVM_HOST_DIRTY_RING: u64 = 1 << 8;
pub const LIBVM_HOST_IOEVENTFD: u64 = 1 << 9;
pub const LIBVM_HOST_IRQFD: u64 = 1 << 10;
pub const LIBVM_HOST_GUEST_DEBUG: u64 = 1 << 11;
pub const LIBVM_HOST_USER_MSR_EXIT: u64 = 1 << 12;
pub const LIBVM_HOST_HUGEPAGES: u64 = 1 << 13;

pub const LIBVM_SUPERVISOR_UNKNOWN: u32 = 0;
pub const LIBVM_SUPERVISOR_NATIVE: u32 = 1;
pub const LIBVM_SUPERVISOR_EMULATED: u32 = 2;

pub const LIBVM_HOST_INFO_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_host_info {
    pub version: u32,
    pub kvm_api_version: u32,
    pub caps: u64,
    pub supervisor: u32,
    pub max_vcpus: u32,
    pub max_memslots: u32,
    pub phys_bits: u32,
    pub backend: [c_char; 16],
    pub xsave_size: u32,
    pub reserved: [u32; 7],
}

impl Default for libvm_host_info {
    /// `LIBVM_HOST_INFO_INIT`.
    fn default() -> Self {
        libvm_host_info {
            version: LIBVM_HOST_INFO_VERSION,
            kvm_api_version: 0,
            caps: 0,
            supervisor: 0,
            max_vcpus: 0,
            max_memslots: 0,
            phys_bits: 0,
            backend: [0; 16],
            xsave_size: 0,
            reserved: [0; 7],
        }
    }
}

// ---- memory.h -------------------------------------------------------------

pub const LIBVM_MEM_READONLY: u32 = 1 << 0;
pub const LIBVM_MEM_HUGEPAGES: u32 = 1 << 1;
pub const LIBVM_MEM_VOLATILE: u32 = 1 << 2;
pub const LIBVM_PTE_WRITABLE: u32 = 1 << 0;
pub const LIBVM_PTE_USER: u32 = 1 << 1;
pub const LIBVM_PTE_NX: u32 = 1 << 2;

// ---- vcpu.h ---------------------------------------------------------------

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_regs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rsp: u64,
    pub rbp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_segment {
    pub base: u64,
    pub limit: u32,
    pub selector: u16,
    pub type_: u8,
    pub present: u8,
    pub dpl: u8,
    pub db: u8,
    pub s: u8,
    pub l: u8,
    pub g: u8,
    pub avl: u8,
    pub unusable: u8,
    pub padding: u8,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_dtable {
    pub base: u64,
    pub limit: u16,
    pub padding: [u16; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_sregs {
    pub cs: libvm_segment,
    pub ds: libvm_segment,
    pub es: libvm_segment,
    pub fs: libvm_segment,
    pub gs: libvm_segment,
    pub ss: libvm_segment,
    pub tr: libvm_segment,
    pub ldt: libvm_segment,
    pub gdt: libvm_dtable,
    pub idt: libvm_dtable,
    pub cr0: u64,
    pub cr2: u64,
    pub cr3: u64,
    pub cr4: u64,
    pub cr8: u64,
    pub efer: u64,
    pub apic_base: u64,
    pub interrupt_bitmap: [u64; 4],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_fpu {
    pub fpr: [[u8; 16]; 8],
    pub fcw: u16,
    pub fsw: u16,
    pub ftwx: u8,
    pub pad1: u8,
    pub last_opcode: u16,
    pub last_ip: u64,
    pub last_dp: u64,
    pub xmm: [[u8; 16]; 16],
    pub mxcsr: u32,
    pub pad2: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_cpuid_entry {
    pub function: u32,
    pub index: u32,
    pub flags: u32,
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
    pub padding: [u32; 3],
}

pub const LIBVM_CPUID_FLAG_SIGNIFICANT_INDEX: u32 = 1 << 0;
pub const LIBVM_CPUID_FLAG_STATEFUL_FUNC: u32 = 1 << 1;
pub const LIBVM_CPUID_FLAG_STATE_READ_NEXT: u32 = 1 << 2;

// ---- exit.h ---------------------------------------------------------------

pub const LIBVM_EXIT_NONE: u32 = 0;
pub const LIBVM_EXIT_HLT: u32 = 1;
pub const LIBVM_EXIT_IO: u32 = 2;
pub const LIBVM_EXIT_MMIO: u32 = 3;
pub const LIBVM_EXIT_SHUTDOWN: u32 = 4;
pub const LIBVM_EXIT_FAIL_ENTRY: u32 = 5;
pub const LIBVM_EXIT_INTERNAL_ERROR: u32 = 6;
pub const LIBVM_EXIT_DEBUG: u32 = 7;
pub const LIBVM_EXIT_CANCELLED: u32 = 8;
pub const LIBVM_EXIT_TIMEOUT: u32 = 9;
pub const LIBVM_EXIT_STOPPED: u32 = 10;
pub const LIBVM_EXIT_SYSTEM_EVENT: u32 = 11;
pub const LIBVM_EXIT_IRQ_WINDOW: u32 = 12;
pub const LIBVM_EXIT_OTHER: u32 = 13;
pub const LIBVM_EXIT_EXCEPTION: u32 = 14;
pub const LIBVM_EXIT_GUEST_EXIT: u32 = 15;
pub const LIBVM_EXIT_RETURN: u32 = 16;

pub const LIBVM_READ: u32 = 0;
pub const LIBVM_WRITE: u32 = 1;

pub const LIBVM_KVM_EXIT_UNKNOWN: u32 = 0;
pub const LIBVM_KVM_EXIT_EXCEPTION: u32 = 1;
pub const LIBVM_KVM_EXIT_IO: u32 = 2;
pub const LIBVM_KVM_EXIT_HYPERCALL: u32 = 3;
pub const LIBVM_KVM_EXIT_DEBUG: u32 = 4;
pub const LIBVM_KVM_EXIT_HLT: u32 = 5;
pub const LIBVM_KVM_EXIT_MMIO: u32 = 6;
pub const LIBVM_KVM_EXIT_IRQ_WINDOW_OPEN: u32 = 7;
pub const LIBVM_KVM_EXIT_SHUTDOWN: u32 = 8;
pub const LIBVM_KVM_EXIT_FAIL_ENTRY: u32 = 9;
pub const LIBVM_KVM_EXIT_INTR: u32 = 10;
pub const LIBVM_KVM_EXIT_SET_TPR: u32 = 11;
pub const LIBVM_KVM_EXIT_TPR_ACCESS: u32 = 12;
pub const LIBVM_KVM_EXIT_NMI: u32 = 16;
pub const LIBVM_KVM_EXIT_INTERNAL_ERROR: u32 = 17;
pub const LIBVM_KVM_EXIT_SYSTEM_EVENT: u32 = 24;
pub const LIBVM_KVM_EXIT_IOAPIC_EOI: u32 = 26;
pub const LIBVM_KVM_EXIT_HYPERV: u32 = 27;
pub const LIBVM_KVM_EXIT_X86_RDMSR: u32 = 29;
pub const LIBVM_KVM_EXIT_X86_WRMSR: u32 = 30;
pub const LIBVM_KVM_EXIT_DIRTY_RING_FULL: u32 = 31;
pub const LIBVM_KVM_EXIT_AP_RESET_HOLD: u32 = 32;
pub const LIBVM_KVM_EXIT_X86_BUS_LOCK: u32 = 33;
pub const LIBVM_KVM_EXIT_XEN: u32 = 34;
pub const LIBVM_KVM_EXIT_NOTIFY: u32 = 37;

pub const LIBVM_SYSTEM_EVENT_SHUTDOWN: u32 = 1;
pub const LIBVM_SYSTEM_EVENT_RESET: u32 = 2;
pub const LIBVM_SYSTEM_EVENT_CRASH: u32 = 3;
pub const LIBVM_SYSTEM_EVENT_WAKEUP: u32 = 4;
pub const LIBVM_SYSTEM_EVENT_SUSPEND: u32 = 5;
pub const LIBVM_SYSTEM_EVENT_SEV_TERM: u32 = 6;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_io {
    pub port: u16,
    pub size: u8,
    pub direction: u8,
    pub count: u32,
    pub data: *mut u8,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_mmio {
    pub gpa: u64,
    pub size: u32,
    pub direction: u8,
    pub pad: [u8; 3],
    pub data: *mut u8,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_fail_entry {
    pub hardware_reason: u64,
    pub cpu: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_internal {
    pub suberror: u32,
    pub ndata: u32,
    pub data: [u64; 16],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_debug {
    pub exception: u32,
    pub pad: u32,
    pub pc: u64,
    pub dr6: u64,
    pub dr7: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_stop {
    pub space: u32,
    pub code: i32,
    pub addr: u64,
    pub value: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_system {
    pub type_: u32,
    pub ndata: u32,
    pub data: [u64; 16],
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_exception {
    pub vector: u32,
    pub has_error_code: u32,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub cr2: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_guest_exit {
    pub code: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_exit_ret {
    pub value: u64,
}

/// The anonymous union `libvm_exit.u`, padded to 256 bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub union libvm_exit_u {
    pub io: libvm_exit_io,
    pub mmio: libvm_exit_mmio,
    pub fail_entry: libvm_exit_fail_entry,
    pub internal: libvm_exit_internal,
    pub debug: libvm_exit_debug,
    pub stop: libvm_exit_stop,
    pub system: libvm_exit_system,
    pub exception: libvm_exit_exception,
    pub guest_exit: libvm_exit_guest_exit,
    pub ret: libvm_exit_ret,
    pub reserved: [u8; 256],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct libvm_exit {
    pub reason: u32,
    pub kvm_reason: u32,
    pub u: libvm_exit_u,
}

impl Default for libvm_exit {
    fn default() -> Self {
        libvm_exit {
            reason: LIBVM_EXIT_NONE,
            kvm_reason: 0,
            u: libvm_exit_u { reserved: [0; 256] },
        }
    }
}

// ---- device.h -------------------------------------------------------------

pub const LIBVM_TRAP_PIO: u32 = 0;
pub const LIBVM_TRAP_MMIO: u32 = 1;
pub const LIBVM_TRAP_HYPERCALL: u32 = 2;
pub const LIBVM_TRAP_CONTINUE: c_int = 0;
pub const LIBVM_TRAP_STOP: c_int = 1;

pub type libvm_trap_fn = Option<
    unsafe extern "C" fn(
        vcpu: *mut libvm_vcpu,
        addr: u64,
        data: *mut c_void,
        size: u32,
        direction: u32,
        opaque: *mut c_void,
    ) -> c_int,
>;

// ---- loader.h -------------------------------------------------------------

/// Opaque image handle.
#[repr(C)]
pub struct libvm_image {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_LOAD_VADDR: u32 = 1 << 0;

// ---- mode.h ---------------------------------------------------------------

pub const LIBVM_SYS_SIZE: u64 = 0x80000;
pub const LIBVM_LONG_MAX_VCPUS: u32 = 16;
pub const LIBVM_LONG_SUPERVISOR: u32 = 1 << 0;
pub const LIBVM_LONG_1G_PAGES: u32 = 1 << 1;
pub const LIBVM_LONG_SYSCALL: u32 = 1 << 2;
pub const LIBVM_LONG_MODE_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct libvm_long_mode {
    pub version: u32,
    pub flags: u32,
    pub sys_gpa: u64,
    pub map_size: u64,
}

impl Default for libvm_long_mode {
    /// `LIBVM_LONG_MODE_INIT`.
    fn default() -> Self {
        libvm_long_mode { version: LIBVM_LONG_MODE_VERSION, flags: 0, sys_gpa: 0, map_size: 0 }
    }
}

// ---- ports.h --------------------------------------------------------------

pub const LIBVM_PORT_HYPERCALL: u32 = 0x0f10;
pub const LIBVM_PORT_RETURN: u32 = 0x0f11;
pub const LIBVM_PORT_EXCEPTION: u32 = 0x0f12;
pub const LIBVM_PORT_SYSCALL: u32 = 0x00f5;
pub const LIBVM_HC_EXIT: u32 = 0;
pub const LIBVM_HC_CONSOLE: u32 = 1;
pub const LIBVM_HC_BUG: u32 = 2;
pub const LIBVM_HC_USER: u32 = 16;
pub const LIBVM_TRAP_SYSCALL: u32 = 3;

// ---- call.h ---------------------------------------------------------------

pub type libvm_hypercall_fn = Option<
    unsafe extern "C" fn(
        vcpu: *mut libvm_vcpu,
        nr: u64,
        args: *const u64,
        ret: *mut u64,
        opaque: *mut c_void,
    ) -> c_int,
>;

pub const LIBVM_ELF_OPTIONS_VERSION: u32 = 1;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_elf_options {
    pub version: u32,
    pub long_mode_flags: u32,
    pub ram_size: u64,
    pub sys_gpa: u64,
    pub stack_top: u64,
    pub scratch_gpa: u64,
    pub scratch_size: u64,
    pub load_flags: u32,
    pub reserved: u32,
    pub vm_config: *const libvm_vm_config,
}

impl Default for libvm_elf_options {
    /// `LIBVM_ELF_OPTIONS_INIT`.
    fn default() -> Self {
        libvm_elf_options {
            version: LIBVM_ELF_OPTIONS_VERSION,
            long_mode_flags: 0,
            ram_size: 0,
            sys_gpa: 0,
            stack_top: 0,
            scratch_gpa: 0,
            scratch_size: 0,
            load_flags: 0,
            reserved: 0,
            vm_config: core::ptr::null(),
        }
    }
}

pub type libvm_console_fn =
    Option<unsafe extern "C" fn(buf: *const c_char, len: usize, opaque: *mut c_void)>;

// ---- linuxprog.h ----------------------------------------------------------

/// Opaque Linux-program handle.
#[repr(C)]
pub struct libvm_linux {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_LINUX_USER_BASE: u64 = 0x200000;
pub const LIBVM_LINUX_PIE_BASE: u64 = 0x400000;
pub const LIBVM_LINUX_SERVE: c_int = 0;
pub const LIBVM_LINUX_RETURN: c_int = 1;
pub const LIBVM_LINUX_STOP: c_int = 2;
pub const LIBVM_LINUX_ROOT_WRITABLE: u32 = 1 << 0;
pub const LIBVM_LINUX_NO_OPENAT2: u32 = 1 << 1;
pub const LIBVM_LINUX_CONFIG_VERSION: u32 = 1;

pub type libvm_linux_hook_fn = Option<
    unsafe extern "C" fn(
        lp: *mut libvm_linux,
        nr: u64,
        args: *const u64,
        ret: *mut i64,
        opaque: *mut c_void,
    ) -> c_int,
>;

pub type libvm_linux_log_fn =
    Option<unsafe extern "C" fn(lp: *mut libvm_linux, nr: u64, opaque: *mut c_void)>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct libvm_linux_config {
    pub version: u32,
    pub flags: u32,
    pub mem_size: u64,
    pub stack_size: u64,
    pub root: *const c_char,
    pub stdin_fd: c_int,
    pub stdout_fd: c_int,
    pub stderr_fd: c_int,
    pub envp: *const *const c_char,
    pub hook: libvm_linux_hook_fn,
    pub hook_opaque: *mut c_void,
    pub log: libvm_linux_log_fn,
    pub log_opaque: *mut c_void,
}

// ---- snapshot.h -----------------------------------------------------------

/// Opaque snapshot handle.
#[repr(C)]
pub struct libvm_snapshot {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub type libvm_restored_fn = Option<unsafe extern "C" fn(opaque: *mut c_void)>;

// ---- fuzz.h ---------------------------------------------------------------

pub const LIBVM_FUZZ_OK: u32 = 0;
pub const LIBVM_FUZZ_CRASH: u32 = 1;
pub const LIBVM_FUZZ_TRIPLE_FAULT: u32 = 2;
pub const LIBVM_FUZZ_TIMEOUT: u32 = 3;
pub const LIBVM_FUZZ_BUG: u32 = 4;
pub const LIBVM_FUZZ_STOPPED: u32 = 5;
pub const LIBVM_FUZZ_TRUNCATED: u32 = 1 << 0;

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct libvm_fuzz_result {
    pub outcome: u32,
    pub flags: u32,
    pub ret: u64,
    pub exit: libvm_exit,
}

// ---- cmplog.h -------------------------------------------------------------

/// [`libvm_cmp_entry::flags`]: `a` is a compile-time constant, `b` the variable.
pub const LIBVM_CMP_CONST: u32 = 1;

/// One compare whose operands differed, as the guest runtime logs it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_cmp_entry {
    /// The operands, zero-extended.
    pub a: u64,
    pub b: u64,
    /// Low 32 bits of the compare's address.
    pub pc: u32,
    /// Operand size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    /// `LIBVM_CMP_*`.
    pub flags: u8,
    pub reserved: u16,
}

/// The comparison log's header, in guest memory; `cap` entries follow it
/// (`entries` is C's flexible array member, zero-sized here).  The guest
/// stores the first `cap` compares; `count` keeps counting past it.
#[repr(C)]
#[derive(Debug, Default)]
pub struct libvm_cmp_log {
    pub count: u32,
    pub cap: u32,
    pub reserved: u64,
    pub entries: [libvm_cmp_entry; 0],
}

// ---- boot.h ---------------------------------------------------------------

/// Opaque handle of a loaded kernel.
#[repr(C)]
pub struct libvm_boot {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_KERNEL_UNKNOWN: u32 = 0;
pub const LIBVM_KERNEL_BZIMAGE: u32 = 1;
pub const LIBVM_KERNEL_PVH: u32 = 2;
pub const LIBVM_KERNEL_MULTIBOOT: u32 = 3;
pub const LIBVM_KERNEL_ELF: u32 = 4;

pub const LIBVM_E820_RAM: u32 = 1;
pub const LIBVM_E820_RESERVED: u32 = 2;
pub const LIBVM_E820_ACPI: u32 = 3;
pub const LIBVM_E820_NVS: u32 = 4;

pub const LIBVM_BOOT_CONFIG_VERSION: u32 = 1;

pub const LIBVM_BOOT_KERNEL: u32 = 1;
pub const LIBVM_BOOT_INFO: u32 = 2;
pub const LIBVM_BOOT_CMDLINE: u32 = 3;
pub const LIBVM_BOOT_MODULE: u32 = 4;
pub const LIBVM_BOOT_MEMMAP: u32 = 5;
pub const LIBVM_BOOT_MODLIST: u32 = 6;
pub const LIBVM_BOOT_TABLES: u32 = 7;
pub const LIBVM_BOOT_STRINGS: u32 = 8;
pub const LIBVM_BOOT_SYSTEM: u32 = 9;
pub const LIBVM_BOOT_STACK: u32 = 10;

/// A guest-physical range and its memory map type (`LIBVM_E820_*`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_mem_range {
    pub base: u64,
    pub len: u64,
    pub type_: u32,
    pub reserved: u32,
}

/// A module (initrd): a file (`path`) or bytes (`data`, `len`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_boot_module {
    pub path: *const c_char,
    pub data: *const c_void,
    pub len: u64,
    pub string: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_boot_config {
    pub version: u32,
    pub flags: u32,
    pub kernel_path: *const c_char,
    pub kernel_data: *const c_void,
    pub kernel_len: u64,
    pub cmdline: *const c_char,
    pub modules: *const libvm_boot_module,
    pub nmodules: u32,
    pub nreserved: u32,
    pub reserved: *const libvm_mem_range,
    pub acpi_rsdp: u64,
    pub kind: u32,
}

impl Default for libvm_boot_config {
    /// `LIBVM_BOOT_CONFIG_INIT`.
    fn default() -> Self {
        libvm_boot_config {
            version: LIBVM_BOOT_CONFIG_VERSION,
            flags: 0,
            kernel_path: core::ptr::null(),
            kernel_data: core::ptr::null(),
            kernel_len: 0,
            cmdline: core::ptr::null(),
            modules: core::ptr::null(),
            nmodules: 0,
            nreserved: 0,
            reserved: core::ptr::null(),
            acpi_rsdp: 0,
            kind: LIBVM_KERNEL_UNKNOWN,
        }
    }
}

/// Where the loader put something (`what`: `LIBVM_BOOT_*`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct libvm_boot_range {
    pub gpa: u64,
    pub len: u64,
    pub what: u32,
    pub index: u32,
}

// ---- platform.h -----------------------------------------------------------

/// Opaque handle of a platform (devices, ACPI tables, CPUID).
#[repr(C)]
pub struct libvm_platform {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_PLAT_UART: u32 = 1 << 0;
pub const LIBVM_PLAT_RTC: u32 = 1 << 1;
pub const LIBVM_PLAT_I8042: u32 = 1 << 2;
pub const LIBVM_PLAT_DEBUG_EXIT: u32 = 1 << 3;
pub const LIBVM_PLAT_BOOT_MARKER: u32 = 1 << 4;
pub const LIBVM_PLAT_ACPI: u32 = 1 << 5;
pub const LIBVM_PLAT_ALL: u32 = 0x3f;
pub const LIBVM_PORT_COM1: u32 = 0x3f8;
pub const LIBVM_IRQ_COM1: u32 = 4;
pub const LIBVM_PORT_RTC: u32 = 0x70;
pub const LIBVM_IRQ_RTC: u32 = 8;
pub const LIBVM_PORT_I8042_DATA: u32 = 0x60;
pub const LIBVM_PORT_I8042_CMD: u32 = 0x64;
pub const LIBVM_PORT_DEBUG_EXIT: u32 = 0xf4;
pub const LIBVM_PORT_BOOT_MARKER: u32 = 0xf6;
pub const LIBVM_PORT_SLEEP_CTL: u32 = 0x600;
pub const LIBVM_PORT_SLEEP_STS: u32 = 0x601;
pub const LIBVM_ACPI_S5_TYPE: u32 = 5;
pub const LIBVM_PLAT_TABLES_GPA: u64 = 0xe0000;
pub const LIBVM_PLAT_TABLES_SIZE: u64 = 0x20000;
pub const LIBVM_PLAT_MMIO_BASE: u64 = 0xc000_0000;
pub const LIBVM_PLAT_MMIO_SIZE: u64 = 0x3ec0_0000;
pub const LIBVM_PLAT_MAX_CPUS: u32 = 64;
pub const LIBVM_PLATFORM_CONFIG_VERSION: u32 = 1;
pub const LIBVM_PLAT_IRQ_LEVEL: u32 = 1 << 0;
pub const LIBVM_PLAT_IRQ_LOW: u32 = 1 << 1;
pub const LIBVM_PLAT_END_NONE: u32 = 0;
pub const LIBVM_PLAT_END_DEBUG_EXIT: u32 = 1;
pub const LIBVM_PLAT_END_POWEROFF: u32 = 2;
pub const LIBVM_PLAT_END_RESET: u32 = 3;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_platform_config {
    pub version: u32,
    pub devices: u32,
    pub ncpus: u32,
    pub uart_in_fd: i32,
    pub uart_out_fd: i32,
    pub reserved0: u32,
    pub uart_out: libvm_console_fn,
    pub uart_opaque: *mut c_void,
    pub tables_gpa: u64,
    pub tables_size: u64,
    pub mmio_base: u64,
    pub mmio_size: u64,
    pub epoch_ns: u64,
}

impl Default for libvm_platform_config {
    /// `LIBVM_PLATFORM_CONFIG_INIT`.
    fn default() -> Self {
        libvm_platform_config {
            version: LIBVM_PLATFORM_CONFIG_VERSION,
            devices: LIBVM_PLAT_ALL,
            ncpus: 1,
            uart_in_fd: -1,
            uart_out_fd: -1,
            reserved0: 0,
            uart_out: None,
            uart_opaque: core::ptr::null_mut(),
            tables_gpa: 0,
            tables_size: 0,
            mmio_base: 0,
            mmio_size: 0,
            epoch_ns: 0,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct libvm_platform_status {
    pub end: u32,
    pub status: u32,
    pub marker_ns: u64,
    pub markers: u64,
    pub marker_value: u32,
    pub reserved: [u32; 9],
}

// ---- machine.h ------------------------------------------------------------

/// Opaque handle of a machine (VM, RAM, platform, vCPU threads, kernel).
#[repr(C)]
pub struct libvm_machine {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_MACHINE_CONFIG_VERSION: u32 = 1;
pub const LIBVM_MACHINE_LOW_RAM: u64 = 0xc000_0000;
pub const LIBVM_MACHINE_BZIMAGE_AS_IS: u32 = 1 << 0;
pub const LIBVM_MACHINE_RUNNING: u32 = 0;
pub const LIBVM_MACHINE_DEBUG_EXIT: u32 = 1;
pub const LIBVM_MACHINE_POWEROFF: u32 = 2;
pub const LIBVM_MACHINE_RESET: u32 = 3;
pub const LIBVM_MACHINE_TRIPLE_FAULT: u32 = 4;
pub const LIBVM_MACHINE_GUEST_EXIT: u32 = 5;
pub const LIBVM_MACHINE_CRASH: u32 = 6;
pub const LIBVM_MACHINE_TIMEOUT: u32 = 7;
pub const LIBVM_MACHINE_CANCELLED: u32 = 8;
pub const LIBVM_MACHINE_ERROR: u32 = 9;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_machine_config {
    pub version: u32,
    pub ncpus: u32,
    pub mem_size: u64,
    pub kernel_path: *const c_char,
    pub kernel_data: *const c_void,
    pub kernel_len: u64,
    pub cmdline: *const c_char,
    pub initrd_paths: *const *const c_char,
    pub ninitrds: u32,
    pub console_in_fd: i32,
    pub console_out_fd: i32,
    pub flags: u32,
    pub console_out: libvm_console_fn,
    pub console_opaque: *mut c_void,
    pub timeout_ns: u64,
    pub cache_dir: *const c_char,
}

impl Default for libvm_machine_config {
    /// `LIBVM_MACHINE_CONFIG_INIT`.
    fn default() -> Self {
        libvm_machine_config {
            version: LIBVM_MACHINE_CONFIG_VERSION,
            ncpus: 1,
            mem_size: 256 << 20,
            kernel_path: core::ptr::null(),
            kernel_data: core::ptr::null(),
            kernel_len: 0,
            cmdline: core::ptr::null(),
            initrd_paths: core::ptr::null(),
            ninitrds: 0,
            console_in_fd: -1,
            console_out_fd: -1,
            flags: 0,
            console_out: None,
            console_opaque: core::ptr::null_mut(),
            timeout_ns: 0,
            cache_dir: core::ptr::null(),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct libvm_machine_result {
    pub end: u32,
    pub status: i32,
    pub vcpu: u32,
    pub reserved0: u32,
    pub boot_marker_ns: u64,
    pub run_ns: u64,
    pub exit: libvm_exit,
}

// ---- functions ------------------------------------------------------------

/// Declares the `extern "C"` functions and, from the same list, the table
/// [`FUNCTIONS`] of (name, argument count) that the ABI test compares with
/// the `LIBVM_API` prototypes of the headers.
macro_rules! libvm_functions {
    ($( $(#[$m:meta])* fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ; )*) => {
        extern "C" {
            $( $(#[$m])* pub fn $name($($arg: $ty),*) $(-> $ret)?; )*
        }
        /// Every function declared above: (name, number of arguments).
        pub const FUNCTIONS: &[(&str, usize)] = &[
            $( (stringify!($name), <[&str]>::len(&[$(stringify!($arg)),*])) ),*
        ];
    };
}

libvm_functions! {
    // common.h
    fn libvm_version() -> *const c_char;
    fn libvm_version_num() -> u32;
    fn libvm_strerror(code: c_int) -> *const c_char;
    fn libvm_last_error() -> *const c_char;

    // host.h
    fn libvm_host_info_init(out: *mut libvm_host_info, version: u32) -> c_int;
    fn libvm_host_query(out: *mut libvm_host_info, kvm_path: *const c_char) -> c_int;

    // vm.h
    fn libvm_vm_config_init(cfg: *mut libvm_vm_config, version: u32) -> c_int;
    fn libvm_vm_create(out: *mut *mut libvm_vm, cfg: *const libvm_vm_config) -> c_int;
    fn libvm_vm_destroy(vm: *mut libvm_vm);
    fn libvm_vm_irq_line(vm: *mut libvm_vm, gsi: u32, level: c_int) -> c_int;
    fn libvm_vm_vcpu(vm: *mut libvm_vm, id: u32) -> *mut libvm_vcpu;
    fn libvm_vm_needs_restore(vm: *mut libvm_vm) -> c_int;

    // memory.h
    fn libvm_mem_map_anon(vm: *mut libvm_vm, gpa: u64, size: u64, flags: u32) -> c_int;
    fn libvm_mem_map_host(vm: *mut libvm_vm, gpa: u64, host: *mut c_void, size: u64,
                          flags: u32) -> c_int;
    fn libvm_mem_map_fd(vm: *mut libvm_vm, gpa: u64, fd: c_int, offset: u64, size: u64,
                        flags: u32) -> c_int;
    fn libvm_mem_unmap(vm: *mut libvm_vm, gpa: u64) -> c_int;
    fn libvm_mem_ptr(out: *mut *mut c_void, vm: *mut libvm_vm, gpa: u64, len: u64) -> c_int;
    fn libvm_mem_read(vm: *mut libvm_vm, gpa: u64, dst: *mut c_void, len: u64) -> c_int;
    fn libvm_mem_write(vm: *mut libvm_vm, gpa: u64, src: *const c_void, len: u64) -> c_int;
    fn libvm_mem_translate(gpa: *mut u64, flags: *mut u32, page_size: *mut u64,
                           vm: *mut libvm_vm, cr3: u64, gva: u64) -> c_int;

    // exit.h
    fn libvm_exit_reason_name(reason: u32) -> *const c_char;

    // vcpu.h
    fn libvm_vcpu_create(out: *mut *mut libvm_vcpu, vm: *mut libvm_vm, id: u32) -> c_int;
    fn libvm_vcpu_destroy(vcpu: *mut libvm_vcpu);
    fn libvm_vcpu_vm(vcpu: *mut libvm_vcpu) -> *mut libvm_vm;
    fn libvm_vcpu_id(vcpu: *mut libvm_vcpu) -> u32;
    fn libvm_vcpu_get_regs(out: *mut libvm_regs, vcpu: *mut libvm_vcpu) -> c_int;
    fn libvm_vcpu_set_regs(vcpu: *mut libvm_vcpu, regs: *const libvm_regs) -> c_int;
    fn libvm_vcpu_get_sregs(out: *mut libvm_sregs, vcpu: *mut libvm_vcpu) -> c_int;
    fn libvm_vcpu_set_sregs(vcpu: *mut libvm_vcpu, s: *const libvm_sregs) -> c_int;
    fn libvm_vcpu_get_fpu(out: *mut libvm_fpu, vcpu: *mut libvm_vcpu) -> c_int;
    fn libvm_vcpu_set_fpu(vcpu: *mut libvm_vcpu, fpu: *const libvm_fpu) -> c_int;
    fn libvm_vcpu_xsave_size(vcpu: *mut libvm_vcpu) -> u32;
    fn libvm_vcpu_get_xsave(vcpu: *mut libvm_vcpu, buf: *mut c_void, size: u32) -> c_int;
    fn libvm_vcpu_set_xsave(vcpu: *mut libvm_vcpu, buf: *const c_void, size: u32) -> c_int;
    fn libvm_vcpu_get_xcr(out: *mut u64, vcpu: *mut libvm_vcpu, index: u32) -> c_int;
    fn libvm_vcpu_set_xcr(vcpu: *mut libvm_vcpu, index: u32, value: u64) -> c_int;
    fn libvm_vcpu_get_msr(out: *mut u64, vcpu: *mut libvm_vcpu, index: u32) -> c_int;
    fn libvm_vcpu_set_msr(vcpu: *mut libvm_vcpu, index: u32, value: u64) -> c_int;
    fn libvm_vcpu_get_cpuid(vcpu: *mut libvm_vcpu, entries: *mut libvm_cpuid_entry,
                            count: *mut u32) -> c_int;
    fn libvm_vcpu_set_cpuid(vcpu: *mut libvm_vcpu, entries: *const libvm_cpuid_entry,
                            count: u32) -> c_int;
    fn libvm_vcpu_interrupt(vcpu: *mut libvm_vcpu, vector: u32) -> c_int;
    fn libvm_vcpu_run(exit: *mut libvm_exit, vcpu: *mut libvm_vcpu, timeout_ns: u64) -> c_int;
    fn libvm_vcpu_cancel(vcpu: *mut libvm_vcpu) -> c_int;

    // device.h
    fn libvm_trap_register(vm: *mut libvm_vm, space: u32, base: u64, len: u64,
                           fn_: libvm_trap_fn, opaque: *mut c_void) -> c_int;
    fn libvm_trap_unregister(vm: *mut libvm_vm, space: u32, base: u64) -> c_int;
    fn libvm_device_state_register(vm: *mut libvm_vm, name: *const c_char, state: *mut c_void,
                                   len: u32, restored: libvm_restored_fn,
                                   opaque: *mut c_void) -> c_int;
    fn libvm_device_state_unregister(vm: *mut libvm_vm, name: *const c_char) -> c_int;
    fn libvm_vm_ioeventfd(vm: *mut libvm_vm, fd: c_int, space: u32, addr: u64, len: u32,
                          datamatch: u64, flags: u32) -> c_int;
    fn libvm_vm_irqfd(vm: *mut libvm_vm, fd: c_int, gsi: u32, flags: u32) -> c_int;

    // loader.h
    fn libvm_image_load_file(out: *mut *mut libvm_image, vm: *mut libvm_vm,
                             path: *const c_char, flags: u32) -> c_int;
    fn libvm_image_load_mem(out: *mut *mut libvm_image, vm: *mut libvm_vm,
                            buf: *const c_void, len: usize, flags: u32) -> c_int;
    fn libvm_image_destroy(img: *mut libvm_image);
    fn libvm_image_entry(img: *const libvm_image) -> u64;
    fn libvm_image_class(img: *const libvm_image) -> u32;
    fn libvm_image_extent(lo: *mut u64, hi: *mut u64, img: *const libvm_image) -> c_int;
    fn libvm_image_symbol(addr: *mut u64, img: *const libvm_image,
                          name: *const c_char) -> c_int;

    // mode.h
    fn libvm_vcpu_set_real_mode(vcpu: *mut libvm_vcpu, cs: u16, ip: u16, sp: u16) -> c_int;
    fn libvm_vcpu_set_protected_mode(vcpu: *mut libvm_vcpu, eip: u32, esp: u32) -> c_int;
    fn libvm_long_mode_init(cfg: *mut libvm_long_mode, version: u32) -> c_int;
    fn libvm_long_mode_setup(vm: *mut libvm_vm, cfg: *const libvm_long_mode) -> c_int;
    fn libvm_vcpu_set_long_mode(vcpu: *mut libvm_vcpu, rip: u64, rsp: u64) -> c_int;

    // call.h
    fn libvm_hypercall_register(vm: *mut libvm_vm, nr: u32, fn_: libvm_hypercall_fn,
                                opaque: *mut c_void) -> c_int;
    fn libvm_hypercall_unregister(vm: *mut libvm_vm, nr: u32) -> c_int;
    fn libvm_console_attach(vm: *mut libvm_vm, fn_: libvm_console_fn,
                            opaque: *mut c_void) -> c_int;
    fn libvm_call(ret: *mut u64, exit: *mut libvm_exit, vcpu: *mut libvm_vcpu, fn_: u64,
                  args: *const u64, nargs: u32, timeout_ns: u64) -> c_int;
    fn libvm_scratch_set(vm: *mut libvm_vm, gpa: u64, size: u64) -> c_int;
    fn libvm_scratch_push(gva: *mut u64, vm: *mut libvm_vm, src: *const c_void,
                          len: u64) -> c_int;
    fn libvm_scratch_reset(vm: *mut libvm_vm);
    fn libvm_elf_options_init(opts: *mut libvm_elf_options, version: u32) -> c_int;
    fn libvm_vm_open_elf(vm: *mut *mut libvm_vm, vcpu: *mut *mut libvm_vcpu,
                         image: *mut *mut libvm_image, path: *const c_char,
                         opts: *const libvm_elf_options) -> c_int;
    fn libvm_syscall_handler_set(vm: *mut libvm_vm, fn_: libvm_hypercall_fn,
                                 opaque: *mut c_void) -> c_int;

    // linuxprog.h
    fn libvm_linux_config_init(cfg: *mut libvm_linux_config, version: u32) -> c_int;
    fn libvm_linux_create(out: *mut *mut libvm_linux, path: *const c_char, argc: c_int,
                          argv: *const *const c_char, cfg: *const libvm_linux_config) -> c_int;
    fn libvm_linux_destroy(lp: *mut libvm_linux);
    fn libvm_linux_run(exit: *mut libvm_exit, lp: *mut libvm_linux, timeout_ns: u64) -> c_int;
    fn libvm_linux_vm(lp: *mut libvm_linux) -> *mut libvm_vm;
    fn libvm_linux_vcpu(lp: *mut libvm_linux) -> *mut libvm_vcpu;
    fn libvm_linux_fork(out: *mut *mut libvm_linux, snap: *mut libvm_snapshot,
                        parent: *const libvm_linux) -> c_int;

    // snapshot.h
    fn libvm_snapshot_take(out: *mut *mut libvm_snapshot, vm: *mut libvm_vm) -> c_int;
    fn libvm_snapshot_destroy(snap: *mut libvm_snapshot);
    fn libvm_snapshot_restore(vm: *mut libvm_vm, snap: *mut libvm_snapshot) -> c_int;
    fn libvm_vm_fork(out: *mut *mut libvm_vm, snap: *mut libvm_snapshot) -> c_int;
    fn libvm_snapshot_save(snap: *mut libvm_snapshot, path: *const c_char) -> c_int;
    fn libvm_snapshot_load(out: *mut *mut libvm_snapshot, path: *const c_char) -> c_int;

    // fuzz.h
    fn libvm_fuzz_exec(res: *mut libvm_fuzz_result, vm: *mut libvm_vm, snap: *mut libvm_snapshot,
                       fn_: u64, input_gpa: u64, input_cap: u64, data: *const c_void,
                       len: u64, timeout_ns: u64) -> c_int;

    // boot.h
    fn libvm_boot_config_init(cfg: *mut libvm_boot_config, version: u32) -> c_int;
    fn libvm_kernel_probe(buf: *const c_void, len: usize, kind: *mut u32) -> c_int;
    fn libvm_kernel_probe_file(path: *const c_char, kind: *mut u32) -> c_int;
    fn libvm_boot_load(out: *mut *mut libvm_boot, vm: *mut libvm_vm,
                       cfg: *const libvm_boot_config) -> c_int;
    fn libvm_boot_enter(b: *mut libvm_boot, bsp: *mut libvm_vcpu) -> c_int;
    fn libvm_boot_destroy(b: *mut libvm_boot);
    fn libvm_boot_kind(b: *const libvm_boot) -> u32;
    fn libvm_boot_entry(b: *const libvm_boot) -> u64;
    fn libvm_boot_ranges(b: *const libvm_boot, out: *mut libvm_boot_range,
                         count: *mut u32) -> c_int;
    fn libvm_boot_memmap(b: *const libvm_boot, out: *mut libvm_mem_range,
                         count: *mut u32) -> c_int;

    // platform.h
    fn libvm_platform_config_init(cfg: *mut libvm_platform_config, version: u32) -> c_int;
    fn libvm_platform_create(out: *mut *mut libvm_platform, vm: *mut libvm_vm,
                             cfg: *const libvm_platform_config) -> c_int;
    fn libvm_platform_destroy(plat: *mut libvm_platform);
    fn libvm_platform_vcpu_init(plat: *mut libvm_platform, vcpu: *mut libvm_vcpu) -> c_int;
    fn libvm_platform_alloc_mmio(plat: *mut libvm_platform, len: u64, base: *mut u64) -> c_int;
    fn libvm_platform_alloc_gsi(plat: *mut libvm_platform, gsi: *mut u32) -> c_int;
    fn libvm_platform_acpi_device(plat: *mut libvm_platform, hid: *const c_char,
                                  mmio_base: u64, mmio_len: u64, gsi: u32,
                                  flags: u32) -> c_int;
    fn libvm_platform_write_tables(plat: *mut libvm_platform, rsdp_gpa: *mut u64) -> c_int;
    fn libvm_platform_uart_input(plat: *mut libvm_platform, buf: *const c_void,
                                 len: usize) -> i64;
    fn libvm_platform_status_get(plat: *mut libvm_platform,
                                 out: *mut libvm_platform_status) -> c_int;

    // machine.h
    fn libvm_machine_config_init(cfg: *mut libvm_machine_config, version: u32) -> c_int;
    fn libvm_machine_end_name(end: u32) -> *const c_char;
    fn libvm_machine_create(out: *mut *mut libvm_machine,
                            cfg: *const libvm_machine_config) -> c_int;
    fn libvm_machine_start(m: *mut libvm_machine) -> c_int;
    fn libvm_machine_wait(m: *mut libvm_machine, res: *mut libvm_machine_result) -> c_int;
    fn libvm_machine_run(m: *mut libvm_machine, res: *mut libvm_machine_result) -> c_int;
    fn libvm_machine_cancel(m: *mut libvm_machine) -> c_int;
    fn libvm_machine_destroy(m: *mut libvm_machine);
    fn libvm_machine_vm(m: *mut libvm_machine) -> *mut libvm_vm;
    fn libvm_machine_platform(m: *mut libvm_machine) -> *mut libvm_platform;

    // virtio.h
    fn libvm_virtio_config_init(cfg: *mut libvm_virtio_config, version: u32) -> c_int;
    fn libvm_virtio_create(out: *mut *mut libvm_virtio_dev, vm: *mut libvm_vm,
                           cfg: *const libvm_virtio_config) -> c_int;
    fn libvm_virtio_destroy(dev: *mut libvm_virtio_dev);
    fn libvm_virtio_pop(out: *mut *mut libvm_virtq_chain, dev: *mut libvm_virtio_dev,
                        queue: u32) -> c_int;
    fn libvm_virtio_push(dev: *mut libvm_virtio_dev, chain: *mut libvm_virtq_chain) -> c_int;
    fn libvm_virtio_notify(dev: *mut libvm_virtio_dev, queue: u32) -> c_int;
    fn libvm_virtio_config_read(dev: *mut libvm_virtio_dev, offset: u32, dst: *mut c_void,
                                len: u32) -> c_int;
    fn libvm_virtio_config_write(dev: *mut libvm_virtio_dev, offset: u32, src: *const c_void,
                                 len: u32) -> c_int;
    fn libvm_virtio_watch_fd(dev: *mut libvm_virtio_dev, fd: c_int, on: c_int) -> c_int;
    fn libvm_virtio_features(dev: *const libvm_virtio_dev) -> u64;
    fn libvm_virtio_status(dev: *const libvm_virtio_dev) -> u32;
    fn libvm_virtio_stats_get(dev: *const libvm_virtio_dev, out: *mut libvm_virtio_stats) -> c_int;
    fn libvm_virtq_len(chain: *const libvm_virtq_chain, part: u32) -> u64;
    fn libvm_virtq_read(chain: *mut libvm_virtq_chain, dst: *mut c_void, len: u64) -> i64;
    fn libvm_virtq_write(chain: *mut libvm_virtq_chain, src: *const c_void, len: u64) -> i64;
    fn libvm_virtq_map(chain: *mut libvm_virtq_chain, part: u32, len: u64,
                       segs: *mut libvm_virtq_seg, max: u32) -> c_int;
    fn libvm_virtq_seek(chain: *mut libvm_virtq_chain, part: u32, pos: u64) -> c_int;
    fn libvm_virtq_written(chain: *const libvm_virtq_chain) -> u64;
    fn libvm_virtq_queue(chain: *const libvm_virtq_chain) -> u32;
    fn libvm_virtio_blk_config_init(cfg: *mut libvm_virtio_blk_config, version: u32) -> c_int;
    fn libvm_virtio_blk_create(out: *mut *mut libvm_virtio_dev, vm: *mut libvm_vm,
                               cfg: *const libvm_virtio_blk_config) -> c_int;
    fn libvm_virtio_console_config_init(cfg: *mut libvm_virtio_console_config,
                                        version: u32) -> c_int;
    fn libvm_virtio_console_create(out: *mut *mut libvm_virtio_dev, vm: *mut libvm_vm,
                                   cfg: *const libvm_virtio_console_config) -> c_int;
    fn libvm_virtio_rng_config_init(cfg: *mut libvm_virtio_rng_config, version: u32) -> c_int;
    fn libvm_virtio_rng_create(out: *mut *mut libvm_virtio_dev, vm: *mut libvm_vm,
                               cfg: *const libvm_virtio_rng_config) -> c_int;
    fn libvm_virtio_alloc(plat: *mut libvm_platform, mmio_base: *mut u64, gsi: *mut u32) -> c_int;
    fn libvm_virtio_announce(dev: *mut libvm_virtio_dev, plat: *mut libvm_platform) -> c_int;
}

// ---- layout table ---------------------------------------------------------

/// Builds [`STRUCTS`]: for each public struct its C name, size and the
/// offsets of the listed fields (C field name = Rust field name).
macro_rules! layouts {
    ($( $cname:literal => $ty:ty { $($cfield:literal : $($field:tt).+),* $(,)? } )*) => {
        /// (C struct name, size, [(C field path, offset)]) for the ABI test.
        pub const STRUCTS: &[(&str, usize, &[(&str, usize)])] = &[
            $( ($cname, core::mem::size_of::<$ty>(),
                &[ $( ($cfield, core::mem::offset_of!($ty, $($field).+)) ),* ]) ),*
        ];
    };
}

layouts! {
    "libvm_vm_config" => libvm_vm_config {
        "version": version, "flags": flags, "kick_signal": kick_signal,
        "max_vcpus": max_vcpus, "kvm_path": kvm_path,
    }
    "libvm_host_info" => libvm_host_info {
        "version": version, "kvm_api_version": kvm_api_version, "caps": caps,
        "supervisor": supervisor, "max_vcpus": max_vcpus, "max_memslots": max_memslots,
        "phys_bits": phys_bits, "backend": backend, "xsave_size": xsave_size,
        "reserved": reserved,
    }
    "libvm_regs" => libvm_regs {
        "rax": rax, "rbx": rbx, "rcx": rcx, "rdx": rdx, "rsi": rsi, "rdi": rdi,
        "rsp": rsp, "rbp": rbp, "r8": r8, "r9": r9, "r10": r10, "r11": r11,
        "r12": r12, "r13": r13, "r14": r14, "r15": r15, "rip": rip, "rflags": rflags,
    }
    "libvm_segment" => libvm_segment {
        "base": base, "limit": limit, "selector": selector, "type": type_,
        "present": present, "dpl": dpl, "db": db, "s": s, "l": l, "g": g,
        "avl": avl, "unusable": unusable, "padding": padding,
    }
    "libvm_dtable" => libvm_dtable { "base": base, "limit": limit, "padding": padding }
    "libvm_sregs" => libvm_sregs {
        "cs": cs, "ds": ds, "es": es, "fs": fs, "gs": gs, "ss": ss, "tr": tr,
        "ldt": ldt, "gdt": gdt, "idt": idt, "cr0": cr0, "cr2": cr2, "cr3": cr3,
        "cr4": cr4, "cr8": cr8, "efer": efer, "apic_base": apic_base,
        "interrupt_bitmap": interrupt_bitmap,
    }
    "libvm_fpu" => libvm_fpu {
        "fpr": fpr, "fcw": fcw, "fsw": fsw, "ftwx": ftwx, "pad1": pad1,
        "last_opcode": last_opcode, "last_ip": last_ip, "last_dp": last_dp,
        "xmm": xmm, "mxcsr": mxcsr, "pad2": pad2,
    }
    "libvm_cpuid_entry" => libvm_cpuid_entry {
        "function": function, "index": index, "flags": flags, "eax": eax,
        "ebx": ebx, "ecx": ecx, "edx": edx, "padding": padding,
    }
    "libvm_exit" => libvm_exit {
        "reason": reason, "kvm_reason": kvm_reason, "u": u,
        "u.io": u.io, "u.io.port": u.io.port, "u.io.size": u.io.size,
        "u.io.direction": u.io.direction, "u.io.count": u.io.count,
        "u.io.data": u.io.data,
        "u.mmio": u.mmio, "u.mmio.gpa": u.mmio.gpa, "u.mmio.size": u.mmio.size,
        "u.mmio.direction": u.mmio.direction, "u.mmio.pad": u.mmio.pad,
        "u.mmio.data": u.mmio.data,
        "u.fail_entry": u.fail_entry, "u.fail_entry.hardware_reason": u.fail_entry.hardware_reason,
        "u.fail_entry.cpu": u.fail_entry.cpu,
        "u.internal": u.internal, "u.internal.suberror": u.internal.suberror, "u.internal.ndata": u.internal.ndata,
        "u.internal.data": u.internal.data,
        "u.debug": u.debug, "u.debug.exception": u.debug.exception, "u.debug.pad": u.debug.pad,
        "u.debug.pc": u.debug.pc, "u.debug.dr6": u.debug.dr6, "u.debug.dr7": u.debug.dr7,
        "u.stop": u.stop, "u.stop.space": u.stop.space, "u.stop.code": u.stop.code, "u.stop.addr": u.stop.addr,
        "u.stop.value": u.stop.value,
        "u.system": u.system, "u.system.type": u.system.type_, "u.system.ndata": u.system.ndata,
        "u.system.data": u.system.data,
        "u.exception": u.exception, "u.exception.vector": u.exception.vector,
        "u.exception.has_error_code": u.exception.has_error_code,
        "u.exception.error_code": u.exception.error_code,
        "u.exception.rip": u.exception.rip, "u.exception.cs": u.exception.cs,
        "u.exception.rflags": u.exception.rflags, "u.exception.rsp": u.exception.rsp,
        "u.exception.cr2": u.exception.cr2,
        "u.guest_exit": u.guest_exit, "u.guest_exit.code": u.guest_exit.code, "u.ret": u.ret, "u.ret.value": u.ret.value,
        "u.reserved": u.reserved,
    }
    "libvm_long_mode" => libvm_long_mode {
        "version": version, "flags": flags, "sys_gpa": sys_gpa, "map_size": map_size,
    }
    "libvm_elf_options" => libvm_elf_options {
        "version": version, "long_mode_flags": long_mode_flags, "ram_size": ram_size,
        "sys_gpa": sys_gpa, "stack_top": stack_top, "scratch_gpa": scratch_gpa,
        "scratch_size": scratch_size, "load_flags": load_flags, "reserved": reserved,
        "vm_config": vm_config,
    }
    "libvm_linux_config" => libvm_linux_config {
        "version": version, "flags": flags, "mem_size": mem_size, "stack_size": stack_size,
        "root": root, "stdin_fd": stdin_fd, "stdout_fd": stdout_fd, "stderr_fd": stderr_fd,
        "envp": envp, "hook": hook, "hook_opaque": hook_opaque, "log": log,
        "log_opaque": log_opaque,
    }
    "libvm_fuzz_result" => libvm_fuzz_result {
        "outcome": outcome, "flags": flags, "ret": ret, "exit": exit,
    }
    "libvm_cmp_entry" => libvm_cmp_entry {
        "a": a, "b": b, "pc": pc, "size": size, "flags": flags, "reserved": reserved,
    }
    "libvm_cmp_log" => libvm_cmp_log {
        "count": count, "cap": cap, "reserved": reserved, "entries": entries,
    }
    "libvm_mem_range" => libvm_mem_range {
        "base": base, "len": len, "type": type_, "reserved": reserved,
    }
    "libvm_boot_module" => libvm_boot_module {
        "path": path, "data": data, "len": len, "string": string,
    }
    "libvm_boot_config" => libvm_boot_config {
        "version": version, "flags": flags, "kernel_path": kernel_path,
        "kernel_data": kernel_data, "kernel_len": kernel_len, "cmdline": cmdline,
        "modules": modules, "nmodules": nmodules, "nreserved": nreserved,
        "reserved": reserved, "acpi_rsdp": acpi_rsdp, "kind": kind,
    }
    "libvm_boot_range" => libvm_boot_range {
        "gpa": gpa, "len": len, "what": what, "index": index,
    }
    "libvm_platform_config" => libvm_platform_config {
        "version": version, "devices": devices, "ncpus": ncpus,
        "uart_in_fd": uart_in_fd, "uart_out_fd": uart_out_fd, "reserved0": reserved0,
        "uart_out": uart_out, "uart_opaque": uart_opaque, "tables_gpa": tables_gpa,
        "tables_size": tables_size, "mmio_base": mmio_base, "mmio_size": mmio_size,
        "epoch_ns": epoch_ns,
    }
    "libvm_platform_status" => libvm_platform_status {
        "end": end, "status": status, "marker_ns": marker_ns, "markers": markers,
        "marker_value": marker_value, "reserved": reserved,
    }
    "libvm_machine_config" => libvm_machine_config {
        "version": version, "ncpus": ncpus, "mem_size": mem_size,
        "kernel_path": kernel_path, "kernel_data": kernel_data, "kernel_len": kernel_len,
        "cmdline": cmdline, "initrd_paths": initrd_paths, "ninitrds": ninitrds,
        "console_in_fd": console_in_fd, "console_out_fd": console_out_fd,
        "flags": flags, "console_out": console_out,
        "console_opaque": console_opaque, "timeout_ns": timeout_ns,
        "cache_dir": cache_dir,
    }
    "libvm_machine_result" => libvm_machine_result {
        "end": end, "status": status, "vcpu": vcpu, "reserved0": reserved0,
        "boot_marker_ns": boot_marker_ns, "run_ns": run_ns, "exit": exit,
    }
    "libvm_virtio_config" => libvm_virtio_config {
        "version": version, "flags": flags, "device_id": device_id, "num_queues": num_queues,
        "queue_size": queue_size, "config_size": config_size, "config": config,
        "features": features, "mmio_base": mmio_base, "gsi": gsi, "reserved": reserved,
        "event": event, "opaque": opaque,
    }
    "libvm_virtio_stats" => libvm_virtio_stats {
        "version": version, "reserved": reserved, "mmio_exits": mmio_exits, "kicks": kicks,
        "chains": chains, "interrupts": interrupts, "needs_reset": needs_reset,
    }
    "libvm_virtq_seg" => libvm_virtq_seg { "addr": addr, "len": len }
    "libvm_virtio_blk_config" => libvm_virtio_blk_config {
        "version": version, "flags": flags, "path": path, "serial": serial,
        "mmio_base": mmio_base, "gsi": gsi, "queue_size": queue_size,
    }
    "libvm_virtio_console_config" => libvm_virtio_console_config {
        "version": version, "flags": flags, "in_fd": in_fd, "out_fd": out_fd,
        "mmio_base": mmio_base, "gsi": gsi, "reserved": reserved,
    }
    "libvm_virtio_rng_config" => libvm_virtio_rng_config {
        "version": version, "flags": flags, "mmio_base": mmio_base, "gsi": gsi,
        "reserved": reserved,
    }
}

/// Every `LIBVM_*` integer constant: (name, value as i64).  Strings
/// (`LIBVM_VERSION_STRING`) are compared separately.
macro_rules! constants_table {
    ($($name:ident),* $(,)?) => {
        pub const CONSTANTS: &[(&str, i64)] = &[ $( (stringify!($name), $name as i64) ),* ];
    };
}

constants_table! {
    LIBVM_VERSION_MAJOR, LIBVM_VERSION_MINOR, LIBVM_VERSION_PATCH, LIBVM_VERSION_NUM,
    LIBVM_OK, LIBVM_EINVAL, LIBVM_ENOKVM, LIBVM_ENOMEM, LIBVM_EKVM, LIBVM_EVERSION,
    LIBVM_EOVERLAP, LIBVM_ERANGE, LIBVM_ENOENT, LIBVM_EBUSY, LIBVM_ENOTSUP, LIBVM_EIO,
    LIBVM_EFAULT, LIBVM_ELIMIT, LIBVM_ESTATE, LIBVM_EIMAGE, LIBVM_EGUEST, LIBVM_ETIMEOUT,
    LIBVM_VM_IRQCHIP, LIBVM_VM_PIT, LIBVM_VM_CONFIG_VERSION,
    LIBVM_HOST_SYNC_REGS, LIBVM_HOST_IRQCHIP, LIBVM_HOST_PIT, LIBVM_HOST_READONLY_MEM,
    LIBVM_HOST_IMMEDIATE_EXIT, LIBVM_HOST_XSAVE, LIBVM_HOST_XCRS,
    LIBVM_HOST_DIRTY_LOG_PROTECT, LIBVM_HOST_DIRTY_RING, LIBVM_HOST_IOEVENTFD,
    LIBVM_HOST_IRQFD, LIBVM_HOST_GUEST_DEBUG, LIBVM_HOST_USER_MSR_EXIT,
    LIBVM_HOST_HUGEPAGES,
    LIBVM_SUPERVISOR_UNKNOWN, LIBVM_SUPERVISOR_NATIVE, LIBVM_SUPERVISOR_EMULATED,
    LIBVM_HOST_INFO_VERSION,
    LIBVM_MEM_READONLY, LIBVM_MEM_HUGEPAGES, LIBVM_MEM_VOLATILE, LIBVM_PTE_WRITABLE,
    LIBVM_PTE_USER, LIBVM_PTE_NX,
    LIBVM_CPUID_FLAG_SIGNIFICANT_INDEX, LIBVM_CPUID_FLAG_STATEFUL_FUNC,
    LIBVM_CPUID_FLAG_STATE_READ_NEXT,
    LIBVM_EXIT_NONE, LIBVM_EXIT_HLT, LIBVM_EXIT_IO, LIBVM_EXIT_MMIO, LIBVM_EXIT_SHUTDOWN,
    LIBVM_EXIT_FAIL_ENTRY, LIBVM_EXIT_INTERNAL_ERROR, LIBVM_EXIT_DEBUG,
    LIBVM_EXIT_CANCELLED, LIBVM_EXIT_TIMEOUT, LIBVM_EXIT_STOPPED,
    LIBVM_EXIT_SYSTEM_EVENT, LIBVM_EXIT_IRQ_WINDOW, LIBVM_EXIT_OTHER,
    LIBVM_EXIT_EXCEPTION, LIBVM_EXIT_GUEST_EXIT, LIBVM_EXIT_RETURN,
    LIBVM_READ, LIBVM_WRITE,
    LIBVM_KVM_EXIT_UNKNOWN, LIBVM_KVM_EXIT_EXCEPTION, LIBVM_KVM_EXIT_IO,
    LIBVM_KVM_EXIT_HYPERCALL, LIBVM_KVM_EXIT_DEBUG, LIBVM_KVM_EXIT_HLT, LIBVM_KVM_EXIT_MMIO,
    LIBVM_KVM_EXIT_IRQ_WINDOW_OPEN, LIBVM_KVM_EXIT_SHUTDOWN, LIBVM_KVM_EXIT_FAIL_ENTRY,
    LIBVM_KVM_EXIT_INTR, LIBVM_KVM_EXIT_SET_TPR, LIBVM_KVM_EXIT_TPR_ACCESS,
    LIBVM_KVM_EXIT_NMI, LIBVM_KVM_EXIT_INTERNAL_ERROR, LIBVM_KVM_EXIT_SYSTEM_EVENT,
    LIBVM_KVM_EXIT_IOAPIC_EOI, LIBVM_KVM_EXIT_HYPERV, LIBVM_KVM_EXIT_X86_RDMSR,
    LIBVM_KVM_EXIT_X86_WRMSR, LIBVM_KVM_EXIT_DIRTY_RING_FULL, LIBVM_KVM_EXIT_AP_RESET_HOLD,
    LIBVM_KVM_EXIT_X86_BUS_LOCK, LIBVM_KVM_EXIT_XEN, LIBVM_KVM_EXIT_NOTIFY,
    LIBVM_SYSTEM_EVENT_SHUTDOWN, LIBVM_SYSTEM_EVENT_RESET, LIBVM_SYSTEM_EVENT_CRASH,
    LIBVM_SYSTEM_EVENT_WAKEUP, LIBVM_SYSTEM_EVENT_SUSPEND, LIBVM_SYSTEM_EVENT_SEV_TERM,
    LIBVM_TRAP_PIO, LIBVM_TRAP_MMIO, LIBVM_TRAP_HYPERCALL, LIBVM_TRAP_CONTINUE,
    LIBVM_TRAP_STOP,
    LIBVM_LOAD_VADDR,
    LIBVM_SYS_SIZE, LIBVM_LONG_MAX_VCPUS, LIBVM_LONG_SUPERVISOR, LIBVM_LONG_1G_PAGES,
    LIBVM_LONG_MODE_VERSION, LIBVM_LONG_SYSCALL,
    LIBVM_PORT_HYPERCALL, LIBVM_PORT_RETURN, LIBVM_PORT_EXCEPTION,
    LIBVM_HC_EXIT, LIBVM_HC_CONSOLE, LIBVM_HC_BUG, LIBVM_HC_USER,
    LIBVM_PORT_SYSCALL, LIBVM_TRAP_SYSCALL,
    LIBVM_LINUX_USER_BASE, LIBVM_LINUX_PIE_BASE, LIBVM_LINUX_SERVE, LIBVM_LINUX_RETURN,
    LIBVM_LINUX_STOP, LIBVM_LINUX_ROOT_WRITABLE, LIBVM_LINUX_NO_OPENAT2,
    LIBVM_LINUX_CONFIG_VERSION,
    LIBVM_ELF_OPTIONS_VERSION, LIBVM_FUZZ_OK, LIBVM_FUZZ_CRASH, LIBVM_FUZZ_TRIPLE_FAULT,
    LIBVM_FUZZ_TIMEOUT, LIBVM_FUZZ_BUG, LIBVM_FUZZ_STOPPED,
    LIBVM_FUZZ_TRUNCATED, LIBVM_CMP_CONST,
    LIBVM_KERNEL_UNKNOWN, LIBVM_KERNEL_BZIMAGE, LIBVM_KERNEL_PVH, LIBVM_KERNEL_MULTIBOOT,
    LIBVM_KERNEL_ELF, LIBVM_E820_RAM, LIBVM_E820_RESERVED, LIBVM_E820_ACPI, LIBVM_E820_NVS,
    LIBVM_BOOT_CONFIG_VERSION, LIBVM_BOOT_KERNEL, LIBVM_BOOT_INFO, LIBVM_BOOT_CMDLINE,
    LIBVM_BOOT_MODULE, LIBVM_BOOT_MEMMAP, LIBVM_BOOT_MODLIST, LIBVM_BOOT_TABLES,
    LIBVM_BOOT_STRINGS, LIBVM_BOOT_SYSTEM, LIBVM_BOOT_STACK,
    LIBVM_PLAT_UART, LIBVM_PLAT_RTC, LIBVM_PLAT_I8042, LIBVM_PLAT_DEBUG_EXIT,
    LIBVM_PLAT_BOOT_MARKER, LIBVM_PLAT_ACPI, LIBVM_PLAT_ALL, LIBVM_PORT_COM1,
    LIBVM_IRQ_COM1, LIBVM_PORT_RTC, LIBVM_IRQ_RTC, LIBVM_PORT_I8042_DATA,
    LIBVM_PORT_I8042_CMD, LIBVM_PORT_DEBUG_EXIT, LIBVM_PORT_BOOT_MARKER,
    LIBVM_PORT_SLEEP_CTL, LIBVM_PORT_SLEEP_STS, LIBVM_ACPI_S5_TYPE,
    LIBVM_PLAT_TABLES_GPA, LIBVM_PLAT_TABLES_SIZE, LIBVM_PLAT_MMIO_BASE,
    LIBVM_PLAT_MMIO_SIZE, LIBVM_PLAT_MAX_CPUS, LIBVM_PLATFORM_CONFIG_VERSION,
    LIBVM_PLAT_IRQ_LEVEL, LIBVM_PLAT_IRQ_LOW, LIBVM_PLAT_END_NONE,
    LIBVM_PLAT_END_DEBUG_EXIT, LIBVM_PLAT_END_POWEROFF, LIBVM_PLAT_END_RESET,
    LIBVM_MACHINE_CONFIG_VERSION, LIBVM_MACHINE_LOW_RAM, LIBVM_MACHINE_BZIMAGE_AS_IS,
    LIBVM_MACHINE_RUNNING,
    LIBVM_MACHINE_DEBUG_EXIT, LIBVM_MACHINE_POWEROFF, LIBVM_MACHINE_RESET,
    LIBVM_MACHINE_TRIPLE_FAULT, LIBVM_MACHINE_GUEST_EXIT, LIBVM_MACHINE_CRASH,
    LIBVM_MACHINE_TIMEOUT, LIBVM_MACHINE_CANCELLED, LIBVM_MACHINE_ERROR,
    LIBVM_IOEVENTFD_DATAMATCH, LIBVM_IOEVENTFD_REMOVE, LIBVM_IRQFD_REMOVE,
    LIBVM_VIRTIO_ID_NET, LIBVM_VIRTIO_ID_BLOCK, LIBVM_VIRTIO_ID_CONSOLE, LIBVM_VIRTIO_ID_RNG,
    LIBVM_VIRTIO_F_INDIRECT_DESC, LIBVM_VIRTIO_F_EVENT_IDX, LIBVM_VIRTIO_F_VERSION_1,
    LIBVM_VIRTIO_S_ACKNOWLEDGE, LIBVM_VIRTIO_S_DRIVER, LIBVM_VIRTIO_S_DRIVER_OK,
    LIBVM_VIRTIO_S_FEATURES_OK, LIBVM_VIRTIO_S_NEEDS_RESET, LIBVM_VIRTIO_S_FAILED,
    LIBVM_VIRTIO_MMIO_SIZE, LIBVM_VIRTIO_MMIO_MAGIC, LIBVM_VIRTIO_MMIO_VERSION,
    LIBVM_VIRTIO_CONFIG_MAX, LIBVM_VIRTIO_MAX_QUEUES, LIBVM_VIRTIO_QUEUE_MAX,
    LIBVM_VIRTIO_NO_GSI, LIBVM_VIRTIO_EV_QUEUE, LIBVM_VIRTIO_EV_FD, LIBVM_VIRTIO_EV_RESET,
    LIBVM_VIRTIO_EV_READY, LIBVM_VIRTIO_EV_CONFIG, LIBVM_VIRTIO_TRAP_NOTIFY,
    LIBVM_VIRTIO_CONFIG_VERSION, LIBVM_VIRTIO_STATS_VERSION, LIBVM_VIRTQ_READABLE,
    LIBVM_VIRTQ_WRITABLE, LIBVM_VIRTIO_BLK_READONLY, LIBVM_VIRTIO_BLK_CONFIG_VERSION,
    LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION, LIBVM_VIRTIO_RNG_CONFIG_VERSION,
}
