/* SPDX-License-Identifier: MIT */
/*
 * Dirty tracking: KVM's dirty log (manual-protect mode where the kernel has
 * it) or its dirty ring (lib/core/dirty_ring.c) for the VM's regions, from
 * the first snapshot on; the hot set; and the hooks the VM calls when it
 * maps or drops a region or ends a run.
 */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#define PAGE LIBVM_PAGE_SIZE

uint64_t lvm_snap_bitmap_bytes(uint64_t size)
{
	uint64_t pages = size / PAGE;

	return ((pages + 63) / 64) * 8;
}

static int set_slot_flags(libvm_vm *vm, const struct lvm_region *r,
			  uint32_t flags)
{
	struct kvm_userspace_memory_region m = {
		.slot = r->slot,
		.flags = flags |
			 ((r->flags & LIBVM_MEM_READONLY) ? KVM_MEM_READONLY : 0),
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (uint64_t)(uintptr_t)r->host,
	};

	return KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0
		       ? LIBVM_EKVM : 0;
}

static void region_untrack(struct lvm_region *r);

static int region_track(libvm_vm *vm, struct lvm_region *r)
{
	uint64_t n = lvm_snap_bitmap_bytes(r->size);

	if (r->hdirty)
		return 0;
	r->hdirty = calloc(1, n);
	r->kdirty = calloc(1, n);
	r->dsum = calloc(1, lvm_snap_bitmap_bytes(n / 8 * PAGE));
	if (!r->hdirty || !r->kdirty || !r->dsum) {
		region_untrack(r);
		return lvm_err(LIBVM_ENOMEM, "dirty bitmaps for %#llx+%#llx",
			       (unsigned long long)r->gpa,
			       (unsigned long long)r->size);
	}
	if (set_slot_flags(vm, r, KVM_MEM_LOG_DIRTY_PAGES) < 0) {
		region_untrack(r);
		return LIBVM_EKVM;
	}
	return 0;
}

static void region_untrack(struct lvm_region *r)
{
	free(r->hdirty);
	free(r->kdirty);
	free(r->dsum);
	r->hdirty = r->kdirty = r->dsum = NULL;
}

/*
 * Fetch KVM's dirty bitmap of r into r->kdirty.  In manual-protect mode
 * that leaves the pages writable and set in KVM's bitmap until
 * clear_dirty; without it, KVM has protected them again already.
 */
int lvm_snap_fetch_dirty(libvm_vm *vm, struct lvm_region *r)
{
	struct kvm_dirty_log log = { .slot = r->slot,
				     .dirty_bitmap = r->kdirty };

	/* With a dirty ring, lvm_ring_harvest has filled kdirty already. */
	if (vm->ring_entries)
		return 0;
	return KVM_IOCTL(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? LIBVM_EKVM
								 : 0;
}

/* Manual-protect mode: protect the pages set in r->kdirty again. */
static int clear_dirty(libvm_vm *vm, struct lvm_region *r)
{
	struct kvm_clear_dirty_log clr = {
		.slot = r->slot, .first_page = 0,
		.num_pages = (uint32_t)(r->size / PAGE),
		.dirty_bitmap = r->kdirty,
	};
	uint64_t n = lvm_snap_bitmap_bytes(r->size) / 8, i;
	bool any = false;

	for (i = 0; i < n && !any; i++)
		any = r->kdirty[i] != 0;
	if (any && KVM_IOCTL(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clr) < 0)
		return LIBVM_EKVM;
	return 0;
}

/*
 * The hot set: pages the guest wrote since they were last protected stay
 * writable in KVM (a dirty ring's pages until KVM_RESET_DIRTY_RINGS, a
 * manual-protect log's until KVM_CLEAR_DIRTY_LOG), and kdirty keeps them,
 * so every restore compares them with the snapshot and copies back those
 * that differ.  A fuzz target writes the same few pages (stack, globals,
 * page tables' accessed bits) for every input: they cost a compare, not a
 * write-protection fault each.  protect_hot protects them all again and
 * forgets them once the compares stop paying, ski-rental style: when the
 * compares that found no change since the last time pass HOT_IDLE_FACTOR
 * times the pages that changed (about what the faults after protecting
 * cost: a fault costs tens of compares, hundreds on PVM), or one restore
 * compares more than HOT_SLACK + 4x the pages that changed.  Pages
 * written with what they held (a stack) count as unchanged.
 */
int lvm_snap_protect_hot(libvm_vm *vm)
{
	uint32_t i;
	int r = 0;

	if (vm->ring_entries)
		r = lvm_ring_reset(vm);
	for (i = 0; i < vm->nregions && !r; i++) {
		struct lvm_region *reg = &vm->regions[i];

		if (!reg->kdirty)
			continue;
		if (!vm->ring_entries && vm->manual_protect)
			r = clear_dirty(vm, reg);
		if (r < 0)
			break;	/* still writable: keep them */
		memset(reg->kdirty, 0, lvm_snap_bitmap_bytes(reg->size));
		memset(reg->dsum, 0, lvm_snap_bitmap_bytes(lvm_snap_bitmap_bytes(reg->size) / 8 *
						  PAGE));
	}
	vm->hot_idle = 0;
	return r;
}

static int region_added(libvm_vm *vm, struct lvm_region *r)
{
	if (!vm->tracking || (r->flags & LIBVM_MEM_VOLATILE))
		return 0;
	/*
	 * Nothing of it is logged yet: the next restore rewrites everything,
	 * even into a region at a place and size a snapshot knows.
	 */
	vm->base_snap = 0;
	return region_track(vm, r);
}

static void region_gone(libvm_vm *vm, struct lvm_region *r)
{
	if (!(r->flags & LIBVM_MEM_VOLATILE))
		vm->base_snap = 0;	/* see region_added */
	region_untrack(r);
}

static void run_ended(libvm_vcpu *v, uint32_t reason, int r)
{
	if (unlikely(r < 0 || !lvm_snap_run_user_only(v, reason)))
		v->state_dirty = true;
}

static const struct lvm_vm_hooks snapshot_hooks = {
	.region_added = region_added,
	.region_gone = region_gone,
	.run_ended = run_ended,
};

/*
 * Turn on tracking for every region, with nothing dirty afterwards; from
 * now on the VM tells the snapshot code what it maps and runs.
 */
int lvm_snap_start_tracking(libvm_vm *vm)
{
	uint32_t i;
	int r;

	vm->hooks = &snapshot_hooks;
	if (vm->tracking)
		return 0;
	if (!vm->ring_entries &&
	    lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
		};

		if (KVM_IOCTL(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return LIBVM_EKVM;
		vm->manual_protect = true;
	}
	for (i = 0; i < vm->nregions; i++) {
		if (vm->regions[i].flags & LIBVM_MEM_VOLATILE)
			continue;
		r = region_track(vm, &vm->regions[i]);
		if (r < 0)
			return r;
	}
	vm->tracking = true;
	return 0;
}
