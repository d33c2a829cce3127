/* SPDX-License-Identifier: MIT */
/*
 * libvm: unmodified static Linux x86-64 programs as guests.
 *
 * libvm_linux_create() makes a VM of its own, loads a static ELF64
 * executable (ET_EXEC, or a static PIE at LIBVM_LINUX_PIE_BASE) at the
 * addresses it asks for, builds the initial stack the Linux ABI wants
 * (argc, argv, envp, auxv) and puts one vCPU at its entry in user mode.
 * The program's system calls come to the host (LIBVM_LONG_SYSCALL) and are
 * served in the calling process with Linux's numbers and errno values:
 * console I/O on host fds the caller picks, files under a root directory
 * the caller picks (no path leaves it, symlinks included), brk/mmap in
 * guest RAM, clocks, randomness.  Every other call returns -ENOSYS, which
 * is reported once per number through the log callback.  A hook sees each
 * call first and may serve or refuse it.
 *
 * Guest virtual addresses are guest physical ones (identity map); guest
 * RAM is [0, mem_size): libvm's system area (supervisor-only) in the first
 * 512 KiB, the program from LIBVM_LINUX_USER_BASE up, its brk heap after
 * it up to half of RAM, the mmap area above, the stack at the top.
 */
#ifndef LIBVM_LINUXPROG_H
#define LIBVM_LINUXPROG_H

#include <libvm/snapshot.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_linux libvm_linux;

/* Lowest guest address a program or a system-call buffer may use. */
#define LIBVM_LINUX_USER_BASE	0x200000ull
/* Where a static PIE (ET_DYN) is placed. */
#define LIBVM_LINUX_PIE_BASE	0x400000ull

/* What a hook returns. */
#define LIBVM_LINUX_SERVE	0 /* libvm serves the call as usual */
#define LIBVM_LINUX_RETURN	1 /* the hook served it: *ret is the result */
#define LIBVM_LINUX_STOP	2 /* stop the run (LIBVM_EXIT_STOPPED) */

/*
 * Sees every system call before libvm serves it: nr and args as the
 * program passed them (Linux x86-64 numbers).  To refuse one, store a
 * negative errno in *ret and return LIBVM_LINUX_RETURN.  With
 * LIBVM_LINUX_STOP the run ends with LIBVM_EXIT_STOPPED (u.stop.space
 * LIBVM_TRAP_SYSCALL, u.stop.addr nr) and the next run goes on after the
 * call, which returns *ret.  Runs on the thread that runs the program.
 */
typedef int (*libvm_linux_hook_fn)(libvm_linux *lp, uint64_t nr,
				   const uint64_t args[6], int64_t *ret,
				   void *opaque);
/*
 * Told once per system-call number the program used that libvm does not
 * serve (and the hook did not): the call returned -ENOSYS.
 */
typedef void (*libvm_linux_log_fn)(libvm_linux *lp, uint64_t nr,
				   void *opaque);

/* libvm_linux_config.flags */
#define LIBVM_LINUX_ROOT_WRITABLE (1u << 0) /* files may be written */
/*
 * Resolve paths with libvm's own walk (one component at a time) even
 * where the kernel has openat2(RESOLVE_IN_ROOT), which is used otherwise.
 */
#define LIBVM_LINUX_NO_OPENAT2	(1u << 1)

#define LIBVM_LINUX_CONFIG_VERSION 1

typedef struct libvm_linux_config {
	uint32_t version;	/* LIBVM_LINUX_CONFIG_VERSION */
	uint32_t flags;		/* LIBVM_LINUX_* */
	/* Guest RAM in bytes, 64 MiB .. 64 GiB; 0: 512 MiB. */
	uint64_t mem_size;
	/* Stack size in bytes; 0: 8 MiB. */
	uint64_t stack_size;
	/*
	 * The program's root directory, a host path; NULL: no files at all
	 * (every open fails with ENOENT).  Opened once at create.
	 */
	const char *root;
	/* Host fds behind the program's fds 0, 1 and 2 (-1: closed). */
	int stdin_fd, stdout_fd, stderr_fd;
	/* NULL-terminated "NAME=value" strings; NULL: an empty environment. */
	const char *const *envp;
	libvm_linux_hook_fn hook;	/* may be NULL */
	void *hook_opaque;
	libvm_linux_log_fn log;		/* may be NULL */
	void *log_opaque;
} libvm_linux_config;

#define LIBVM_LINUX_CONFIG_INIT \
	{ LIBVM_LINUX_CONFIG_VERSION, 0, 0, 0, NULL, 0, 1, 2, NULL, NULL, \
	  NULL, NULL, NULL }

/* Fill cfg with the defaults of the given version (1). */
LIBVM_API int libvm_linux_config_init(libvm_linux_config *cfg,
				      uint32_t version);

/*
 * Make a VM and load the static executable path (a host path) into it,
 * with argv[0..argc-1] (argv[0] is the program's name as it sees it).
 * cfg NULL: the defaults.  LIBVM_EIMAGE if the file is no static x86-64
 * ELF executable (the detail message says why).
 */
LIBVM_API int libvm_linux_create(libvm_linux **out, const char *path,
				 int argc, const char *const *argv,
				 const libvm_linux_config *cfg);
/* Free everything, the VM too.  NULL is a no-op. */
LIBVM_API void libvm_linux_destroy(libvm_linux *lp);

/*
 * Run the program until it exits or something stops it.  Returns 0 when
 * the guest ran, whatever it did, with *exit saying how it ended:
 * LIBVM_EXIT_GUEST_EXIT with u.guest_exit.code the exit status (exit,
 * exit_group, or 128 + the signal of a tgkill/kill it sent itself),
 * LIBVM_EXIT_EXCEPTION for a fault, LIBVM_EXIT_TIMEOUT after timeout_ns
 * (0: none; the program can be run on), LIBVM_EXIT_STOPPED from a hook.
 * After an exit or a fault, running again returns the same exit.
 */
LIBVM_API int libvm_linux_run(libvm_exit *exit, libvm_linux *lp,
			      uint64_t timeout_ns);

/* The program's VM and vCPU, e.g. for libvm_snapshot_take. */
LIBVM_API libvm_vm *libvm_linux_vm(libvm_linux *lp);
LIBVM_API libvm_vcpu *libvm_linux_vcpu(libvm_linux *lp);

/*
 * A new program from a snapshot of parent's VM: its memory, registers,
 * file descriptors (reopened by path at their offsets), brk and mmap
 * state, as they were when the snapshot was taken, with parent's
 * configuration.  It goes on from there on the next libvm_linux_run.
 * libvm_snapshot_restore on a program's VM brings its descriptors and
 * memory state back in the same way.
 */
LIBVM_API int libvm_linux_fork(libvm_linux **out, libvm_snapshot *snap,
			       const libvm_linux *parent);

#ifdef __cplusplus
}
#endif
#endif
