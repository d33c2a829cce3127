/* SPDX-License-Identifier: MIT */
/* struct kvm_msrs with one entry, spelled flat (no FAM struct inside). */
#ifndef LIBVM_ONE_MSR_H
#define LIBVM_ONE_MSR_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct lvm_one_msr {
	uint32_t nmsrs, pad;
	struct kvm_msr_entry e;
};
_Static_assert(offsetof(struct kvm_msrs, entries) ==
	       offsetof(struct lvm_one_msr, e), "kvm_msrs layout");

#endif
