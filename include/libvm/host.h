/* SPDX-License-Identifier: MIT */
/* libvm: the facts of the host VMs run on. */
#ifndef LIBVM_HOST_H
#define LIBVM_HOST_H

#include <libvm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* Zero *out and set its version (1 to LIBVM_HOST_INFO_VERSION). */
LIBVM_API int libvm_host_info_init(libvm_host_info *out, uint32_t version);

/*
 * Fill *out (up to the size of its version) with what the host offers.
 * kvm_path may be NULL.  Returns
 * LIBVM_ENOKVM when KVM cannot be opened; out->backend and out->supervisor
 * are still filled from what the host says about itself.
 */
LIBVM_API int libvm_host_query(libvm_host_info *out, const char *kvm_path);

#ifdef __cplusplus
}
#endif
#endif
