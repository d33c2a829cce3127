/* SPDX-License-Identifier: MIT */
/*
 * libvm: putting a vCPU into a CPU mode so compiled code runs unchanged.
 *
 * Long mode is the one for guest programs and functions: libvm builds
 * identity-mapped page tables, a GDT, per-vCPU TSSs, an IDT whose entry
 * points report exceptions to the host (LIBVM_EXIT_EXCEPTION), and enables
 * SSE/AVX (CR4 and XCR0 from what the host supports).  Guest code runs in
 * user mode (CPL3) with IOPL 3 unless LIBVM_LONG_SUPERVISOR is set, so
 * hypercalls exit straight from user mode.  On hosts without hardware
 * virtualization (PVM) this is the difference between native speed and
 * emulation; on VT-x/AMD-V it costs nothing.
 */
#ifndef LIBVM_MODE_H
#define LIBVM_MODE_H

#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Real mode: CS=cs (base cs*16), DS/ES/SS/FS/GS the same, IP=ip, SP=sp. */
LIBVM_API int libvm_vcpu_set_real_mode(libvm_vcpu *vcpu, uint16_t cs,
				       uint16_t ip, uint16_t sp);
/*
 * 32-bit flat protected mode at CPL0: 4 GiB code and data segments based
 * at 0, paging off, SSE enabled.  No IDT: an exception shuts the VM down.
 */
LIBVM_API int libvm_vcpu_set_protected_mode(libvm_vcpu *vcpu, uint32_t eip,
					    uint32_t esp);

/* Bytes of guest RAM libvm_long_mode_setup() takes for its tables. */
#define LIBVM_SYS_SIZE		0x80000ull
/* vCPUs (ids 0..15) that can enter the long-mode environment. */
#define LIBVM_LONG_MAX_VCPUS	16

/* libvm_long_mode.flags */
#define LIBVM_LONG_SUPERVISOR	(1u << 0) /* run guest code at CPL0 */
#define LIBVM_LONG_1G_PAGES	(1u << 1) /* map with 1 GiB pages */
/*
 * User-mode SYSCALL exits to the host (LIBVM_PORT_SYSCALL) and is served
 * by the handler of libvm_syscall_handler_set(), <libvm/call.h>.
 */
#define LIBVM_LONG_SYSCALL	(1u << 2)

#define LIBVM_LONG_MODE_VERSION 1

typedef struct libvm_long_mode {
	uint32_t version;	/* LIBVM_LONG_MODE_VERSION */
	uint32_t flags;		/* LIBVM_LONG_* */
	/* LIBVM_SYS_SIZE bytes of guest RAM for tables and entry points. */
	uint64_t sys_gpa;
	/*
	 * Identity-map [0, map_size) (rounded up to the page size); 0 maps
	 * up to the end of the highest RAM region.  At most 64 GiB with
	 * 2 MiB pages, 512 GiB with 1 GiB pages.
	 */
	uint64_t map_size;
} libvm_long_mode;

#define LIBVM_LONG_MODE_INIT { LIBVM_LONG_MODE_VERSION, 0, 0, 0 }

/* Fill *cfg with the defaults of its version (see libvm_vm_config_init). */
LIBVM_API int libvm_long_mode_init(libvm_long_mode *cfg, uint32_t version);

/*
 * Write the long-mode environment into guest RAM at cfg->sys_gpa and turn
 * on the runtime ports (hypercalls, call returns, exception reports) of
 * this VM.  sys_gpa: 4 KiB aligned, LIBVM_SYS_SIZE bytes inside one
 * writable RAM region that the guest program does not use (1 MiB, below
 * gcc's default link address of 4 MiB, is the usual place).  Call it once
 * the RAM is mapped, and again to rebuild it (e.g. after RAM was added).
 * README.md, "Running a guest program", has the whole layout.
 */
LIBVM_API int libvm_long_mode_setup(libvm_vm *vm, const libvm_long_mode *cfg);

/*
 * Put vcpu into the VM's long-mode environment at rip with stack rsp (the
 * stack libvm_call() uses too; it grows down from rsp, which must lie in
 * mapped RAM).  rip is where the next libvm_vcpu_run() starts: the
 * image's entry point runs _start and main().  libvm_call() does not use
 * it.  Needs libvm_long_mode_setup() first.
 */
LIBVM_API int libvm_vcpu_set_long_mode(libvm_vcpu *vcpu, uint64_t rip,
				       uint64_t rsp);

#ifdef __cplusplus
}
#endif
#endif
