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

#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ports of the long-mode runtime (reserved once it is set up). */
#define LIBVM_PORT_HYPERCALL	0x0f10
#define LIBVM_PORT_RETURN	0x0f11
#define LIBVM_PORT_EXCEPTION	0x0f12

/* Hypercall numbers libvm itself defines. */
#define LIBVM_HC_EXIT		0	/* exit(code): LIBVM_EXIT_GUEST_EXIT */
#define LIBVM_HC_CONSOLE	1	/* write(buf, len): see console_attach */
#define LIBVM_HC_BUG		2	/* report_bug(code): stops the run */
#define LIBVM_HC_USER		16	/* first number free for programs */

/* Trap space of a hypercall in libvm_exit.u.stop.space. */
#define LIBVM_TRAP_HYPERCALL	2

/*
 * A hypercall handler: args holds the guest's six arguments; store the
 * result in *ret.  Returns LIBVM_TRAP_CONTINUE, LIBVM_TRAP_STOP or a
 * negative code (both stop the run with LIBVM_EXIT_STOPPED, u.stop.addr =
 * nr).  Runs on the thread that runs vcpu.
 */
typedef int (*libvm_hypercall_fn)(uint64_t *ret, libvm_vcpu *vcpu,
				  uint64_t nr, const uint64_t args[6],
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

#ifdef __cplusplus
}
#endif
#endif
