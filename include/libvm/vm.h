/* SPDX-License-Identifier: MIT */
/*
 * libvm: virtual machines and the facts of the host they run on.
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
 * Versioned: set .version with LIBVM_VM_CONFIG_INIT; fields are only ever
 * appended, and each version adds fields at the end.
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

/* ---- host facts ---------------------------------------------------- */

/* libvm_host_info.caps */
#define LIBVM_HOST_SYNC_REGS		(1ull << 0)
#define LIBVM_HOST_IRQCHIP		(1ull << 1)
#define LIBVM_HOST_PIT			(1ull << 2)
#define LIBVM_HOST_READONLY_MEM		(1ull << 3)
#define LIBVM_HOST_IMMEDIATE_EXIT	(1ull << 4)
#define LIBVM_HOST_XSAVE		(1ull << 5)
#define LIBVM_HOST_XCRS			(1ull << 6)
#define LIBVM_HOST_DIRTY_LOG_PROTECT	(1ull << 7)
#define LIBVM_HOST_DIRTY_RING		(1ull << 8)
#define LIBVM_HOST_IOEVENTFD		(1ull << 9)
#define LIBVM_HOST_IRQFD		(1ull << 10)
#define LIBVM_HOST_GUEST_DEBUG		(1ull << 11)
#define LIBVM_HOST_USER_MSR_EXIT	(1ull << 12)
#define LIBVM_HOST_HUGEPAGES		(1ull << 13) /* hugetlbfs pages free */

/* libvm_host_info.supervisor */
#define LIBVM_SUPERVISOR_UNKNOWN	0
#define LIBVM_SUPERVISOR_NATIVE		1 /* VT-x / AMD-V */
#define LIBVM_SUPERVISOR_EMULATED	2 /* PVM: CPL0 code is emulated */

typedef struct libvm_host_info {
	uint32_t version;	/* in: LIBVM_HOST_INFO_VERSION */
	uint32_t kvm_api_version;
	uint64_t caps;		/* LIBVM_HOST_* */
	uint32_t supervisor;	/* LIBVM_SUPERVISOR_* */
	uint32_t max_vcpus;
	uint32_t max_memslots;
	uint32_t phys_bits;	/* guest-physical address width */
	char backend[16];	/* "vmx", "svm", "pvm" or "unknown" */
	uint32_t xsave_size;	/* bytes of an XSAVE area, 0 if none */
	uint32_t reserved[7];
} libvm_host_info;

#define LIBVM_HOST_INFO_VERSION 1
#define LIBVM_HOST_INFO_INIT { LIBVM_HOST_INFO_VERSION, 0, 0, 0, 0, 0, 0, \
			       { 0 }, 0, { 0 } }

/*
 * Fill *out with what the host offers.  kvm_path may be NULL.  Returns
 * LIBVM_ENOKVM when KVM cannot be opened; out->backend and out->supervisor
 * are still filled from what the host says about itself.
 */
LIBVM_API int libvm_host_query(libvm_host_info *out, const char *kvm_path);

#ifdef __cplusplus
}
#endif
#endif
