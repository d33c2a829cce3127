/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the snapshot file loader (lib/snapshot/file.c).  No
 * KVM: the input is parsed from a FILE* over the buffer (fmemopen).  A file
 * that loads must keep the loader's promises: limits respected, memory
 * readable, and writing it out again gives a file that loads again with
 * the same contents.
 */
#define _GNU_SOURCE
#include "snapshot/snapfile.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void check(const libvm_snapshot *s)
{
	uint32_t i;

	if (s->nregions > LIBVM_MAX_REGIONS || s->nvcpus > 1024 ||
	    s->rt.console || s->devregs || s->traps[0].n)
		__builtin_trap();
	for (i = 0; i < s->nregions; i++) {
		const struct lvm_snap_region *r = &s->regions[i];
		volatile uint8_t x;

		if (!r->size || r->size % LIBVM_PAGE_SIZE || !r->copy ||
		    r->memfd < 0)
			__builtin_trap();
		x = r->copy[0];
		x = r->copy[r->size - 1];
		(void)x;
	}
	for (i = 0; i < s->ndevs; i++)
		if (!s->devs[i].name[0] || s->devs[i].name[31])
			__builtin_trap();
}

static void same(const libvm_snapshot *a, const libvm_snapshot *b)
{
	uint32_t i;

	if (a->nregions != b->nregions || a->nvcpus != b->nvcpus ||
	    a->ndevs != b->ndevs || a->vm_flags != b->vm_flags)
		__builtin_trap();
	for (i = 0; i < a->nregions; i++)
		if (a->regions[i].size != b->regions[i].size ||
		    memcmp(a->regions[i].copy, b->regions[i].copy,
			   a->regions[i].size))
			__builtin_trap();
	for (i = 0; i < a->nvcpus; i++)
		if (memcmp(&a->vcpus[i].regs, &b->vcpus[i].regs,
			   sizeof(a->vcpus[i].regs)) ||
		    a->vcpus[i].nmsrs != b->vcpus[i].nmsrs)
			__builtin_trap();
	for (i = 0; i < a->ndevs; i++)
		if (a->devs[i].len != b->devs[i].len ||
		    memcmp(a->devs[i].data, b->devs[i].data, a->devs[i].len))
			__builtin_trap();
}

/* Write s out and read it back: it must load and be the same. */
static void round_trip(const libvm_snapshot *s)
{
	libvm_snapshot *t = NULL;
	int fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return;
	if (lvm_snapshot_write(s, fd, "memfd") < 0) {
		close(fd);
		return;
	}
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return;
	}
	if (lvm_snapshot_parse(&t, f) < 0 || !t)
		__builtin_trap();
	same(s, t);
	libvm_snapshot_destroy(t);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	libvm_snapshot *s = (libvm_snapshot *)&s;
	FILE *f;
	int r;

	if (!size)
		return 0;
	f = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!f)
		return 0;
	r = lvm_snapshot_parse(&s, f);
	fclose(f);
	if (r == 0) {
		if (!s)
			__builtin_trap();
		check(s);
		round_trip(s);
		libvm_snapshot_destroy(s);
	} else if (s || r >= 0 || !*libvm_last_error()) {
		__builtin_trap();
	}
	return 0;
}
