/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory: regions, KVM memory slots, and bounds-checked host
 * access.  The region table is small and read far more than written, so a
 * sorted array under a rwlock serves.
 */
#include "../internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int lvm_mem_init(libvm_vm *vm)
{
	if (pthread_rwlock_init(&vm->mem_lock, NULL))
		return lvm_err(LIBVM_ENOMEM, "memory lock");
	return 0;
}

/*
 * Drop a region.  A VM on its way down skips deleting the KVM slot: the
 * VM fd closes next, and a slot deletion waits for an RCU grace period.
 */
static void region_release(libvm_vm *vm, struct lvm_region *r, bool delete)
{
	struct kvm_userspace_memory_region m = {
		.slot = r->slot,
		.guest_phys_addr = r->gpa,
	};

	if (delete)
		lvm_ioctl_raw(vm->vm_fd, KVM_SET_USER_MEMORY_REGION,
			      (unsigned long)&m);
	if (r->owned)
		munmap(r->host, r->size);
	if (r->cow_fd >= 0)
		close(r->cow_fd);
	if (vm->hooks && vm->hooks->region_gone)
		vm->hooks->region_gone(vm, r);
}

void lvm_mem_fini(libvm_vm *vm)
{
	uint32_t i;

	for (i = vm->nregions; i-- > 0;)
		region_release(vm, &vm->regions[i], false);
	vm->nregions = 0;
	free(vm->regions);
	pthread_rwlock_destroy(&vm->mem_lock);
}

/* Lowest KVM slot number no region uses. */
static uint32_t free_slot(const libvm_vm *vm)
{
	uint32_t slot, i;

	for (slot = 0;; slot++) {
		for (i = 0; i < vm->nregions; i++)
			if (vm->regions[i].slot == slot)
				break;
		if (i == vm->nregions)
			return slot;
	}
}

/* Index of the region containing gpa, or -1. Caller holds mem_lock. */
static int find_region(const libvm_vm *vm, uint64_t gpa)
{
	uint32_t lo = 0, hi = vm->nregions;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct lvm_region *r = &vm->regions[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return (int)mid;
	}
	return -1;
}

void lvm_mark_dirty(struct lvm_region *r, uint64_t gpa, uint64_t len)
{
	uint64_t first, last, p;

	if (!r->hdirty || !len)
		return;
	first = (gpa - r->gpa) / LIBVM_PAGE_SIZE;
	last = (gpa - r->gpa + len - 1) / LIBVM_PAGE_SIZE;
	for (p = first; p <= last; p++) {
		__atomic_fetch_or(&r->hdirty[p / 64], 1ull << (p % 64),
				  __ATOMIC_RELAXED);
		__atomic_fetch_or(&r->dsum[p / 4096], 1ull << (p / 64 % 64),
				  __ATOMIC_RELAXED);
	}
}

void *lvm_gpa_ptr(libvm_vm *vm, uint64_t gpa, uint64_t len, bool write)
{
	struct lvm_region *r;
	int i = find_region(vm, gpa);

	if (i < 0)
		return NULL;
	r = &vm->regions[i];
	if (len > r->size - (gpa - r->gpa))
		return NULL;
	if (write) {
		if (!r->host_writable)
			return NULL;
		lvm_mark_dirty(r, gpa, len);
	}
	return r->host + (gpa - r->gpa);
}

static int check_range(libvm_vm *vm, uint64_t gpa, uint64_t size,
		       uint32_t flags)
{
	uint64_t align = (flags & LIBVM_MEM_HUGEPAGES) ? LIBVM_HUGE_SIZE
						       : LIBVM_PAGE_SIZE;
	uint64_t limit = 1ull << vm->phys_bits;
	uint32_t i;

	if (flags & ~(LIBVM_MEM_READONLY | LIBVM_MEM_HUGEPAGES |
		      LIBVM_MEM_VOLATILE))
		return lvm_err(LIBVM_EINVAL, "memory flags %#x: unknown bits",
			       flags);
	if (!size)
		return lvm_err(LIBVM_EINVAL, "region at %#llx: size 0",
			       (unsigned long long)gpa);
	if ((gpa | size) & (align - 1))
		return lvm_err(LIBVM_EINVAL, "region %#llx+%#llx: gpa and "
			       "size must be %llu-byte aligned",
			       (unsigned long long)gpa,
			       (unsigned long long)size,
			       (unsigned long long)align);
	if (gpa >= limit || size > limit - gpa)
		return lvm_err(LIBVM_ERANGE, "region %#llx+%#llx: beyond the "
			       "guest's %u physical address bits",
			       (unsigned long long)gpa,
			       (unsigned long long)size, vm->phys_bits);
	if ((flags & LIBVM_MEM_READONLY) &&
	    !(vm->caps & LIBVM_HOST_READONLY_MEM))
		return lvm_err(LIBVM_ENOTSUP, "read-only memory: this KVM "
			       "lacks KVM_CAP_READONLY_MEM");
	for (i = 0; i < vm->nregions; i++) {
		const struct lvm_region *r = &vm->regions[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return lvm_err(LIBVM_EOVERLAP, "region %#llx+%#llx "
				       "overlaps region %#llx+%#llx",
				       (unsigned long long)gpa,
				       (unsigned long long)size,
				       (unsigned long long)r->gpa,
				       (unsigned long long)r->size);
	}
	if (vm->nregions >= vm->max_memslots)
		return lvm_err(LIBVM_ELIMIT, "region at %#llx: all %u memory "
			       "slots in use", (unsigned long long)gpa,
			       vm->max_memslots);
	return 0;
}

/* Validate, register with KVM and insert.  On failure nothing is kept. */
int lvm_add_region(libvm_vm *vm, uint64_t gpa, uint64_t size, void *host,
		   uint32_t flags, uint32_t how)
{
	struct kvm_userspace_memory_region m;
	struct lvm_region *r;
	uint32_t slot, i, pos;
	int rc;

	pthread_rwlock_wrlock(&vm->mem_lock);
	rc = check_range(vm, gpa, size, flags);
	if (rc < 0)
		goto out;
	if (vm->nregions == vm->regions_cap) {
		uint32_t cap = vm->regions_cap ? vm->regions_cap * 2 : 4;
		struct lvm_region *a = realloc(vm->regions, cap * sizeof(*a));

		if (!a) {
			rc = lvm_err(LIBVM_ENOMEM, "region table");
			goto out;
		}
		vm->regions = a;
		vm->regions_cap = cap;
	}
	slot = free_slot(vm);
	m = (struct kvm_userspace_memory_region){
		.slot = slot,
		.flags = (flags & LIBVM_MEM_READONLY) ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};
	rc = KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m);
	if (rc < 0)
		goto out;
	for (pos = 0; pos < vm->nregions && vm->regions[pos].gpa < gpa; pos++)
		;
	for (i = vm->nregions; i > pos; i--)
		vm->regions[i] = vm->regions[i - 1];
	r = &vm->regions[pos];
	*r = (struct lvm_region){
		.gpa = gpa, .size = size, .host = host, .flags = flags,
		.slot = slot, .owned = how & LVM_REGION_OWNED,
		.host_writable = how & LVM_REGION_HOST_WRITE,
		.sparse = how & LVM_REGION_SPARSE, .cow_fd = -1,
	};
	vm->nregions++;
	rc = 0;
	if (vm->hooks && vm->hooks->region_added) {
		rc = vm->hooks->region_added(vm, r);
		if (rc < 0) {
			m.memory_size = 0;
			lvm_ioctl_raw(vm->vm_fd, KVM_SET_USER_MEMORY_REGION,
				      (unsigned long)&m);
			for (i = pos; i + 1 < vm->nregions; i++)
				vm->regions[i] = vm->regions[i + 1];
			vm->nregions--;
		}
	}
out:
	pthread_rwlock_unlock(&vm->mem_lock);
	return rc;
}

LIBVM_API int libvm_mem_map_anon(libvm_vm *vm, uint64_t gpa, uint64_t size,
				 uint32_t flags)
{
	int mf = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p;
	int r;

	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_anon: vm is NULL");
	if (size > SIZE_MAX || !size)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_anon: size %#llx",
			       (unsigned long long)size);
	/* Check before mmap so a bad request costs no mapping. */
	pthread_rwlock_rdlock(&vm->mem_lock);
	r = check_range(vm, gpa, size, flags);
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		return r;
	p = MAP_FAILED;
	/* Reserved huge pages only: with MAP_NORESERVE a fault could SIGBUS. */
	if (flags & LIBVM_MEM_HUGEPAGES)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, mf, -1, 0);
		if (p == MAP_FAILED)
			return lvm_err_errno(LIBVM_ENOMEM, errno,
					     "mmap %#llx bytes for gpa %#llx",
					     (unsigned long long)size,
					     (unsigned long long)gpa);
		/* No reserved huge pages: transparent ones will do. */
		if (flags & LIBVM_MEM_HUGEPAGES)
			madvise(p, size, MADV_HUGEPAGE);
	}
	r = lvm_add_region(vm, gpa, size, p, flags,
			   LVM_REGION_OWNED | LVM_REGION_HOST_WRITE |
			   LVM_REGION_SPARSE);
	if (r < 0)
		munmap(p, size);
	return r;
}

LIBVM_API int libvm_mem_map_host(libvm_vm *vm, uint64_t gpa, void *host,
				 uint64_t size, uint32_t flags)
{
	if (!vm || !host)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_host: %s is NULL",
			       vm ? "host" : "vm");
	if ((uintptr_t)host & (LIBVM_PAGE_SIZE - 1))
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_host: host pointer "
			       "%p is not page aligned", host);
	if (flags & LIBVM_MEM_HUGEPAGES)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_host: "
			       "LIBVM_MEM_HUGEPAGES is for anonymous memory");
	return lvm_add_region(vm, gpa, size, host, flags,
			      LVM_REGION_HOST_WRITE);
}

LIBVM_API int libvm_mem_map_fd(libvm_vm *vm, uint64_t gpa, int fd,
			       uint64_t offset, uint64_t size, uint32_t flags)
{
	bool ro = flags & LIBVM_MEM_READONLY;
	void *p;
	int r;

	if (!vm || fd < 0)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_fd: %s",
			       vm ? "bad fd" : "vm is NULL");
	if (flags & LIBVM_MEM_HUGEPAGES)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_fd: "
			       "LIBVM_MEM_HUGEPAGES is for anonymous memory");
	if (offset & (LIBVM_PAGE_SIZE - 1))
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_fd: offset %#llx "
			       "is not page aligned",
			       (unsigned long long)offset);
	if (!size || size > SIZE_MAX)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_map_fd: size %#llx",
			       (unsigned long long)size);
	pthread_rwlock_rdlock(&vm->mem_lock);
	r = check_range(vm, gpa, size, flags);
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		return r;
	p = mmap(NULL, size, ro ? PROT_READ : PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED)
		return lvm_err_errno(LIBVM_EIO, errno, "mmap fd %d offset "
				     "%#llx size %#llx", fd,
				     (unsigned long long)offset,
				     (unsigned long long)size);
	r = lvm_add_region(vm, gpa, size, p, flags,
			   LVM_REGION_OWNED | (ro ? 0 : LVM_REGION_HOST_WRITE));
	if (r < 0)
		munmap(p, size);
	return r;
}

LIBVM_API int libvm_mem_unmap(libvm_vm *vm, uint64_t gpa)
{
	uint32_t i;
	int idx;

	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_unmap: vm is NULL");
	pthread_rwlock_wrlock(&vm->mem_lock);
	idx = find_region(vm, gpa);
	if (idx < 0 || vm->regions[idx].gpa != gpa) {
		pthread_rwlock_unlock(&vm->mem_lock);
		return lvm_err(LIBVM_ENOENT, "libvm_mem_unmap: no region "
			       "starts at %#llx", (unsigned long long)gpa);
	}
	region_release(vm, &vm->regions[idx], true);
	for (i = (uint32_t)idx; i + 1 < vm->nregions; i++)
		vm->regions[i] = vm->regions[i + 1];
	vm->nregions--;
	pthread_rwlock_unlock(&vm->mem_lock);
	return 0;
}

static int range_err(const char *fn, uint64_t gpa, uint64_t len)
{
	return lvm_err(LIBVM_ERANGE, "%s: %#llx+%#llx is not inside one "
		       "guest RAM region", fn, (unsigned long long)gpa,
		       (unsigned long long)len);
}

LIBVM_API int libvm_mem_ptr(void **out, libvm_vm *vm, uint64_t gpa,
			    uint64_t len)
{
	void *p;

	if (!out || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_ptr: NULL argument");
	/* The caller may write through it: count it as written. */
	pthread_rwlock_rdlock(&vm->mem_lock);
	p = lvm_gpa_ptr(vm, gpa, len, true);
	if (!p)
		p = lvm_gpa_ptr(vm, gpa, len, false);
	pthread_rwlock_unlock(&vm->mem_lock);
	if (!p)
		return range_err("libvm_mem_ptr", gpa, len);
	*out = p;
	return 0;
}

/*
 * Copy len bytes, possibly across adjacent regions.  The whole range is
 * checked before the first byte moves, so a refused call changes nothing.
 */
static int copy(libvm_vm *vm, void *buf, uint64_t gpa, uint64_t len,
		bool write, const char *fn)
{
	int r = 0, pass;

	if (!vm || (!buf && len))
		return lvm_err(LIBVM_EINVAL, "%s: NULL argument", fn);
	if (len && gpa + len - 1 < gpa)
		return range_err(fn, gpa, len);
	pthread_rwlock_rdlock(&vm->mem_lock);
	for (pass = 0; pass < 2 && !r; pass++) {
		uint8_t *b = buf;
		uint64_t a = gpa, left = len;

		while (left) {
			int i = find_region(vm, a);
			struct lvm_region *reg;
			uint64_t n;

			if (i < 0) {
				r = range_err(fn, gpa, len);
				break;
			}
			reg = &vm->regions[i];
			if (write && !reg->host_writable) {
				r = lvm_err(LIBVM_ERANGE, "%s: %#llx is in a "
					    "region mapped read-only on the "
					    "host", fn, (unsigned long long)a);
				break;
			}
			n = reg->size - (a - reg->gpa);
			if (n > left)
				n = left;
			if (pass && write) {
				lvm_mark_dirty(reg, a, n);
				memcpy(reg->host + (a - reg->gpa), b, n);
			}
			else if (pass)
				memcpy(b, reg->host + (a - reg->gpa), n);
			a += n;
			b += n;
			left -= n;
		}
	}
	pthread_rwlock_unlock(&vm->mem_lock);
	return r;
}

LIBVM_API int libvm_mem_read(libvm_vm *vm, uint64_t gpa, void *dst,
			     uint64_t len)
{
	return copy(vm, dst, gpa, len, false, "libvm_mem_read");
}

LIBVM_API int libvm_mem_write(libvm_vm *vm, uint64_t gpa, const void *src,
			      uint64_t len)
{
	return copy(vm, (void *)(uintptr_t)src, gpa, len, true,
		    "libvm_mem_write");
}
bool lvm_read_u64(libvm_vm *vm, uint64_t gpa, uint64_t *val)
{
	const void *p;

	pthread_rwlock_rdlock(&vm->mem_lock);
	p = lvm_gpa_ptr(vm, gpa, 8, false);
	if (p)
		memcpy(val, p, 8);
	pthread_rwlock_unlock(&vm->mem_lock);
	return p != NULL;
}

