/* SPDX-License-Identifier: MIT */
/*
 * libvm_snapshot_take: memory into memfds (only pages that are not zero),
 * every vCPU, irqchip, PIT, devices, and what a fork copies.
 */
#define _GNU_SOURCE
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE LIBVM_PAGE_SIZE

/*
 * Mark in vec the pages of sparse region r that may hold data: those this
 * process has present or swapped out (/proc/self/pagemap bits 63 and 62),
 * and in a fork those its snapshot's memfd stores, mapped but maybe never
 * touched here.  The rest of a sparse region was never written: zero.
 * Not mincore, which calls a swapped-out page not resident.  Without
 * pagemap, every page.
 */
static void sparse_pages(unsigned char *vec, const struct lvm_region *r)
{
	const uint64_t pages = r->size / PAGE, chunk = 8192;
	uint64_t *e = malloc(chunk * 8), p, i, n, d, h, pos = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), k;

	memset(vec, 1, pages);
	if (fd < 0 || !e)
		goto out;
	for (p = 0; p < pages; p += n) {
		n = pages - p < chunk ? pages - p : chunk;
		if (pread(fd, e, n * 8,
			  (off_t)(((uintptr_t)r->host / PAGE + p) * 8)) !=
		    (ssize_t)(n * 8))
			goto out;	/* every page, as set above */
		for (i = 0; i < n; i++)
			vec[p + i] = (e[i] >> 62) != 0;
	}
	if (r->cow_fd < 0)
		goto out;
	while ((k = lvm_next_extent(r->cow_fd, pos, r->size, &d, &h)) > 0) {
		memset(vec + d / PAGE, 1, (h - d) / PAGE);
		pos = h;
	}
	if (k < 0)
		memset(vec + pos / PAGE, 1, pages - pos / PAGE);
out:
	if (fd >= 0)
		close(fd);
	free(e);
}

/*
 * Copy a region's non-zero pages into a fresh memfd.  Where pages that were
 * never written are known to be zero (anonymous or fork memory),
 * sparse_pages saves reading them; a file's pages may be out of the page
 * cache, so file-backed and caller-owned memory is read whole.
 */
static int snap_region(struct lvm_snap_region *sr, const struct lvm_region *r)
{
	uint64_t pages = r->size / PAGE, p;
	unsigned char *vec;

	sr->gpa = r->gpa;
	sr->size = r->size;
	sr->flags = r->flags;
	sr->memfd = memfd_create("libvm-snapshot", MFD_CLOEXEC);
	if (sr->memfd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "memfd_create");
	if (ftruncate(sr->memfd, (off_t)r->size) < 0)
		return lvm_err_errno(LIBVM_ENOMEM, errno, "snapshot of %#llx+"
				     "%#llx", (unsigned long long)r->gpa,
				     (unsigned long long)r->size);
	sr->copy = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			sr->memfd, 0);
	if (sr->copy == MAP_FAILED) {
		sr->copy = NULL;
		return lvm_err_errno(LIBVM_ENOMEM, errno, "mmap snapshot");
	}
	sr->data = calloc(1, lvm_snap_bitmap_bytes(r->size));
	vec = malloc(pages + 1);
	if (!vec || !sr->data) {
		free(vec);
		return lvm_err(LIBVM_ENOMEM, "snapshot page vector");
	}
	if (r->sparse)
		sparse_pages(vec, r);
	else
		memset(vec, 1, pages);
	for (p = 0; p < pages; p++) {
		const uint8_t *src = r->host + p * PAGE;

		if ((vec[p] & 1) && !lvm_page_zero(src)) {
			memcpy(sr->copy + p * PAGE, src, PAGE);
			sr->data[p / 64] |= 1ull << (p % 64);
		}
	}
	free(vec);
	mprotect(sr->copy, r->size, PROT_READ);
	return 0;
}

bool lvm_snap_vcpu_running(libvm_vm *vm)
{
	bool busy = false;
	uint32_t i;

	/* vcpu_lock: libvm_vcpu_create may grow the array meanwhile. */
	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc && !busy; i++) {
		libvm_vcpu *v = vm->vcpus[i];

		if (v) {
			pthread_mutex_lock(&v->run_lock);
			busy = v->running;
			pthread_mutex_unlock(&v->run_lock);
		}
	}
	pthread_mutex_unlock(&vm->vcpu_lock);
	return busy;
}

int lvm_snap_copy_traps(struct lvm_trap_table *dst,
		      const struct lvm_trap_table *src)
{
	uint32_t i;

	for (i = 0; i < 3; i++) {
		dst[i].n = dst[i].cap = 0;
		dst[i].v = NULL;
		if (!src[i].n)
			continue;
		dst[i].v = malloc(src[i].n * sizeof(*dst[i].v));
		if (!dst[i].v)
			return lvm_err(LIBVM_ENOMEM, "trap table copy");
		memcpy(dst[i].v, src[i].v, src[i].n * sizeof(*dst[i].v));
		dst[i].n = dst[i].cap = src[i].n;
	}
	return 0;
}

LIBVM_API int libvm_snapshot_take(libvm_snapshot **out, libvm_vm *vm)
{
	libvm_snapshot *s;
	uint32_t i, n;
	int r;

	if (!out || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_snapshot_take: NULL "
			       "argument");
	*out = NULL;
	if (lvm_snap_vcpu_running(vm))
		return lvm_err(LIBVM_EBUSY, "libvm_snapshot_take: a vCPU is "
			       "running");
	s = calloc(1, sizeof(*s));
	if (!s)
		return lvm_err(LIBVM_ENOMEM, "libvm_snapshot_take");
	s->id = lvm_snap_new_id();
	s->vm_flags = vm->flags;
	s->kick_signal = vm->kick_signal;
	s->rt = vm->rt;

	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0, n = 0; i < vm->nvcpus_alloc; i++)
		n += vm->vcpus[i] != NULL;
	s->vcpus = calloc(n + 1, sizeof(*s->vcpus));
	r = s->vcpus ? 0 : lvm_err(LIBVM_ENOMEM, "vCPU snapshot");
	for (i = 0; i < vm->nvcpus_alloc && !r; i++)
		if (vm->vcpus[i])
			r = lvm_snap_save_vcpu(&s->vcpus[s->nvcpus++], vm->vcpus[i],
				      s->id);
	pthread_mutex_unlock(&vm->vcpu_lock);
	if (r < 0)
		goto fail;

	if (vm->flags & LIBVM_VM_IRQCHIP) {
		for (i = 0; i < 3; i++) {
			s->chips[i].chip_id = i;
			if (KVM_IOCTL(vm->vm_fd, KVM_GET_IRQCHIP,
				      &s->chips[i]) < 0) {
				r = LIBVM_EKVM;
				goto fail;
			}
		}
		s->has_irqchip = true;
	}
	if (vm->flags & LIBVM_VM_PIT) {
		if (KVM_IOCTL(vm->vm_fd, KVM_GET_PIT2, &s->pit) < 0) {
			r = LIBVM_EKVM;
			goto fail;
		}
		s->has_pit = true;
	}
	s->devs = calloc(vm->ndevs + 1, sizeof(*s->devs));
	s->devregs = calloc(vm->ndevs + 1, sizeof(*s->devregs));
	if (!s->devs || !s->devregs) {
		r = lvm_err(LIBVM_ENOMEM, "device snapshot");
		goto fail;
	}
	for (i = 0; i < vm->ndevs; i++) {
		struct lvm_snap_dev *d = &s->devs[s->ndevs++];

		memcpy(d->name, vm->devs[i].name, sizeof(d->name));
		d->len = vm->devs[i].len;
		d->data = malloc(d->len + 1);
		if (!d->data) {
			r = lvm_err(LIBVM_ENOMEM, "device snapshot");
			goto fail;
		}
		if (d->len)	/* state may be NULL when len is 0 */
			memcpy(d->data, vm->devs[i].state, d->len);
		s->devregs[i] = vm->devs[i];
	}
	s->ndevregs = vm->ndevs;
	pthread_rwlock_rdlock(&vm->trap_lock);
	r = lvm_snap_copy_traps(s->traps, vm->traps);
	pthread_rwlock_unlock(&vm->trap_lock);
	if (r < 0)
		goto fail;

	pthread_rwlock_wrlock(&vm->mem_lock);
	r = lvm_snap_start_tracking(vm);
	/* A take that fails half way has cleared some hdirty: restore whole. */
	vm->base_snap = 0;
	if (!r && vm->ring_entries)
		lvm_ring_harvest(vm);
	s->regions = calloc(vm->nregions + 1, sizeof(*s->regions));
	if (!r && !s->regions)
		r = lvm_err(LIBVM_ENOMEM, "region snapshot");
	for (i = 0; i < vm->nregions && !r; i++) {
		struct lvm_region *reg = &vm->regions[i];

		if (reg->flags & LIBVM_MEM_VOLATILE)
			continue;
		s->regions[s->nregions].memfd = -1;
		r = snap_region(&s->regions[s->nregions++], reg);
		if (!r)
			r = lvm_snap_fetch_dirty(vm, reg);
		if (!r)
			memset(reg->hdirty, 0, lvm_snap_bitmap_bytes(reg->size));
	}
	/* From here on, dirty means "differs from this snapshot". */
	if (!r)
		r = lvm_snap_protect_hot(vm);
	if (!r) {
		vm->base_snap = s->id;
		s->rt_trusted = lvm_snap_rt_trusted(vm);
		for (i = 0; i < s->nvcpus; i++)
			s->vcpus[i].user_only = s->rt_trusted &&
				lvm_snap_vcpu_user_only(&s->rt, &s->vcpus[i]);
	}
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	lvm_snap_free(s);
	return r;
}
