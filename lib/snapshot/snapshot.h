/* SPDX-License-Identifier: MIT */
/* Snapshot internals shared by the files of lib/snapshot. Never installed. */
/*
 * How snapshots work (lib/snapshot).
 *
 * Memory: a snapshot keeps each region's contents in a memfd (only pages
 * that are non-zero are copied; the rest stay holes).  The VM logs dirty
 * pages from then on (KVM's dirty ring, lib/core/dirty_ring.c, or else its
 * dirty log, in manual-protect mode when the kernel has it) and libvm
 * marks pages the host writes through it.  A
 * restore to the snapshot the VM was last at copies back those of these
 * pages that differ, leaving the ones the guest keeps writing writable
 * (the hot set, see track.c); a restore to another snapshot rewrites the whole
 * region from the memfd's data extents (SEEK_DATA/SEEK_HOLE) and zeroes
 * the holes without touching them where it can (MADV_DONTNEED).
 * A fork maps each memfd's data extents MAP_PRIVATE over private anonymous
 * memory (fork.c), so its pages are shared until written and the holes
 * read as zeros without a page in the memfd.
 *
 * vCPU state: a restore always sets the general, segment and control
 * registers, the events and the FPU/XSAVE state.  The rest (MSRs, XCRs,
 * debug registers, MP state) it skips when it can prove nothing changed
 * them since the vCPU was last at this snapshot: no host setter ran (see
 * state_dirty; trust.c), the snapshot has the vCPU at CPL3 in libvm's long-mode
 * runtime with nothing that counts at CPL3 (performance counters, LBRs),
 * the runtime's tables and code are as libvm wrote them (a keyed sum at
 * snapshot time; its pages are out of user mode's reach, and the host
 * wrote none since), and every run ended the way user-mode code ends.
 * CPL3 code cannot reach CPL0 code of its own then (every gate leads to
 * libvm's exception stubs, SYSENTER has no CS, SYSCALL is off and, on
 * hosts that ignore EFER.SCE, leads to libvm's stub; with
 * LIBVM_LONG_SYSCALL it is on and leads to libvm's stub that exits to the
 * host and SYSRETs), so it cannot change them.
 */
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

/* object.c */
uint64_t lvm_snap_new_id(void);
/*
 * The first data extent of fd at or after pos and below size, widened to
 * pages: [*d, *h).  Returns 1 if there is one, 0 if fd holds no data in
 * [pos, size), -1 if lseek cannot tell (take the rest as data).
 */
int lvm_next_extent(int fd, uint64_t pos, uint64_t size, uint64_t *d,
		    uint64_t *h);
void lvm_snap_free(libvm_snapshot *s);
/* Whether the 4 KiB page at p is all zeros. */
bool lvm_page_zero(const uint8_t *p);

/* trust.c */
/* Whether the runtime's tables and code are libvm's; holds mem_lock. */
bool lvm_snap_rt_trusted(libvm_vm *vm);
/* Whether st has the vCPU at CPL3 in the runtime's environment. */
bool lvm_snap_vcpu_user_only(const struct lvm_rt *rt,
			     const struct lvm_vcpu_state *st);
/* Whether a run that ended with reason could only change what restores
 * always restore. */
bool lvm_snap_run_user_only(const libvm_vcpu *v, uint32_t reason);

/* track.c */
#define HOT_SLACK	16
#define HOT_IDLE_FACTOR	64

struct lvm_hot_count {
	uint64_t kept;		/* pages compared that KVM reported */
	uint64_t changed;	/* of them, those that differed */
};

uint64_t lvm_snap_bitmap_bytes(uint64_t size);
int lvm_snap_fetch_dirty(libvm_vm *vm, struct lvm_region *r);
int lvm_snap_protect_hot(libvm_vm *vm);
/* Tracking on for every region, the VM's hooks installed. */
int lvm_snap_start_tracking(libvm_vm *vm);

/* msrs.c, vcpu_state.c */
int lvm_snap_save_msrs(struct lvm_vcpu_state *st, libvm_vcpu *v);
int lvm_snap_restore_msrs(const struct lvm_vcpu_state *st, libvm_vcpu *v);
int lvm_snap_save_vcpu(struct lvm_vcpu_state *st, libvm_vcpu *v,
		       uint64_t id);
int lvm_snap_restore_vcpu(libvm_vcpu *v, const struct lvm_vcpu_state *st,
			  uint64_t id, bool fast);

/* take.c, fork.c */
bool lvm_snap_vcpu_running(libvm_vm *vm);
int lvm_snap_copy_traps(struct lvm_trap_table *dst,
			const struct lvm_trap_table *src);
void *lvm_snap_fork_map(const struct lvm_snap_region *sr);

#endif
