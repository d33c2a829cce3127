/* SPDX-License-Identifier: MIT */
/*
 * libvm: snapshots of whole VMs, in-place restore, copy-on-write forks,
 * snapshot files, and the reset-per-input fuzzing helper.
 *
 * A snapshot holds every vCPU's state (general, segment and control
 * registers, FPU/XSAVE, XCRs, MSRs, local APIC, pending events, MP state,
 * debug registers), the in-kernel irqchip and PIT, the state of devices
 * registered with libvm_device_state_register, the long-mode runtime, and
 * guest memory.  Restoring rewrites only the pages dirtied since the VM was
 * last at that snapshot (KVM's dirty ring where the kernel offers it,
 * otherwise its dirty log in manual-protect mode, plus pages the host
 * wrote through libvm), so its cost follows the dirty pages, not the size
 * of guest RAM.
 */
#ifndef LIBVM_SNAPSHOT_H
#define LIBVM_SNAPSHOT_H

#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_snapshot libvm_snapshot;

/*
 * Region flag for libvm_mem_map_*: the region is not part of snapshots
 * (restore leaves it alone; a fork maps no copy of it).  For memory shared
 * with the host such as a fuzzer's coverage map.
 */
#define LIBVM_MEM_VOLATILE	(1u << 2)

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

/*
 * Snapshot vm (no vCPU may be running).  The first snapshot of a VM turns
 * on dirty tracking for its memory.
 */
LIBVM_API int libvm_snapshot_take(libvm_snapshot **out, libvm_vm *vm);
/* Free a snapshot; VMs forked from it keep working. */
LIBVM_API void libvm_snapshot_destroy(libvm_snapshot *snap);

/*
 * Bring vm back to snap: memory, every vCPU, irqchip, PIT, devices.  The
 * VM must have the snapshot's memory layout and vCPUs (it was taken from
 * this VM, forked from the snapshot, or built the same way).  Clears the
 * VM's "needs restore" mark.
 */
LIBVM_API int libvm_snapshot_restore(libvm_vm *vm, libvm_snapshot *snap);

/*
 * A new VM from snap: same configuration, memory layout, vCPUs, long-mode
 * runtime, traps, hypercall handlers and device-state registrations (with
 * the same opaque pointers).  Its memory starts as the snapshot's, shared
 * copy-on-write: each fork costs only what it writes, and no write is seen
 * by another fork or by the VM the snapshot came from.
 */
LIBVM_API int libvm_vm_fork(libvm_vm **out, libvm_snapshot *snap);
/* vCPU id of a VM (created, forked); NULL if it has none. */
LIBVM_API libvm_vcpu *libvm_vm_vcpu(libvm_vm *vm, uint32_t id);

/*
 * 1 when a run or call on vm ended in a way that leaves the guest's memory
 * in a state nobody can vouch for (guest exception, triple fault, failed
 * entry, internal error, timeout, cancel; for libvm_fuzz_exec, every
 * outcome but LIBVM_FUZZ_OK), until the next libvm_snapshot_restore.  It
 * is advice: libvm refuses nothing, and the vCPU takes the next
 * libvm_call (call.h); a restore brings the VM back to a known state.
 */
LIBVM_API int libvm_vm_needs_restore(libvm_vm *vm);

/*
 * Snapshot files: written to path.tmp and renamed, so path is either the
 * old file or the whole new one.  Memory is zlib-compressed and all-zero
 * pages take no space; every section has a CRC-32.  Loading checks the
 * whole file before it returns a snapshot (use it with libvm_vm_fork or
 * libvm_snapshot_restore).  The format is in ABI.md.
 */
LIBVM_API int libvm_snapshot_save(libvm_snapshot *snap, const char *path);
LIBVM_API int libvm_snapshot_load(libvm_snapshot **out, const char *path);

/* ---- reset-per-input fuzzing --------------------------------------------- */

/* libvm_fuzz_result.outcome */
#define LIBVM_FUZZ_OK		0 /* the function returned */
#define LIBVM_FUZZ_CRASH	1 /* guest exception */
#define LIBVM_FUZZ_TRIPLE_FAULT	2 /* shutdown */
#define LIBVM_FUZZ_TIMEOUT	3 /* time budget ran out */
#define LIBVM_FUZZ_BUG		4 /* guest called libvm_guest_report_bug */
#define LIBVM_FUZZ_STOPPED	5 /* a handler stopped the run, or other */

/* libvm_fuzz_result.flags */
#define LIBVM_FUZZ_TRUNCATED	(1u << 0) /* len > input_cap: cut to it */

typedef struct libvm_fuzz_result {
	uint32_t outcome;	/* LIBVM_FUZZ_* */
	uint32_t flags;		/* LIBVM_FUZZ_TRUNCATED */
	uint64_t ret;		/* the function's return value (OK) */
	libvm_exit exit;	/* how the run ended */
} libvm_fuzz_result;

/*
 * One fuzzing execution: restore snap into vm, copy the input to
 * input_gpa, call fn(input_gpa, len) on vCPU 0 with the time budget, and
 * classify the outcome.  An input longer than input_cap is cut to its
 * first input_cap bytes (the guest gets len = input_cap) and
 * res->flags has LIBVM_FUZZ_TRUNCATED.  Returns 0 whenever the guest ran,
 * whatever it did; < 0 only when libvm failed.  The VM is marked "needs
 * restore" after any outcome but LIBVM_FUZZ_OK; the next call restores it
 * anyway.
 */
LIBVM_API int libvm_fuzz_exec(libvm_fuzz_result *res, libvm_vm *vm,
			      libvm_snapshot *snap, uint64_t fn,
			      uint64_t input_gpa, uint64_t input_cap,
			      const void *data, uint64_t len,
			      uint64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
