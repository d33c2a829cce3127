/* SPDX-License-Identifier: MIT */
/*
 * libvm_vm_fork: a new VM whose memory maps the snapshot's memfds
 * copy-on-write (their data extents over private anonymous memory).
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

/* Give the fork's region at gpa the memfd it maps (full restores). */
static void set_cow_fd(libvm_vm *vm, uint64_t gpa, int fd)
{
	uint32_t i;

	pthread_rwlock_wrlock(&vm->mem_lock);
	for (i = 0; i < vm->nregions; i++)
		if (vm->regions[i].gpa == gpa) {
			vm->regions[i].cow_fd = fd;
			fd = -1;
			break;
		}
	pthread_rwlock_unlock(&vm->mem_lock);
	if (fd >= 0)
		close(fd);
}

/*
 * Most data extents of a region's memfd a fork maps one by one.  Each costs
 * the process two VMAs (the extent and the anonymous memory after it) of
 * vm.max_map_count, 65530 by default, which all VMs and libraries of the
 * process share: at 128, a region takes at most 257, so hundreds of forks
 * of even a scattered snapshot fit.  A snapshot of libvm's runtime and a
 * program has about ten extents; RAM more scattered than this (a whole
 * operating system's) gets its memfd mapped whole.
 */
#define FORK_MAX_EXTENTS	128

struct extent {
	uint64_t off, len;
};

/*
 * The data extents of sr's memfd, page aligned, into ext; their number, or
 * max + 1 when there are more than max or lseek cannot tell.
 */
static uint32_t data_extents(struct extent *ext, uint32_t max,
			     const struct lvm_snap_region *sr)
{
	uint64_t pos = 0, d, h;
	uint32_t n = 0;
	int k;

	while ((k = lvm_next_extent(sr->memfd, pos, sr->size, &d, &h)) > 0) {
		if (n == max)
			return max + 1;
		ext[n].off = d;
		ext[n++].len = h - d;
		pos = h;
	}
	return k < 0 ? max + 1 : n;
}

/*
 * A fork's memory for sr: private anonymous memory with the memfd's data
 * extents mapped MAP_PRIVATE over it.  Reading a hole through a mapping of
 * the memfd would make shmem allocate a page in it, shared by all forks
 * and for good; anonymous memory reads the zero page.  Past
 * FORK_MAX_EXTENTS, or if an extent cannot be mapped (out of VMAs), the
 * memfd is mapped whole.  No transparent huge pages: a fork costs the
 * pages it writes, not 2 MiB each (nor what khugepaged makes of them).
 */
void *lvm_snap_fork_map(const struct lvm_snap_region *sr)
{
	struct extent ext[FORK_MAX_EXTENTS];
	uint32_t n = data_extents(ext, FORK_MAX_EXTENTS, sr), i;
	uint8_t *p = MAP_FAILED;

	if (n <= FORK_MAX_EXTENTS)
		p = mmap(NULL, sr->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto whole;
	madvise(p, sr->size, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		void *q = mmap(p + ext[i].off, ext[i].len,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
			       sr->memfd, (off_t)ext[i].off);

		if (q == MAP_FAILED) {
			munmap(p, sr->size);
			goto whole;
		}
	}
	return p;
whole:
	return mmap(NULL, sr->size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_NORESERVE, sr->memfd, 0);
}

LIBVM_API int libvm_vm_fork(libvm_vm **out, libvm_snapshot *s)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;
	uint32_t i;
	int r;

	if (!out || !s)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_fork: NULL argument");
	*out = NULL;
	cfg.flags = s->vm_flags;
	cfg.kick_signal = s->kick_signal;
	r = libvm_vm_create(&vm, &cfg);
	if (r < 0)
		return r;
	for (i = 0; i < s->nregions; i++) {
		const struct lvm_snap_region *sr = &s->regions[i];
		void *p = lvm_snap_fork_map(sr);

		if (p == MAP_FAILED) {
			r = lvm_err_errno(LIBVM_ENOMEM, errno, "fork: mmap of "
					  "%#llx+%#llx",
					  (unsigned long long)sr->gpa,
					  (unsigned long long)sr->size);
			goto fail;
		}
		int fd = fcntl(sr->memfd, F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			r = lvm_err_errno(LIBVM_EIO, errno, "fork: dup of a "
					  "snapshot memfd");
			munmap(p, sr->size);
			goto fail;
		}
		r = lvm_add_region(vm, sr->gpa, sr->size, p,
				   sr->flags & ~LIBVM_MEM_HUGEPAGES,
				   LVM_REGION_OWNED | LVM_REGION_HOST_WRITE |
				   LVM_REGION_SPARSE);
		if (r < 0) {
			close(fd);
			munmap(p, sr->size);
			goto fail;
		}
		set_cow_fd(vm, sr->gpa, fd);
	}
	pthread_rwlock_wrlock(&vm->trap_lock);
	r = lvm_snap_copy_traps(vm->traps, s->traps);
	pthread_rwlock_unlock(&vm->trap_lock);
	if (r < 0)
		goto fail;
	/* After the traps: a snapshot from a file has none to copy. */
	r = lvm_rt_adopt(vm, &s->rt);
	if (r < 0)
		goto fail;
	lvm_rt_callbacks(&vm->rt, &s->rt);
	if (s->ndevregs) {
		vm->devs = calloc(s->ndevregs, sizeof(*vm->devs));
		if (!vm->devs) {
			r = lvm_err(LIBVM_ENOMEM, "fork: device state");
			goto fail;
		}
		memcpy(vm->devs, s->devregs, s->ndevregs * sizeof(*vm->devs));
		vm->ndevs = s->ndevregs;
	}
	for (i = 0; i < s->nvcpus; i++) {
		libvm_vcpu *v;

		r = libvm_vcpu_create(&v, vm, s->vcpus[i].id);
		if (r < 0)
			goto fail;
	}
	/* Memory already is the snapshot's: start clean at it. */
	pthread_rwlock_wrlock(&vm->mem_lock);
	r = lvm_snap_start_tracking(vm);
	if (!r)
		vm->base_snap = s->id;
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		goto fail;
	r = libvm_snapshot_restore(vm, s);
	if (r < 0)
		goto fail;
	*out = vm;
	return 0;
fail:
	libvm_vm_destroy(vm);
	return r;
}
