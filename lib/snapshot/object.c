/* SPDX-License-Identifier: MIT */
/*
 * Snapshot objects: ids, freeing, the data extents of a memfd, and the
 * one all-zero page test.  Needs no KVM (the snapshot-file fuzz target
 * links it with the parser alone).
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

uint64_t lvm_snap_new_id(void)
{
	static atomic_ullong next = 1;

	return atomic_fetch_add(&next, 1);
}

/*
 * The first data extent of fd at or after pos and below size, widened to
 * pages: [*d, *h).  Returns 1 if there is one, 0 if fd holds no data in
 * [pos, size), -1 if lseek cannot tell (take the rest as data).
 */
int lvm_next_extent(int fd, uint64_t pos, uint64_t size, uint64_t *d,
		    uint64_t *h)
{
	off_t a = lseek(fd, (off_t)pos, SEEK_DATA), b;

	if (a < 0)
		return errno == ENXIO ? 0 : -1;
	if ((uint64_t)a >= size)
		return 0;
	b = lseek(fd, a, SEEK_HOLE);
	if (b < 0)
		return -1;
	*d = (uint64_t)a & ~(PAGE - 1);
	*h = ((uint64_t)b + PAGE - 1) & ~(PAGE - 1);
	if (*h > size)
		*h = size;
	if (*h <= *d)
		*h = *d + PAGE;
	return 1;
}

void lvm_snap_free(libvm_snapshot *s)
{
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->nregions; i++) {
		if (s->regions[i].copy)
			munmap(s->regions[i].copy, s->regions[i].size);
		if (s->regions[i].memfd >= 0)
			close(s->regions[i].memfd);
		free(s->regions[i].data);
	}
	for (i = 0; i < s->nvcpus; i++) {
		free(s->vcpus[i].xsave);
		free(s->vcpus[i].msrs);
	}
	for (i = 0; i < s->ndevs; i++)
		free(s->devs[i].data);
	for (i = 0; i < 3; i++)
		free(s->traps[i].v);
	free(s->devregs);
	free(s->regions);
	free(s->vcpus);
	free(s->devs);
	free(s);
}

LIBVM_API void libvm_snapshot_destroy(libvm_snapshot *s)
{
	lvm_snap_free(s);
}

bool lvm_page_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}
