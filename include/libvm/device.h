/* SPDX-License-Identifier: MIT */
/*
 * libvm: devices.  One trap registry holds port-I/O and MMIO ranges (and,
 * through <libvm/call.h>, hypercall numbers); the run loop calls the
 * handler of the range an access hits.  A device's state registered here
 * travels with snapshots.
 */
#ifndef LIBVM_DEVICE_H
#define LIBVM_DEVICE_H

#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Trap spaces (also libvm_exit.u.stop.space). */
#define LIBVM_TRAP_PIO		0 /* ports 0 .. 0xffff */
#define LIBVM_TRAP_MMIO		1 /* guest-physical addresses */
#define LIBVM_TRAP_HYPERCALL	2 /* hypercall numbers (<libvm/call.h>) */
#define LIBVM_TRAP_SYSCALL	3 /* system calls (libvm_syscall_handler_set) */

/* What a trap or hypercall handler returns. */
#define LIBVM_TRAP_CONTINUE	0 /* access done, keep running */
#define LIBVM_TRAP_STOP		1 /* access done, return LIBVM_EXIT_STOPPED */
/* A negative LIBVM_E* code also stops, with the code in exit.u.stop. */

/*
 * A device handler.  addr is the port or guest-physical address, data holds
 * size bytes (1, 2, 4 or 8): the guest's value for LIBVM_WRITE, to be
 * filled for LIBVM_READ (zeroed beforehand).  REP string I/O calls the
 * handler once per element.  Runs on the thread that runs vcpu.
 */
typedef int (*libvm_trap_fn)(libvm_vcpu *vcpu, uint64_t addr, void *data,
			     uint32_t size, uint32_t direction, void *opaque);

/*
 * Register [base, base+len) in space.  LIBVM_EOVERLAP if it overlaps a
 * registered range.  May be called while vCPUs run, but not from inside a
 * handler (LIBVM_EBUSY).
 */
LIBVM_API int libvm_trap_register(libvm_vm *vm, uint32_t space, uint64_t base,
				  uint64_t len, libvm_trap_fn fn,
				  void *opaque);
/*
 * Remove the range starting at base.  When it returns, no vCPU is inside
 * that range's handler any more, so its opaque may be freed.
 */
LIBVM_API int libvm_trap_unregister(libvm_vm *vm, uint32_t space,
				    uint64_t base);

/* ---- device state ------------------------------------------------------ */

/*
 * Device state: len bytes at state are saved with every snapshot and
 * written back on restore; restored(opaque), if not NULL, runs after.
 * name (at most 31 bytes) identifies the device in snapshot files.
 */
typedef void (*libvm_restored_fn)(void *opaque);
LIBVM_API int libvm_device_state_register(libvm_vm *vm, const char *name,
					  void *state, uint32_t len,
					  libvm_restored_fn restored,
					  void *opaque);
LIBVM_API int libvm_device_state_unregister(libvm_vm *vm, const char *name);

#ifdef __cplusplus
}
#endif
#endif
