# SPDX-License-Identifier: MIT
"""Low-level ctypes declarations of the libvm C API.

Everything here mirrors ``include/libvm/*.h`` one to one: the constants, the
struct layouts and the function prototypes.  ``tests/test_abi.py`` compares
this module with the headers (through ``build/tests/abi-dump``), so keep the
names exactly as in C.  The Pythonic API lives in :mod:`libvm`.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import pathlib
import threading
from ctypes import (CFUNCTYPE, POINTER, Structure, Union, c_char, c_char_p,
                    c_int, c_int32, c_int64, c_size_t, c_uint8, c_uint16,
                    c_uint32, c_uint64, c_void_p)
from typing import Dict, List, Optional, Tuple

# ---- constants (common.h) -------------------------------------------------

LIBVM_VERSION_MAJOR = 1
LIBVM_VERSION_MINOR = 0
LIBVM_VERSION_PATCH = 0
LIBVM_VERSION_STRING = "1.0.0"
LIBVM_VERSION_NUM = ((LIBVM_VERSION_MAJOR << 16) | (LIBVM_VERSION_MINOR << 8)
                     | LIBVM_VERSION_PATCH)

# ---- errors.h ---------------------------------------------------------------

LIBVM_OK = 0
LIBVM_EINVAL = -1
LIBVM_ENOKVM = -2
LIBVM_ENOMEM = -3
LIBVM_EKVM = -4
LIBVM_EVERSION = -5
LIBVM_EOVERLAP = -6
LIBVM_ERANGE = -7
LIBVM_ENOENT = -8
LIBVM_EBUSY = -9
LIBVM_ENOTSUP = -10
LIBVM_EIO = -11
LIBVM_EFAULT = -12
LIBVM_ELIMIT = -13
LIBVM_ESTATE = -14
LIBVM_EIMAGE = -15
LIBVM_EGUEST = -16
LIBVM_ETIMEOUT = -17

# ---- vm.h -----------------------------------------------------------------

LIBVM_VM_IRQCHIP = 1 << 0
LIBVM_VM_PIT = 1 << 1
LIBVM_VM_CONFIG_VERSION = 1

# ---- host.h ---------------------------------------------------------------

LIBVM_HOST_SYNC_REGS = 1 << 0
LIBVM_HOST_IRQCHIP = 1 << 1
LIBVM_HOST_PIT = 1 << 2
LIBVM_HOST_READONLY_MEM = 1 << 3
LIBVM_HOST_IMMEDIATE_EXIT = 1 << 4
LIBVM_HOST_XSAVE = 1 << 5
LIBVM_HOST_XCRS = 1 << 6
LIBVM_HOST_DIRTY_LOG_PROTECT = 1 << 7
LIBVM_HOST_DIRTY_RING = 1 << 8
LIBVM_HOST_IOEVENTFD = 1 << 9
LIBVM_HOST_IRQFD = 1 << 10
LIBVM_HOST_GUEST_DEBUG = 1 << 11
LIBVM_HOST_USER_MSR_EXIT = 1 << 12
LIBVM_HOST_HUGEPAGES = 1 << 13

LIBVM_SUPERVISOR_UNKNOWN = 0
LIBVM_SUPERVISOR_NATIVE = 1
LIBVM_SUPERVISOR_EMULATED = 2
LIBVM_HOST_INFO_VERSION = 1

# ---- memory.h -------------------------------------------------------------

LIBVM_MEM_READONLY = 1 << 0
LIBVM_MEM_HUGEPAGES = 1 << 1
LIBVM_MEM_VOLATILE = 1 << 2
LIBVM_PTE_WRITABLE = 1 << 0
LIBVM_PTE_USER = 1 << 1
LIBVM_PTE_NX = 1 << 2

# ---- x86.h ----------------------------------------------------------------

LIBVM_CPUID_FLAG_SIGNIFICANT_INDEX = 1 << 0
LIBVM_CPUID_FLAG_STATEFUL_FUNC = 1 << 1
LIBVM_CPUID_FLAG_STATE_READ_NEXT = 1 << 2

# ---- exit.h ---------------------------------------------------------------

LIBVM_EXIT_NONE = 0
LIBVM_EXIT_HLT = 1
LIBVM_EXIT_IO = 2
LIBVM_EXIT_MMIO = 3
LIBVM_EXIT_SHUTDOWN = 4
LIBVM_EXIT_FAIL_ENTRY = 5
LIBVM_EXIT_INTERNAL_ERROR = 6
LIBVM_EXIT_DEBUG = 7
LIBVM_EXIT_CANCELLED = 8
LIBVM_EXIT_TIMEOUT = 9
LIBVM_EXIT_STOPPED = 10
LIBVM_EXIT_SYSTEM_EVENT = 11
LIBVM_EXIT_IRQ_WINDOW = 12
LIBVM_EXIT_OTHER = 13
LIBVM_EXIT_EXCEPTION = 14
LIBVM_EXIT_GUEST_EXIT = 15
LIBVM_EXIT_RETURN = 16

LIBVM_READ = 0
LIBVM_WRITE = 1

# libvm_exit.kvm_reason
LIBVM_KVM_EXIT_UNKNOWN = 0
LIBVM_KVM_EXIT_EXCEPTION = 1
LIBVM_KVM_EXIT_IO = 2
LIBVM_KVM_EXIT_HYPERCALL = 3
LIBVM_KVM_EXIT_DEBUG = 4
LIBVM_KVM_EXIT_HLT = 5
LIBVM_KVM_EXIT_MMIO = 6
LIBVM_KVM_EXIT_IRQ_WINDOW_OPEN = 7
LIBVM_KVM_EXIT_SHUTDOWN = 8
LIBVM_KVM_EXIT_FAIL_ENTRY = 9
LIBVM_KVM_EXIT_INTR = 10
LIBVM_KVM_EXIT_SET_TPR = 11
LIBVM_KVM_EXIT_TPR_ACCESS = 12
LIBVM_KVM_EXIT_NMI = 16
LIBVM_KVM_EXIT_INTERNAL_ERROR = 17
LIBVM_KVM_EXIT_SYSTEM_EVENT = 24
LIBVM_KVM_EXIT_IOAPIC_EOI = 26
LIBVM_KVM_EXIT_HYPERV = 27
LIBVM_KVM_EXIT_X86_RDMSR = 29
LIBVM_KVM_EXIT_X86_WRMSR = 30
LIBVM_KVM_EXIT_DIRTY_RING_FULL = 31
LIBVM_KVM_EXIT_AP_RESET_HOLD = 32
LIBVM_KVM_EXIT_X86_BUS_LOCK = 33
LIBVM_KVM_EXIT_XEN = 34
LIBVM_KVM_EXIT_NOTIFY = 37

# libvm_exit.u.system.type
LIBVM_SYSTEM_EVENT_SHUTDOWN = 1
LIBVM_SYSTEM_EVENT_RESET = 2
LIBVM_SYSTEM_EVENT_CRASH = 3
LIBVM_SYSTEM_EVENT_WAKEUP = 4
LIBVM_SYSTEM_EVENT_SUSPEND = 5
LIBVM_SYSTEM_EVENT_SEV_TERM = 6

# ---- device.h -------------------------------------------------------------

LIBVM_TRAP_PIO = 0
LIBVM_TRAP_MMIO = 1
LIBVM_TRAP_HYPERCALL = 2
LIBVM_TRAP_CONTINUE = 0
LIBVM_TRAP_STOP = 1
LIBVM_IOEVENTFD_DATAMATCH = 1 << 0
LIBVM_IOEVENTFD_REMOVE = 1 << 1
LIBVM_IRQFD_REMOVE = 1 << 0

# ---- loader.h -------------------------------------------------------------

LIBVM_LOAD_VADDR = 1 << 0

# ---- mode.h ---------------------------------------------------------------

LIBVM_SYS_SIZE = 0x80000
LIBVM_LONG_MAX_VCPUS = 16
LIBVM_LONG_SUPERVISOR = 1 << 0
LIBVM_LONG_1G_PAGES = 1 << 1
LIBVM_LONG_SYSCALL = 1 << 2
LIBVM_LONG_MODE_VERSION = 1

# ---- ports.h --------------------------------------------------------------

LIBVM_PORT_HYPERCALL = 0x0F10
LIBVM_PORT_RETURN = 0x0F11
LIBVM_PORT_EXCEPTION = 0x0F12
LIBVM_PORT_SYSCALL = 0x00F5
LIBVM_HC_EXIT = 0
LIBVM_HC_CONSOLE = 1
LIBVM_HC_BUG = 2
LIBVM_HC_USER = 16
LIBVM_TRAP_SYSCALL = 3

# ---- linuxprog.h ----------------------------------------------------------

LIBVM_LINUX_USER_BASE = 0x200000
LIBVM_LINUX_PIE_BASE = 0x400000
LIBVM_LINUX_SERVE = 0
LIBVM_LINUX_RETURN = 1
LIBVM_LINUX_STOP = 2
LIBVM_LINUX_ROOT_WRITABLE = 1 << 0
LIBVM_LINUX_NO_OPENAT2 = 1 << 1
LIBVM_LINUX_CONFIG_VERSION = 1

# ---- call.h ---------------------------------------------------------------

LIBVM_ELF_OPTIONS_VERSION = 1

# ---- fuzz.h ---------------------------------------------------------------

LIBVM_FUZZ_OK = 0
LIBVM_FUZZ_CRASH = 1
LIBVM_FUZZ_TRIPLE_FAULT = 2
LIBVM_FUZZ_TIMEOUT = 3
LIBVM_FUZZ_BUG = 4
LIBVM_FUZZ_STOPPED = 5
LIBVM_FUZZ_TRUNCATED = 1 << 0

# ---- cmplog.h -------------------------------------------------------------

LIBVM_CMP_CONST = 1

# ---- boot.h ---------------------------------------------------------------

LIBVM_KERNEL_UNKNOWN = 0
LIBVM_KERNEL_BZIMAGE = 1
LIBVM_KERNEL_PVH = 2
LIBVM_KERNEL_MULTIBOOT = 3
LIBVM_KERNEL_ELF = 4
LIBVM_E820_RAM = 1
LIBVM_E820_RESERVED = 2
LIBVM_E820_ACPI = 3
LIBVM_E820_NVS = 4
LIBVM_BOOT_CONFIG_VERSION = 1
LIBVM_BOOT_KERNEL = 1
LIBVM_BOOT_INFO = 2
LIBVM_BOOT_CMDLINE = 3
LIBVM_BOOT_MODULE = 4
LIBVM_BOOT_MEMMAP = 5
LIBVM_BOOT_MODLIST = 6
LIBVM_BOOT_TABLES = 7
LIBVM_BOOT_STRINGS = 8
LIBVM_BOOT_SYSTEM = 9
LIBVM_BOOT_STACK = 10
# ---- platform.h -----------------------------------------------------------

LIBVM_PLAT_UART = 1 << 0
LIBVM_PLAT_RTC = 1 << 1
LIBVM_PLAT_I8042 = 1 << 2
LIBVM_PLAT_DEBUG_EXIT = 1 << 3
LIBVM_PLAT_BOOT_MARKER = 1 << 4
LIBVM_PLAT_ACPI = 1 << 5
LIBVM_PLAT_ALL = 0x3F
LIBVM_PORT_COM1 = 0x3F8
LIBVM_IRQ_COM1 = 4
LIBVM_PORT_RTC = 0x70
LIBVM_IRQ_RTC = 8
LIBVM_PORT_I8042_DATA = 0x60
LIBVM_PORT_I8042_CMD = 0x64
LIBVM_PORT_DEBUG_EXIT = 0xF4
LIBVM_PORT_BOOT_MARKER = 0xF6
LIBVM_PORT_SLEEP_CTL = 0x600
LIBVM_PORT_SLEEP_STS = 0x601
LIBVM_ACPI_S5_TYPE = 5
LIBVM_PLAT_TABLES_GPA = 0xE0000
LIBVM_PLAT_TABLES_SIZE = 0x20000
LIBVM_PLAT_MMIO_BASE = 0xC0000000
LIBVM_PLAT_MMIO_SIZE = 0x3EC00000
LIBVM_PLAT_MAX_CPUS = 64
LIBVM_PLATFORM_CONFIG_VERSION = 1
LIBVM_PLAT_IRQ_LEVEL = 1 << 0
LIBVM_PLAT_IRQ_LOW = 1 << 1
LIBVM_PLAT_END_NONE = 0
LIBVM_PLAT_END_DEBUG_EXIT = 1
LIBVM_PLAT_END_POWEROFF = 2
LIBVM_PLAT_END_RESET = 3

# ---- machine.h ------------------------------------------------------------

LIBVM_MACHINE_CONFIG_VERSION = 1
LIBVM_MACHINE_LOW_RAM = 0xC0000000
LIBVM_MACHINE_BZIMAGE_AS_IS = 1 << 0
LIBVM_MACHINE_RUNNING = 0
LIBVM_MACHINE_DEBUG_EXIT = 1
LIBVM_MACHINE_POWEROFF = 2
LIBVM_MACHINE_RESET = 3
LIBVM_MACHINE_TRIPLE_FAULT = 4
LIBVM_MACHINE_GUEST_EXIT = 5
LIBVM_MACHINE_CRASH = 6
LIBVM_MACHINE_TIMEOUT = 7
LIBVM_MACHINE_CANCELLED = 8
LIBVM_MACHINE_ERROR = 9

# ---- virtio.h -------------------------------------------------------------

LIBVM_VIRTIO_ID_NET = 1
LIBVM_VIRTIO_ID_BLOCK = 2
LIBVM_VIRTIO_ID_CONSOLE = 3
LIBVM_VIRTIO_ID_RNG = 4
LIBVM_VIRTIO_F_INDIRECT_DESC = 1 << 28
LIBVM_VIRTIO_F_EVENT_IDX = 1 << 29
LIBVM_VIRTIO_F_VERSION_1 = 1 << 32
LIBVM_VIRTIO_S_ACKNOWLEDGE = 0x01
LIBVM_VIRTIO_S_DRIVER = 0x02
LIBVM_VIRTIO_S_DRIVER_OK = 0x04
LIBVM_VIRTIO_S_FEATURES_OK = 0x08
LIBVM_VIRTIO_S_NEEDS_RESET = 0x40
LIBVM_VIRTIO_S_FAILED = 0x80
LIBVM_VIRTIO_MMIO_SIZE = 0x200
LIBVM_VIRTIO_MMIO_MAGIC = 0x74726976
LIBVM_VIRTIO_MMIO_VERSION = 2
LIBVM_VIRTIO_CONFIG_MAX = 0x100
LIBVM_VIRTIO_MAX_QUEUES = 16
LIBVM_VIRTIO_QUEUE_MAX = 32768
LIBVM_VIRTIO_NO_GSI = 0xffffffff
LIBVM_VIRTIO_EV_QUEUE = 0
LIBVM_VIRTIO_EV_FD = 1
LIBVM_VIRTIO_EV_RESET = 2
LIBVM_VIRTIO_EV_READY = 3
LIBVM_VIRTIO_EV_CONFIG = 4
LIBVM_VIRTIO_TRAP_NOTIFY = 1 << 0
LIBVM_VIRTIO_CONFIG_VERSION = 1
LIBVM_VIRTIO_STATS_VERSION = 1
LIBVM_VIRTQ_READABLE = 0
LIBVM_VIRTQ_WRITABLE = 1
LIBVM_VIRTIO_BLK_READONLY = 1 << 0
LIBVM_VIRTIO_BLK_CONFIG_VERSION = 1
LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION = 1
LIBVM_VIRTIO_RNG_CONFIG_VERSION = 1

# ---- structs ----------------------------------------------------------------


class libvm_vm_config(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("kick_signal", c_int32), ("max_vcpus", c_uint32),
                ("kvm_path", c_char_p)]


class libvm_host_info(Structure):
    _fields_ = [("version", c_uint32), ("kvm_api_version", c_uint32),
                ("caps", c_uint64), ("supervisor", c_uint32),
                ("max_vcpus", c_uint32), ("max_memslots", c_uint32),
                ("phys_bits", c_uint32), ("backend", c_char * 16),
                ("xsave_size", c_uint32), ("reserved", c_uint32 * 7)]


REG_NAMES = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
             "rip", "rflags")


class libvm_regs(Structure):
    _fields_ = [(n, c_uint64) for n in REG_NAMES]


class libvm_segment(Structure):
    _fields_ = [("base", c_uint64), ("limit", c_uint32),
                ("selector", c_uint16)] + [
        (n, c_uint8) for n in ("type", "present", "dpl", "db", "s", "l",
                               "g", "avl", "unusable", "padding")]


class libvm_dtable(Structure):
    _fields_ = [("base", c_uint64), ("limit", c_uint16),
                ("padding", c_uint16 * 3)]


class libvm_sregs(Structure):
    _fields_ = [(n, libvm_segment) for n in
                ("cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt")] + [
        ("gdt", libvm_dtable), ("idt", libvm_dtable)] + [
        (n, c_uint64) for n in ("cr0", "cr2", "cr3", "cr4", "cr8", "efer",
                                "apic_base")] + [
        ("interrupt_bitmap", c_uint64 * 4)]


class libvm_fpu(Structure):
    _fields_ = [("fpr", (c_uint8 * 16) * 8), ("fcw", c_uint16),
                ("fsw", c_uint16), ("ftwx", c_uint8), ("pad1", c_uint8),
                ("last_opcode", c_uint16), ("last_ip", c_uint64),
                ("last_dp", c_uint64), ("xmm", (c_uint8 * 16) * 16),
                ("mxcsr", c_uint32), ("pad2", c_uint32)]


class libvm_cpuid_entry(Structure):
    _fields_ = [(n, c_uint32) for n in ("function", "index", "flags", "eax",
                                        "ebx", "ecx", "edx")] + [
        ("padding", c_uint32 * 3)]


class _exit_io(Structure):
    _fields_ = [("port", c_uint16), ("size", c_uint8),
                ("direction", c_uint8), ("count", c_uint32),
                ("data", POINTER(c_uint8))]


class _exit_mmio(Structure):
    _fields_ = [("gpa", c_uint64), ("size", c_uint32),
                ("direction", c_uint8), ("pad", c_uint8 * 3),
                ("data", POINTER(c_uint8))]


class _exit_fail_entry(Structure):
    _fields_ = [("hardware_reason", c_uint64), ("cpu", c_uint32)]


class _exit_internal(Structure):
    _fields_ = [("suberror", c_uint32), ("ndata", c_uint32),
                ("data", c_uint64 * 16)]


class _exit_debug(Structure):
    _fields_ = [("exception", c_uint32), ("pad", c_uint32),
                ("pc", c_uint64), ("dr6", c_uint64), ("dr7", c_uint64)]


class _exit_stop(Structure):
    _fields_ = [("space", c_uint32), ("code", c_int32), ("addr", c_uint64),
                ("value", c_uint64)]


class _exit_system(Structure):
    _fields_ = [("type", c_uint32), ("ndata", c_uint32),
                ("data", c_uint64 * 16)]


class _exit_exception(Structure):
    _fields_ = [("vector", c_uint32), ("has_error_code", c_uint32),
                ("error_code", c_uint64), ("rip", c_uint64), ("cs", c_uint64),
                ("rflags", c_uint64), ("rsp", c_uint64), ("cr2", c_uint64)]


class _exit_guest_exit(Structure):
    _fields_ = [("code", c_int64)]


class _exit_ret(Structure):
    _fields_ = [("value", c_uint64)]


class _exit_u(Union):
    _fields_ = [("io", _exit_io), ("mmio", _exit_mmio),
                ("fail_entry", _exit_fail_entry),
                ("internal", _exit_internal), ("debug", _exit_debug),
                ("stop", _exit_stop), ("system", _exit_system),
                ("exception", _exit_exception),
                ("guest_exit", _exit_guest_exit), ("ret", _exit_ret),
                ("reserved", c_uint8 * 256)]


class libvm_exit(Structure):
    _fields_ = [("reason", c_uint32), ("kvm_reason", c_uint32),
                ("u", _exit_u)]


class libvm_long_mode(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("sys_gpa", c_uint64), ("map_size", c_uint64)]


class libvm_elf_options(Structure):
    _fields_ = [("version", c_uint32), ("long_mode_flags", c_uint32),
                ("ram_size", c_uint64), ("sys_gpa", c_uint64),
                ("stack_top", c_uint64), ("scratch_gpa", c_uint64),
                ("scratch_size", c_uint64), ("load_flags", c_uint32),
                ("reserved", c_uint32),
                ("vm_config", POINTER(libvm_vm_config))]


# int (*)(libvm_linux *, uint64_t nr, const uint64_t args[6], int64_t *ret,
#         void *opaque)
libvm_linux_hook_fn = CFUNCTYPE(c_int, c_void_p, c_uint64, POINTER(c_uint64),
                                POINTER(c_int64), c_void_p)
# void (*)(libvm_linux *, uint64_t nr, void *opaque)
libvm_linux_log_fn = CFUNCTYPE(None, c_void_p, c_uint64, c_void_p)


class libvm_linux_config(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("mem_size", c_uint64), ("stack_size", c_uint64),
                ("root", c_char_p), ("stdin_fd", c_int),
                ("stdout_fd", c_int), ("stderr_fd", c_int),
                ("envp", POINTER(c_char_p)),
                ("hook", libvm_linux_hook_fn), ("hook_opaque", c_void_p),
                ("log", libvm_linux_log_fn), ("log_opaque", c_void_p)]


class libvm_fuzz_result(Structure):
    _fields_ = [("outcome", c_uint32), ("flags", c_uint32), ("ret", c_uint64),
                ("exit", libvm_exit)]


# cmplog.h: the comparison log a coverage-instrumented guest fills in (in
# guest memory; read it with from_buffer on a view of that memory).


class libvm_cmp_entry(Structure):
    _fields_ = [("a", c_uint64), ("b", c_uint64), ("pc", c_uint32),
                ("size", c_uint8), ("flags", c_uint8),
                ("reserved", c_uint16)]


class libvm_cmp_log(Structure):
    # entries[] is C's flexible array member: cap entries follow the header.
    _fields_ = [("count", c_uint32), ("cap", c_uint32),
                ("reserved", c_uint64), ("entries", libvm_cmp_entry * 0)]


# boot.h


class libvm_mem_range(Structure):
    _fields_ = [("base", c_uint64), ("len", c_uint64), ("type", c_uint32),
                ("reserved", c_uint32)]


class libvm_boot_module(Structure):
    _fields_ = [("path", c_char_p), ("data", c_void_p), ("len", c_uint64),
                ("string", c_char_p)]


class libvm_boot_config(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("kernel_path", c_char_p), ("kernel_data", c_void_p),
                ("kernel_len", c_uint64), ("cmdline", c_char_p),
                ("modules", POINTER(libvm_boot_module)),
                ("nmodules", c_uint32), ("nreserved", c_uint32),
                ("reserved", POINTER(libvm_mem_range)),
                ("acpi_rsdp", c_uint64), ("kind", c_uint32)]


class libvm_boot_range(Structure):
    _fields_ = [("gpa", c_uint64), ("len", c_uint64), ("what", c_uint32),
                ("index", c_uint32)]
# platform.h and machine.h; console output is libvm_console_fn's shape.
_console_fn_t = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)


class libvm_platform_config(Structure):
    _fields_ = [("version", c_uint32), ("devices", c_uint32),
                ("ncpus", c_uint32), ("uart_in_fd", c_int32),
                ("uart_out_fd", c_int32), ("reserved0", c_uint32),
                ("uart_out", _console_fn_t), ("uart_opaque", c_void_p),
                ("tables_gpa", c_uint64), ("tables_size", c_uint64),
                ("mmio_base", c_uint64), ("mmio_size", c_uint64),
                ("epoch_ns", c_uint64)]


class libvm_platform_status(Structure):
    _fields_ = [("end", c_uint32), ("status", c_uint32),
                ("marker_ns", c_uint64), ("markers", c_uint64),
                ("marker_value", c_uint32), ("reserved", c_uint32 * 9)]


class libvm_machine_config(Structure):
    _fields_ = [("version", c_uint32), ("ncpus", c_uint32),
                ("mem_size", c_uint64), ("kernel_path", c_char_p),
                ("kernel_data", c_void_p), ("kernel_len", c_uint64),
                ("cmdline", c_char_p), ("initrd_paths", POINTER(c_char_p)),
                ("ninitrds", c_uint32), ("console_in_fd", c_int32),
                ("console_out_fd", c_int32), ("flags", c_uint32),
                ("console_out", _console_fn_t), ("console_opaque", c_void_p),
                ("timeout_ns", c_uint64), ("cache_dir", c_char_p)]


class libvm_machine_result(Structure):
    _fields_ = [("end", c_uint32), ("status", c_int32), ("vcpu", c_uint32),
                ("reserved0", c_uint32), ("boot_marker_ns", c_uint64),
                ("run_ns", c_uint64), ("exit", libvm_exit)]

# virtio.h


class libvm_virtio_config(Structure):
    # event is a libvm_virtio_event_fn (see below), kept as a pointer.
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("device_id", c_uint32), ("num_queues", c_uint32),
                ("queue_size", c_uint32), ("config_size", c_uint32),
                ("config", c_void_p), ("features", c_uint64),
                ("mmio_base", c_uint64), ("gsi", c_uint32),
                ("reserved", c_uint32), ("event", c_void_p),
                ("opaque", c_void_p)]


class libvm_virtio_stats(Structure):
    _fields_ = [("version", c_uint32), ("reserved", c_uint32),
                ("mmio_exits", c_uint64), ("kicks", c_uint64),
                ("chains", c_uint64), ("interrupts", c_uint64),
                ("needs_reset", c_uint64)]


class libvm_virtq_seg(Structure):
    _fields_ = [("addr", c_void_p), ("len", c_uint64)]


class libvm_virtio_blk_config(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("path", c_char_p), ("serial", c_char_p),
                ("mmio_base", c_uint64), ("gsi", c_uint32),
                ("queue_size", c_uint32)]


class libvm_virtio_console_config(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("in_fd", c_int32), ("out_fd", c_int32),
                ("mmio_base", c_uint64), ("gsi", c_uint32),
                ("reserved", c_uint32)]


class libvm_virtio_rng_config(Structure):
    _fields_ = [("version", c_uint32), ("flags", c_uint32),
                ("mmio_base", c_uint64), ("gsi", c_uint32),
                ("reserved", c_uint32)]


# Every public struct, by its C name (the ABI test walks this).
STRUCTS: Dict[str, type] = {
    t.__name__: t for t in (
        libvm_vm_config, libvm_host_info, libvm_regs, libvm_segment,
        libvm_dtable, libvm_sregs, libvm_fpu, libvm_cpuid_entry, libvm_exit,
        libvm_long_mode, libvm_elf_options, libvm_fuzz_result,
        libvm_cmp_entry, libvm_cmp_log, libvm_linux_config, libvm_mem_range,
        libvm_boot_module, libvm_boot_config, libvm_boot_range,
        libvm_platform_config, libvm_platform_status, libvm_machine_config,
        libvm_machine_result,
        libvm_virtio_config, libvm_virtio_stats, libvm_virtq_seg,
        libvm_virtio_blk_config, libvm_virtio_console_config,
        libvm_virtio_rng_config)}

# ---- callbacks ----------------------------------------------------------------

# int (*)(libvm_vcpu *, uint64_t addr, void *data, uint32_t size,
#         uint32_t direction, void *opaque)
libvm_trap_fn = CFUNCTYPE(c_int, c_void_p, c_uint64, c_void_p, c_uint32,
                          c_uint32, c_void_p)
# int (*)(libvm_vcpu *, uint64_t nr, const uint64_t args[6], uint64_t *ret,
#         void *opaque)
libvm_hypercall_fn = CFUNCTYPE(c_int, c_void_p, c_uint64, POINTER(c_uint64),
                               POINTER(c_uint64), c_void_p)
# void (*)(const char *buf, size_t len, void *opaque)
libvm_console_fn = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
# void (*)(void *opaque)
libvm_restored_fn = CFUNCTYPE(None, c_void_p)
# void (*)(libvm_virtio_dev *, uint32_t event, uint32_t arg, void *opaque)
libvm_virtio_event_fn = CFUNCTYPE(None, c_void_p, c_uint32, c_uint32,
                                  c_void_p)

# ---- prototypes -------------------------------------------------------------

_p = POINTER
_vp = c_void_p
_u64p = _p(c_uint64)

# name -> (restype, argtypes), in header order.  Handles are c_void_p.
FUNCTIONS: Dict[str, Tuple[object, List[object]]] = {
    # common.h
    "libvm_version": (c_char_p, []),
    "libvm_version_num": (c_uint32, []),
    "libvm_strerror": (c_char_p, [c_int]),
    "libvm_last_error": (c_char_p, []),
    # host.h
    "libvm_host_info_init": (c_int, [_p(libvm_host_info), c_uint32]),
    "libvm_host_query": (c_int, [_p(libvm_host_info), c_char_p]),
    # vm.h
    "libvm_vm_config_init": (c_int, [_p(libvm_vm_config), c_uint32]),
    "libvm_vm_create": (c_int, [_p(_vp), _p(libvm_vm_config)]),
    "libvm_vm_destroy": (None, [_vp]),
    "libvm_vm_irq_line": (c_int, [_vp, c_uint32, c_int]),
    "libvm_vm_vcpu": (_vp, [_vp, c_uint32]),
    "libvm_vm_needs_restore": (c_int, [_vp]),
    # memory.h
    "libvm_mem_map_anon": (c_int, [_vp, c_uint64, c_uint64, c_uint32]),
    "libvm_mem_map_host": (c_int, [_vp, c_uint64, _vp, c_uint64, c_uint32]),
    "libvm_mem_map_fd": (c_int, [_vp, c_uint64, c_int, c_uint64, c_uint64,
                                 c_uint32]),
    "libvm_mem_unmap": (c_int, [_vp, c_uint64]),
    "libvm_mem_ptr": (c_int, [_p(_vp), _vp, c_uint64, c_uint64]),
    "libvm_mem_read": (c_int, [_vp, c_uint64, _vp, c_uint64]),
    "libvm_mem_write": (c_int, [_vp, c_uint64, _vp, c_uint64]),
    "libvm_mem_translate": (c_int, [_u64p, _p(c_uint32), _u64p, _vp,
                                    c_uint64, c_uint64]),
    # exit.h
    "libvm_exit_reason_name": (c_char_p, [c_uint32]),
    # vcpu.h
    "libvm_vcpu_create": (c_int, [_p(_vp), _vp, c_uint32]),
    "libvm_vcpu_destroy": (None, [_vp]),
    "libvm_vcpu_vm": (_vp, [_vp]),
    "libvm_vcpu_id": (c_uint32, [_vp]),
    "libvm_vcpu_get_regs": (c_int, [_p(libvm_regs), _vp]),
    "libvm_vcpu_set_regs": (c_int, [_vp, _p(libvm_regs)]),
    "libvm_vcpu_get_sregs": (c_int, [_p(libvm_sregs), _vp]),
    "libvm_vcpu_set_sregs": (c_int, [_vp, _p(libvm_sregs)]),
    "libvm_vcpu_get_fpu": (c_int, [_p(libvm_fpu), _vp]),
    "libvm_vcpu_set_fpu": (c_int, [_vp, _p(libvm_fpu)]),
    "libvm_vcpu_xsave_size": (c_uint32, [_vp]),
    "libvm_vcpu_get_xsave": (c_int, [_vp, _vp, c_uint32]),
    "libvm_vcpu_set_xsave": (c_int, [_vp, _vp, c_uint32]),
    "libvm_vcpu_get_xcr": (c_int, [_u64p, _vp, c_uint32]),
    "libvm_vcpu_set_xcr": (c_int, [_vp, c_uint32, c_uint64]),
    "libvm_vcpu_get_msr": (c_int, [_u64p, _vp, c_uint32]),
    "libvm_vcpu_set_msr": (c_int, [_vp, c_uint32, c_uint64]),
    "libvm_vcpu_get_cpuid": (c_int, [_vp, _p(libvm_cpuid_entry),
                                     _p(c_uint32)]),
    "libvm_vcpu_set_cpuid": (c_int, [_vp, _p(libvm_cpuid_entry), c_uint32]),
    "libvm_vcpu_interrupt": (c_int, [_vp, c_uint32]),
    "libvm_vcpu_run": (c_int, [_p(libvm_exit), _vp, c_uint64]),
    "libvm_vcpu_cancel": (c_int, [_vp]),
    # device.h
    "libvm_trap_register": (c_int, [_vp, c_uint32, c_uint64, c_uint64,
                                    libvm_trap_fn, _vp]),
    "libvm_trap_unregister": (c_int, [_vp, c_uint32, c_uint64]),
    "libvm_device_state_register": (c_int, [_vp, c_char_p, _vp, c_uint32,
                                            libvm_restored_fn, _vp]),
    "libvm_device_state_unregister": (c_int, [_vp, c_char_p]),
    "libvm_vm_ioeventfd": (c_int, [_vp, c_int, c_uint32, c_uint64, c_uint32,
                                   c_uint64, c_uint32]),
    "libvm_vm_irqfd": (c_int, [_vp, c_int, c_uint32, c_uint32]),
    # loader.h
    "libvm_image_load_file": (c_int, [_p(_vp), _vp, c_char_p, c_uint32]),
    "libvm_image_load_mem": (c_int, [_p(_vp), _vp, _vp, c_size_t, c_uint32]),
    "libvm_image_destroy": (None, [_vp]),
    "libvm_image_entry": (c_uint64, [_vp]),
    "libvm_image_class": (c_uint32, [_vp]),
    "libvm_image_extent": (c_int, [_u64p, _u64p, _vp]),
    "libvm_image_symbol": (c_int, [_u64p, _vp, c_char_p]),
    # mode.h
    "libvm_vcpu_set_real_mode": (c_int, [_vp, c_uint16, c_uint16, c_uint16]),
    "libvm_vcpu_set_protected_mode": (c_int, [_vp, c_uint32, c_uint32]),
    "libvm_long_mode_init": (c_int, [_p(libvm_long_mode), c_uint32]),
    "libvm_long_mode_setup": (c_int, [_vp, _p(libvm_long_mode)]),
    "libvm_vcpu_set_long_mode": (c_int, [_vp, c_uint64, c_uint64]),
    # call.h
    "libvm_hypercall_register": (c_int, [_vp, c_uint32, libvm_hypercall_fn,
                                         _vp]),
    "libvm_hypercall_unregister": (c_int, [_vp, c_uint32]),
    "libvm_console_attach": (c_int, [_vp, libvm_console_fn, _vp]),
    "libvm_call": (c_int, [_u64p, _p(libvm_exit), _vp, c_uint64, _u64p,
                           c_uint32, c_uint64]),
    "libvm_scratch_set": (c_int, [_vp, c_uint64, c_uint64]),
    "libvm_scratch_push": (c_int, [_u64p, _vp, _vp, c_uint64]),
    "libvm_scratch_reset": (None, [_vp]),
    "libvm_elf_options_init": (c_int, [_p(libvm_elf_options), c_uint32]),
    "libvm_vm_open_elf": (c_int, [_p(_vp), _p(_vp), _p(_vp), c_char_p,
                                  _p(libvm_elf_options)]),
    "libvm_syscall_handler_set": (c_int, [_vp, libvm_hypercall_fn, _vp]),
    # linuxprog.h
    "libvm_linux_config_init": (c_int, [_p(libvm_linux_config), c_uint32]),
    "libvm_linux_create": (c_int, [_p(_vp), c_char_p, c_int, _p(c_char_p),
                                   _p(libvm_linux_config)]),
    "libvm_linux_destroy": (None, [_vp]),
    "libvm_linux_run": (c_int, [_p(libvm_exit), _vp, c_uint64]),
    "libvm_linux_vm": (_vp, [_vp]),
    "libvm_linux_vcpu": (_vp, [_vp]),
    "libvm_linux_fork": (c_int, [_p(_vp), _vp, _vp]),
    # snapshot.h
    "libvm_snapshot_take": (c_int, [_p(_vp), _vp]),
    "libvm_snapshot_destroy": (None, [_vp]),
    "libvm_snapshot_restore": (c_int, [_vp, _vp]),
    "libvm_vm_fork": (c_int, [_p(_vp), _vp]),
    "libvm_snapshot_save": (c_int, [_vp, c_char_p]),
    "libvm_snapshot_load": (c_int, [_p(_vp), c_char_p]),
    # fuzz.h
    "libvm_fuzz_exec": (c_int, [_p(libvm_fuzz_result), _vp, _vp, c_uint64,
                                c_uint64, c_uint64, _vp, c_uint64,
                                c_uint64]),
    # platform.h
    "libvm_platform_config_init": (c_int, [_p(libvm_platform_config),
                                           c_uint32]),
    "libvm_platform_create": (c_int, [_p(_vp), _vp,
                                      _p(libvm_platform_config)]),
    "libvm_platform_destroy": (None, [_vp]),
    "libvm_platform_vcpu_init": (c_int, [_vp, _vp]),
    "libvm_platform_alloc_mmio": (c_int, [_vp, c_uint64, _u64p]),
    "libvm_platform_alloc_gsi": (c_int, [_vp, _p(c_uint32)]),
    "libvm_platform_acpi_device": (c_int, [_vp, c_char_p, c_uint64,
                                           c_uint64, c_uint32, c_uint32]),
    "libvm_platform_write_tables": (c_int, [_vp, _u64p]),
    "libvm_platform_uart_input": (c_int64, [_vp, _vp, c_size_t]),
    "libvm_platform_status_get": (c_int, [_vp,
                                          _p(libvm_platform_status)]),
    # machine.h
    "libvm_machine_config_init": (c_int, [_p(libvm_machine_config),
                                          c_uint32]),
    "libvm_machine_end_name": (c_char_p, [c_uint32]),
    "libvm_machine_create": (c_int, [_p(_vp), _p(libvm_machine_config)]),
    "libvm_machine_start": (c_int, [_vp]),
    "libvm_machine_wait": (c_int, [_vp, _p(libvm_machine_result)]),
    "libvm_machine_run": (c_int, [_vp, _p(libvm_machine_result)]),
    "libvm_machine_cancel": (c_int, [_vp]),
    "libvm_machine_destroy": (None, [_vp]),
    "libvm_machine_vm": (_vp, [_vp]),
    "libvm_machine_platform": (_vp, [_vp]),
    # boot.h
    "libvm_boot_config_init": (c_int, [_p(libvm_boot_config), c_uint32]),
    "libvm_kernel_probe": (c_int, [_vp, c_size_t, _p(c_uint32)]),
    "libvm_kernel_probe_file": (c_int, [c_char_p, _p(c_uint32)]),
    "libvm_boot_load": (c_int, [_p(_vp), _vp, _p(libvm_boot_config)]),
    "libvm_boot_enter": (c_int, [_vp, _vp]),
    "libvm_boot_destroy": (None, [_vp]),
    "libvm_boot_kind": (c_uint32, [_vp]),
    "libvm_boot_entry": (c_uint64, [_vp]),
    "libvm_boot_ranges": (c_int, [_vp, _p(libvm_boot_range), _p(c_uint32)]),
    "libvm_boot_memmap": (c_int, [_vp, _p(libvm_mem_range), _p(c_uint32)]),

    # virtio.h
    "libvm_virtio_config_init": (c_int, [_p(libvm_virtio_config), c_uint32]),
    "libvm_virtio_create": (c_int, [_p(_vp), _vp, _p(libvm_virtio_config)]),
    "libvm_virtio_destroy": (None, [_vp]),
    "libvm_virtio_pop": (c_int, [_p(_vp), _vp, c_uint32]),
    "libvm_virtio_push": (c_int, [_vp, _vp]),
    "libvm_virtio_notify": (c_int, [_vp, c_uint32]),
    "libvm_virtio_config_read": (c_int, [_vp, c_uint32, _vp, c_uint32]),
    "libvm_virtio_config_write": (c_int, [_vp, c_uint32, _vp, c_uint32]),
    "libvm_virtio_watch_fd": (c_int, [_vp, c_int, c_int]),
    "libvm_virtio_features": (c_uint64, [_vp]),
    "libvm_virtio_status": (c_uint32, [_vp]),
    "libvm_virtio_stats_get": (c_int, [_vp, _p(libvm_virtio_stats)]),
    "libvm_virtq_len": (c_uint64, [_vp, c_uint32]),
    "libvm_virtq_read": (c_int64, [_vp, _vp, c_uint64]),
    "libvm_virtq_write": (c_int64, [_vp, _vp, c_uint64]),
    "libvm_virtq_map": (c_int, [_vp, c_uint32, c_uint64, _p(libvm_virtq_seg),
                                c_uint32]),
    "libvm_virtq_seek": (c_int, [_vp, c_uint32, c_uint64]),
    "libvm_virtq_written": (c_uint64, [_vp]),
    "libvm_virtq_queue": (c_uint32, [_vp]),
    "libvm_virtio_blk_config_init": (c_int, [_p(libvm_virtio_blk_config),
                                             c_uint32]),
    "libvm_virtio_blk_create": (c_int, [_p(_vp), _vp,
                                        _p(libvm_virtio_blk_config)]),
    "libvm_virtio_console_config_init": (
        c_int, [_p(libvm_virtio_console_config), c_uint32]),
    "libvm_virtio_console_create": (c_int, [_p(_vp), _vp,
                                            _p(libvm_virtio_console_config)]),
    "libvm_virtio_rng_config_init": (c_int, [_p(libvm_virtio_rng_config),
                                             c_uint32]),
    "libvm_virtio_rng_create": (c_int, [_p(_vp), _vp,
                                        _p(libvm_virtio_rng_config)]),
    "libvm_virtio_alloc": (c_int, [_vp, _u64p, _p(c_uint32)]),
    "libvm_virtio_announce": (c_int, [_vp, _vp]),
}

# ---- loading the shared library --------------------------------------------


class LibraryNotFoundError(OSError):
    """The libvm shared library could not be loaded.

    ``tried`` lists every candidate with the reason it failed.
    """

    def __init__(self, tried: List[Tuple[str, str]]) -> None:
        self.tried = tried
        lines = "\n".join(f"  {path}: {why}" for path, why in tried)
        super().__init__(
            "cannot load the libvm shared library; tried:\n" + lines +
            "\nset LIBVM_LIBRARY to the path of libvm.so.1 or build it "
            "with `make`")


def repo_root() -> pathlib.Path:
    """The source tree this package sits in (bindings/python/libvm/..)."""
    return pathlib.Path(__file__).resolve().parents[3]


def candidates() -> List[str]:
    """Where the library is looked for, in order."""
    out = []
    env = os.environ.get("LIBVM_LIBRARY")
    if env:
        out.append(env)
    out.append(str(repo_root() / "build" / "lib" / "libvm.so.1"))
    found = ctypes.util.find_library("vm")
    if found:
        out.append(found)
    out.append("libvm.so.1")  # the dynamic loader's own search path
    return out


_lib: Optional[ctypes.CDLL] = None
_lib_lock = threading.Lock()
_missing: List[str] = []


def _declare(lib: ctypes.CDLL) -> None:
    for name, (res, args) in FUNCTIONS.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            _missing.append(name)   # e.g. an older library without snapshots
            continue
        fn.restype = res
        fn.argtypes = args


def load() -> ctypes.CDLL:
    """Load (once) and return the libvm shared library."""
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        tried: List[Tuple[str, str]] = []
        for path in candidates():
            if os.sep in path and not os.path.exists(path):
                tried.append((path, "no such file"))
                continue
            try:
                lib = ctypes.CDLL(path)
                lib.libvm_version  # not some other libvm
            except (OSError, AttributeError) as e:
                tried.append((path, str(e)))
                continue
            _declare(lib)
            lib._libvm_path = path  # type: ignore[attr-defined]
            _lib = lib
            return lib
        raise LibraryNotFoundError(tried)


def has(name: str) -> bool:
    """Whether the loaded library exports function ``name``."""
    load()
    return name not in _missing
