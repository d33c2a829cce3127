/* SPDX-License-Identifier: MIT */
/*
 * libvm: virtual machines (the host's facts: <libvm/host.h>).
 */
#ifndef LIBVM_VM_H
#define LIBVM_VM_H

#include <libvm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_vm libvm_vm;
typedef struct libvm_vcpu libvm_vcpu;

/* libvm_vm_config.flags */
#define LIBVM_VM_IRQCHIP	(1u << 0) /* in-kernel PIC, IOAPIC and LAPIC */
#define LIBVM_VM_PIT		(1u << 1) /* in-kernel PIT (needs IRQCHIP) */

#define LIBVM_VM_CONFIG_VERSION 1

/*
 * Versioned: start from LIBVM_VM_CONFIG_INIT or libvm_vm_config_init();
 * fields are only ever appended, each version adds fields at the end, and
 * the library accepts every version from 1 to its own.
 */
typedef struct libvm_vm_config {
	uint32_t version;	/* LIBVM_VM_CONFIG_VERSION */
	uint32_t flags;		/* LIBVM_VM_* */
	/*
	 * Signal used to kick a vCPU thread out of KVM_RUN for
	 * libvm_vcpu_cancel() and run timeouts.  0 picks the default
	 * (SIGRTMAX - 3); see ABI.md for what libvm does with it.
	 */
	int32_t kick_signal;
	uint32_t max_vcpus;	/* 0: whatever KVM allows */
	/*
	 * NULL: "/dev/kvm".  The process opens each path once, for all
	 * the VMs that use it (ABI.md, "File descriptors").
	 */
	const char *kvm_path;
} libvm_vm_config;

#define LIBVM_VM_CONFIG_INIT \
	{ LIBVM_VM_CONFIG_VERSION, 0, 0, 0, NULL }

/*
 * Fill *cfg with the defaults of struct version version (1 to
 * LIBVM_VM_CONFIG_VERSION), writing only that version's size; for
 * bindings and callers built against an older header.
 */
LIBVM_API int libvm_vm_config_init(libvm_vm_config *cfg, uint32_t version);

/* Create a VM.  cfg may be NULL for the defaults. */
LIBVM_API int libvm_vm_create(libvm_vm **out, const libvm_vm_config *cfg);
/* Destroy a VM, its vCPUs, memory regions and traps.  NULL is a no-op. */
LIBVM_API void libvm_vm_destroy(libvm_vm *vm);

/*
 * Raise (level 1) or lower (level 0) an interrupt line of the in-kernel
 * irqchip (GSI numbering: 0-15 ISA IRQs, 16-23 IOAPIC).  Needs
 * LIBVM_VM_IRQCHIP.
 */
LIBVM_API int libvm_vm_irq_line(libvm_vm *vm, uint32_t gsi, int level);

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

#ifdef __cplusplus
}
#endif
#endif
