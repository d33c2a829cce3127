/* SPDX-License-Identifier: MIT */
/* Snapshot internals shared by the files of lib/snapshot. Never installed. */
#ifndef LIBVM_SNAPSHOT_INTERNAL_H
#define LIBVM_SNAPSHOT_INTERNAL_H

#include "../runtime/runtime.h"

#include <linux/kvm.h>

struct lvm_snap_region {
	uint64_t gpa, size;
	uint32_t flags;
	int memfd;		/* the contents; forks map its data (fork_map) */
	uint8_t *copy;		/* read-only view of memfd */
	/*
	 * A bit per page stored in memfd; the others are holes, zero, and
	 * reading one through copy would make shmem allocate a page for it.
	 * NULL (snapshots built by hand): every page counts as stored.
	 */
	uint64_t *data;
};

struct lvm_msr_entry {
	uint32_t index, pad;
	uint64_t data;
};

struct lvm_vcpu_state {
	uint32_t id;
	uint32_t xsave_size;	/* 0: no XSAVE, use fpu */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	uint8_t *xsave;
	bool has_xcrs, has_lapic;
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_debugregs debug;
	uint32_t nmsrs;
	struct lvm_msr_entry *msrs;
	/* long-mode runtime */
	bool rt_long, rt_at_dispatch;
	uint64_t rt_stack;
	libvm_sregs rt_sregs;
	/* at CPL3 in the runtime, nothing counting: restores may skip state */
	bool user_only;
};

struct lvm_snap_dev {
	char name[32];
	uint32_t len;
	uint8_t *data;
};

struct libvm_snapshot {
	uint64_t id;
	uint32_t vm_flags;
	int32_t kick_signal;
	uint32_t nregions;
	struct lvm_snap_region *regions;
	uint32_t nvcpus;
	struct lvm_vcpu_state *vcpus;
	bool has_irqchip, has_pit;
	struct kvm_irqchip chips[3];
	struct kvm_pit_state2 pit;
	uint32_t ndevs;
	struct lvm_snap_dev *devs;
	struct lvm_rt rt;
	/* the runtime's system area is as libvm_long_mode_setup wrote it */
	bool rt_trusted;
	/* Registrations a fork copies (absent in snapshots from files). */
	struct lvm_trap_table traps[3];
	struct lvm_devstate *devregs;
	uint32_t ndevregs;
};

uint64_t lvm_snap_new_id(void);
int lvm_next_extent(int fd, uint64_t pos, uint64_t size, uint64_t *d,
		    uint64_t *h);
void lvm_snap_free(libvm_snapshot *s);

#endif
