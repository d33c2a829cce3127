/* SPDX-License-Identifier: MIT */
/*
 * libvm: the machine -- a whole virtual PC in one object.
 *
 * libvm_machine_create() builds a VM with RAM (split around a hole below
 * 4 GiB for MMIO when it is larger than 3 GiB), the in-kernel interrupt
 * controllers and PIT, the platform (<libvm/platform.h>: UART, RTC,
 * i8042, debug exit, boot marker, ACPI tables, CPUID topology) and
 * ncpus vCPUs.  libvm_machine_start() writes the ACPI tables, loads the
 * kernel and runs each vCPU on a thread of its own; the guest brings up
 * the other vCPUs itself (INIT/SIPI: they start waiting for it).
 * libvm_machine_wait() returns when the guest ends -- debug exit, power
 * off, reset, triple fault, crash -- or the time budget runs out, or
 * libvm_machine_cancel() is called from any thread, and says how in a
 * libvm_machine_result.  Machines are independent: a process may run any
 * number at once.
 *
 * Kernels, told apart by their contents: a Linux bzImage (its vmlinux
 * unpacked on the host and booted through PVH where it can be: see
 * LIBVM_MACHINE_BZIMAGE_AS_IS), an ELF vmlinux with a PVH note, a
 * multiboot kernel (boot protocols: lib/boot), and two kinds of bare ELF
 * guest:
 *   - ELF64: loaded by libvm's ELF loader and run in libvm's long-mode
 *     environment (<libvm/mode.h>) at its entry point, in user mode, on
 *     vCPU 0; its console hypercalls (libvm_guest_write) go to the
 *     console output, libvm_guest_exit ends the machine with
 *     LIBVM_MACHINE_GUEST_EXIT;
 *   - ELF32: loaded at its physical addresses and entered in 32-bit flat
 *     protected mode at CPL0 (paging off, no IDT; ESP 0x90000) on vCPU 0.
 */
#ifndef LIBVM_MACHINE_H
#define LIBVM_MACHINE_H

#include <libvm/platform.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_machine libvm_machine;

#define LIBVM_MACHINE_CONFIG_VERSION 1
/* RAM below 4 GiB at most; the rest goes above 4 GiB. */
#define LIBVM_MACHINE_LOW_RAM	0xc0000000ull

/*
 * Versioned: initialize with LIBVM_MACHINE_CONFIG_INIT or
 * libvm_machine_config_init(); fields are only ever appended.  The
 * strings and the kernel buffer must stay valid until
 * libvm_machine_start() returns.
 */
typedef struct libvm_machine_config {
	uint32_t version;	/* LIBVM_MACHINE_CONFIG_VERSION */
	uint32_t ncpus;		/* 1..LIBVM_PLAT_MAX_CPUS */
	uint64_t mem_size;	/* bytes of RAM (MiB multiple, >= 16 MiB) */
	/* The kernel: a file, or a buffer (kernel_path NULL). */
	const char *kernel_path;
	const void *kernel_data;
	uint64_t kernel_len;
	const char *cmdline;	/* NULL: "" */
	/* Initrds (multiboot: modules, each with its file name). */
	const char *const *initrd_paths;
	uint32_t ninitrds;
	/* Serial console: input read from this fd (-1: none) ... */
	int32_t console_in_fd;
	/* ... output written to this fd (-1: none) and/or the function. */
	int32_t console_out_fd;
	uint32_t flags;		/* LIBVM_MACHINE_* flags */
	libvm_console_fn console_out;
	void *console_opaque;
	/* Whole run's budget from libvm_machine_start (0: none). */
	uint64_t timeout_ns;
	/*
	 * A directory (created if missing, its parent must exist) where
	 * unpacked bzImage kernels are kept for the next boot; NULL: none.
	 */
	const char *cache_dir;
} libvm_machine_config;

#define LIBVM_MACHINE_CONFIG_INIT \
	{ LIBVM_MACHINE_CONFIG_VERSION, 1, 256ull << 20, NULL, NULL, 0, NULL, \
	  NULL, 0, -1, -1, 0, NULL, NULL, 0, NULL }

/*
 * libvm_machine_config.flags: boot a bzImage through its own decompressor
 * in the guest.  Without it, a bzImage whose compressed vmlinux (xz or
 * gzip) has a PVH entry note is unpacked on the host and booted through
 * PVH: the same kernel, without the guest's slowest step.
 */
#define LIBVM_MACHINE_BZIMAGE_AS_IS	(1u << 0)

LIBVM_API int libvm_machine_config_init(libvm_machine_config *cfg,
					uint32_t version);

/* How a machine's run ended (libvm_machine_result.end). */
enum libvm_machine_end {
	LIBVM_MACHINE_RUNNING = 0,	/* not ended (yet) */
	LIBVM_MACHINE_DEBUG_EXIT = 1,	/* port 0xf4: status (v << 1) | 1 */
	LIBVM_MACHINE_POWEROFF = 2,	/* ACPI S5 or KVM shutdown event */
	LIBVM_MACHINE_RESET = 3,	/* i8042 or ACPI reset, reboot */
	LIBVM_MACHINE_TRIPLE_FAULT = 4,	/* a vCPU shut down */
	LIBVM_MACHINE_GUEST_EXIT = 5,	/* ELF64 guest: status = its code */
	LIBVM_MACHINE_CRASH = 6,	/* a fault, failed entry, ...: exit */
	LIBVM_MACHINE_TIMEOUT = 7,	/* timeout_ns ran out */
	LIBVM_MACHINE_CANCELLED = 8,	/* libvm_machine_cancel() */
	LIBVM_MACHINE_ERROR = 9,	/* libvm failed: wait returns it */
};

typedef struct libvm_machine_result {
	uint32_t end;		/* enum libvm_machine_end */
	int32_t status;		/* DEBUG_EXIT, GUEST_EXIT; 0 otherwise */
	uint32_t vcpu;		/* the vCPU whose exit ended the run */
	uint32_t reserved0;
	/* First boot-marker write, ns since libvm_machine_create; 0: none. */
	uint64_t boot_marker_ns;
	uint64_t run_ns;	/* libvm_machine_create to the end */
	libvm_exit exit;	/* that vCPU's last exit (CRASH, ...) */
} libvm_machine_result;

/* Short name of an end ("debug-exit", "poweroff", ...); never NULL. */
LIBVM_API const char *libvm_machine_end_name(uint32_t end);

LIBVM_API int libvm_machine_create(libvm_machine **out,
				   const libvm_machine_config *cfg);
/*
 * Load the kernel and start the vCPUs.  Between create and start the
 * program may add devices (traps, libvm_platform_acpi_device, ...).
 */
LIBVM_API int libvm_machine_start(libvm_machine *m);
/*
 * Wait for the end; *res may be NULL.  Returns 0, or the negative code of
 * a libvm failure on a vCPU thread (res->end LIBVM_MACHINE_ERROR).  May be
 * called again: it gives the same result.
 */
LIBVM_API int libvm_machine_wait(libvm_machine *m, libvm_machine_result *res);
/* start, then wait. */
LIBVM_API int libvm_machine_run(libvm_machine *m, libvm_machine_result *res);
/* End the run (LIBVM_MACHINE_CANCELLED unless it ended already); any thread. */
LIBVM_API int libvm_machine_cancel(libvm_machine *m);
/* Stop what still runs and free everything.  NULL is a no-op. */
LIBVM_API void libvm_machine_destroy(libvm_machine *m);

/* The parts, for programs that add devices or look inside. */
LIBVM_API libvm_vm *libvm_machine_vm(libvm_machine *m);
LIBVM_API libvm_platform *libvm_machine_platform(libvm_machine *m);

#ifdef __cplusplus
}
#endif
#endif
