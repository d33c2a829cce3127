/* SPDX-License-Identifier: MIT */
/*
 * libvm: snapshots of whole VMs, in-place restore, copy-on-write forks and
 * snapshot files (reset-per-input fuzzing: <libvm/fuzz.h>).
 *
 * A snapshot holds every vCPU's state (general, segment and control
 * registers, FPU/XSAVE, XCRs, MSRs, local APIC, pending events, MP state,
 * debug registers), the in-kernel irqchip and PIT, the state of devices
 * registered with libvm_device_state_register (<libvm/device.h>), the
 * long-mode runtime, and
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
/*
 * Snapshot files: written to path.tmp and renamed, so path is either the
 * old file or the whole new one.  Memory is zlib-compressed and all-zero
 * pages take no space; every section has a CRC-32.  Loading checks the
 * whole file before it returns a snapshot (use it with libvm_vm_fork or
 * libvm_snapshot_restore).  The format is in ABI.md.
 */
LIBVM_API int libvm_snapshot_save(libvm_snapshot *snap, const char *path);
LIBVM_API int libvm_snapshot_load(libvm_snapshot **out, const char *path);

#ifdef __cplusplus
}
#endif
#endif
