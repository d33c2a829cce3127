/* SPDX-License-Identifier: MIT */
/*
 * libvm: calls in both directions between host and a long-mode guest.
 *
 * Guest to host (hypercalls): the guest puts a number in EAX and up to six
 * arguments in RDI, RSI, RCX, R8, R9, R10, and executes
 * `out %eax, $LIBVM_PORT_HYPERCALL` (see <libvm/guest.h>); the handler
 * registered for that number runs inside libvm_vcpu_run() and its result
 * comes back in RAX.  An unregistered number returns LIBVM_ENOENT (as a
 * negative 64-bit value) to the guest, not to the host.  Numbers 0-15
 * are libvm's (LIBVM_HC_*, 3-15 reserved); programs use LIBVM_HC_USER
 * and up.
 *
 * Host to guest: libvm_call() runs a guest function with the System V
 * x86-64 calling convention and returns its RAX.
 */
#ifndef LIBVM_CALL_H
#define LIBVM_CALL_H

#include <libvm/device.h>
#include <libvm/loader.h>
#include <libvm/mode.h>
#include <libvm/ports.h>
#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A hypercall handler, shaped like a trap handler (<libvm/device.h>):
 * args holds the guest's six arguments; store the result in *ret (0
 * beforehand).  Returns LIBVM_TRAP_CONTINUE, LIBVM_TRAP_STOP or a negative
 * code (both stop the run with LIBVM_EXIT_STOPPED, u.stop.space =
 * LIBVM_TRAP_HYPERCALL, u.stop.addr = nr).  Runs on the thread that runs
 * vcpu.
 */
typedef int (*libvm_hypercall_fn)(libvm_vcpu *vcpu, uint64_t nr,
				  const uint64_t args[6], uint64_t *ret,
				  void *opaque);

/*
 * Register nr: LIBVM_HC_USER (16) and up, or LIBVM_HC_CONSOLE to serve the
 * console yourself.  LIBVM_EINVAL for the other numbers below
 * LIBVM_HC_USER (libvm's), LIBVM_EOVERLAP if nr is registered already.
 */
LIBVM_API int libvm_hypercall_register(libvm_vm *vm, uint32_t nr,
				       libvm_hypercall_fn fn, void *opaque);
LIBVM_API int libvm_hypercall_unregister(libvm_vm *vm, uint32_t nr);

/*
 * System calls of user-mode code in a VM set up with LIBVM_LONG_SYSCALL:
 * fn gets the number (RAX) and the six arguments in the Linux order (RDI,
 * RSI, RDX, R10, R8, R9); *ret goes to RAX and the guest goes on after
 * its SYSCALL with RCX and R11 clobbered (as on Linux: R11 holds RFLAGS).
 * LIBVM_TRAP_STOP or a negative code stop the run with LIBVM_EXIT_STOPPED,
 * u.stop.space LIBVM_TRAP_SYSCALL, u.stop.addr nr; *ret is in RAX already
 * and the next run goes on after the SYSCALL.  Without a handler every
 * SYSCALL returns -38 (ENOSYS).  fn NULL removes the handler.  Not while a
 * vCPU of vm runs.
 */
LIBVM_API int libvm_syscall_handler_set(libvm_vm *vm, libvm_hypercall_fn fn,
					void *opaque);

/*
 * Serve LIBVM_HC_CONSOLE: fn gets each buffer the guest writes (checked to
 * lie in guest RAM; guest addresses are identity mapped).
 */
typedef void (*libvm_console_fn)(const char *buf, size_t len, void *opaque);
LIBVM_API int libvm_console_attach(libvm_vm *vm, libvm_console_fn fn,
				   void *opaque);

/*
 * Call the guest function at fn with nargs (0-6) integer or pointer
 * arguments and store its return value in *ret.  The vCPU must be in long
 * mode (libvm_vcpu_set_long_mode); every call enters the guest through
 * libvm's call entry with fresh registers and that stack (the rip given
 * to set_long_mode is not used).  Hypercalls made during the call are
 * served.  A fault, stop, cancel, triple fault or guest exit returns
 * LIBVM_EGUEST and a timeout LIBVM_ETIMEOUT, with the details in the
 * detail message.
 *
 * *exit (may be NULL) is filled whenever the guest ran: on success with
 * LIBVM_EXIT_RETURN and the value in u.ret.value, on LIBVM_EGUEST and
 * LIBVM_ETIMEOUT with how the call ended.  It is left alone when the call
 * fails before the guest runs (a bad argument, no long mode) or libvm
 * itself fails (a KVM ioctl).
 *
 * After any of these outcomes the vCPU takes the next call: libvm brings
 * it back to its call entry.  What a fault, timeout, cancel or triple
 * fault leaves undefined is the guest's memory, which the interrupted
 * code may have left half written: libvm_vm_needs_restore() says so until
 * the next libvm_snapshot_restore(), the way back to a known state.
 */
LIBVM_API int libvm_call(uint64_t *ret, libvm_exit *exit, libvm_vcpu *vcpu,
			 uint64_t fn, const uint64_t *args, uint32_t nargs,
			 uint64_t timeout_ns);

/*
 * Scratch memory for call arguments: libvm_scratch_push() copies len bytes
 * of src into the VM's scratch area and gives their guest address;
 * libvm_scratch_reset() frees everything pushed.  The area is set with
 * libvm_scratch_set() (guest RAM the program does not use).
 */
LIBVM_API int libvm_scratch_set(libvm_vm *vm, uint64_t gpa, uint64_t size);
LIBVM_API int libvm_scratch_push(uint64_t *gva, libvm_vm *vm, const void *src,
				 uint64_t len);
LIBVM_API void libvm_scratch_reset(libvm_vm *vm);

/* ---- one call for the common case ------------------------------------ */

#define LIBVM_ELF_OPTIONS_VERSION 1

/*
 * Versioned like libvm_vm_config.  Every 0 picks the default named.
 */
typedef struct libvm_elf_options {
	uint32_t version;	/* LIBVM_ELF_OPTIONS_VERSION */
	uint32_t long_mode_flags; /* LIBVM_LONG_*; default 0 (user mode) */
	uint64_t ram_size;	/* RAM at guest address 0; 64 MiB */
	uint64_t sys_gpa;	/* the long-mode tables; 1 MiB */
	uint64_t stack_top;	/* vCPU 0's stack; the end of RAM */
	uint64_t scratch_gpa;	/* call arguments; the middle of RAM ... */
	uint64_t scratch_size;	/* ... a quarter of it */
	uint32_t load_flags;	/* LIBVM_LOAD_*; 0 */
	uint32_t reserved;
	const libvm_vm_config *vm_config; /* NULL: the defaults */
} libvm_elf_options;

#define LIBVM_ELF_OPTIONS_INIT \
	{ LIBVM_ELF_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, NULL }

/* Fill *opts with the defaults of its version (see libvm_vm_config_init). */
LIBVM_API int libvm_elf_options_init(libvm_elf_options *opts,
				     uint32_t version);

/*
 * A VM ready to run and call a guest program compiled from C (as the KVM
 * selftests' vm_create_with_one_vcpu): RAM at 0, the ELF image at path
 * loaded, the long-mode environment set up, a scratch area, and vCPU 0 in
 * long mode at the image's entry point with its stack at stack_top.
 * libvm_vcpu_run(*vcpu) runs main(); libvm_call() calls the functions
 * libvm_image_symbol(*image, ...) finds.  opts may be NULL; image may be
 * NULL when the caller needs no symbols.  The lower-level calls do the
 * same step by step.  On failure *vm, *vcpu (and *image) are NULL and
 * nothing is left allocated.
 */
LIBVM_API int libvm_vm_open_elf(libvm_vm **vm, libvm_vcpu **vcpu,
				libvm_image **image, const char *path,
				const libvm_elf_options *opts);

#ifdef __cplusplus
}
#endif
#endif
