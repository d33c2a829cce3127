/* SPDX-License-Identifier: MIT */
/*
 * KVM's dirty ring: where the kernel offers it, each vCPU gets a ring of
 * the pages it dirtied, so finding what a restore must copy costs what was
 * dirtied, not a scan of a bitmap as large as guest RAM.  The ring has to
 * be enabled before the first vCPU exists, so every VM that can have one
 * gets one at creation; entries only appear for regions being tracked
 * (from the first snapshot on).
 */
#include "../internal.h"

#include <linux/kvm.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RING_ENTRIES 4096u

void lvm_ring_enable(libvm_vm *vm)
{
	const char *env = getenv("LIBVM_DIRTY_RING");
	int max = lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION,
				KVM_CAP_DIRTY_LOG_RING);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING };
	uint32_t bytes = RING_ENTRIES * sizeof(struct kvm_dirty_gfn);

	/* LIBVM_DIRTY_RING=0: the dirty log even so (ABI.md). */
	if (max <= 0 || (uint32_t)max < bytes || (env && !strcmp(env, "0")))
		return;
	cap.args[0] = bytes;
	/* Without it the dirty log in manual-protect mode serves. */
	if (lvm_ioctl_raw(vm->vm_fd, KVM_ENABLE_CAP, (unsigned long)&cap) == 0)
		vm->ring_entries = RING_ENTRIES;
}

int lvm_ring_map(libvm_vcpu *v)
{
	size_t len = v->vm->ring_entries * sizeof(struct kvm_dirty_gfn);
	void *p;

	if (!v->vm->ring_entries)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		 KVM_DIRTY_LOG_PAGE_OFFSET * LIBVM_PAGE_SIZE);
	if (p == MAP_FAILED)
		return lvm_err_errno(LIBVM_ENOMEM, errno, "mmap dirty ring of "
				     "vCPU %u", v->id);
	v->ring = p;
	v->ring_next = 0;
	return 0;
}

void lvm_ring_unmap(libvm_vcpu *v)
{
	if (v->ring)
		munmap(v->ring, v->vm->ring_entries *
					sizeof(struct kvm_dirty_gfn));
	v->ring = NULL;
}

/* Region that owns KVM slot id; caller holds mem_lock. */
static struct lvm_region *slot_region(libvm_vm *vm, uint32_t slot)
{
	uint32_t i;

	for (i = 0; i < vm->nregions; i++)
		if (vm->regions[i].slot == slot)
			return &vm->regions[i];
	return NULL;
}

/*
 * Move v's ring entries into the regions' kdirty bitmaps, marking them
 * harvested.  Returns how many it took.  KVM counts them as used until
 * lvm_ring_reset.  Called by the vCPU's own thread, or with no vCPU
 * running.
 */
uint32_t lvm_ring_collect(libvm_vcpu *v)
{
	libvm_vm *vm = v->vm;
	struct kvm_dirty_gfn *ring = v->ring;
	uint32_t n = 0, mask = vm->ring_entries - 1;

	if (!ring)
		return 0;
	for (;;) {
		struct kvm_dirty_gfn *e = &ring[v->ring_next & mask];
		struct lvm_region *r;
		uint64_t page;

		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) &
		      KVM_DIRTY_GFN_F_DIRTY))
			break;
		r = slot_region(vm, e->slot & 0xffff);
		page = e->offset;
		if (r && r->kdirty && page < r->size / LIBVM_PAGE_SIZE) {
			__atomic_fetch_or(&r->kdirty[page / 64],
					  1ull << (page % 64), __ATOMIC_RELAXED);
			__atomic_fetch_or(&r->dsum[page / 4096],
					  1ull << (page / 64 % 64),
					  __ATOMIC_RELAXED);
		}
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
				 __ATOMIC_RELEASE);
		v->ring_next++;
		n++;
	}
	return n;
}

/*
 * Harvest every vCPU's ring into the kdirty bitmaps (no vCPU running;
 * caller holds mem_lock).  KVM leaves the pages writable until
 * lvm_ring_reset: a restore keeps the pages the guest writes every time
 * writable, and compares them instead of taking a fault on each.
 */
void lvm_ring_harvest(libvm_vm *vm)
{
	uint32_t i;

	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc; i++)
		if (vm->vcpus[i])
			lvm_ring_collect(vm->vcpus[i]);
	pthread_mutex_unlock(&vm->vcpu_lock);
}

/*
 * Write-protect again every page harvested so far (KVM_RESET_DIRTY_RINGS);
 * no vCPU running.
 */
int lvm_ring_reset(libvm_vm *vm)
{
	uint32_t i;

	if (KVM_IOCTL_VAL(vm->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return LIBVM_EKVM;
	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc; i++)
		if (vm->vcpus[i])
			vm->vcpus[i]->ring_reset_at = vm->vcpus[i]->ring_next;
	pthread_mutex_unlock(&vm->vcpu_lock);
	return 0;
}

/* Whether some vCPU's ring is more than half full of harvested entries. */
bool lvm_ring_crowded(libvm_vm *vm)
{
	bool crowded = false;
	uint32_t i;

	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc && !crowded; i++)
		crowded = vm->vcpus[i] && vm->vcpus[i]->ring_next -
						  vm->vcpus[i]->ring_reset_at >
					  vm->ring_entries / 2;
	pthread_mutex_unlock(&vm->vcpu_lock);
	return crowded;
}

/* KVM_EXIT_DIRTY_RING_FULL: empty this vCPU's ring and go on. */
int lvm_ring_full(libvm_vcpu *v)
{
	libvm_vm *vm = v->vm;

	pthread_rwlock_rdlock(&vm->mem_lock);
	lvm_ring_collect(v);
	pthread_rwlock_unlock(&vm->mem_lock);
	/*
	 * Always: entries a restore harvested (the hot set) fill the ring
	 * too, and only a reset frees them.  kdirty keeps their pages.
	 */
	if (KVM_IOCTL_VAL(vm->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return LIBVM_EKVM;
	v->ring_reset_at = v->ring_next;
	return 0;
}
