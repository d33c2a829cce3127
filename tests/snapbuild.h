/* SPDX-License-Identifier: MIT */
/*
 * A libvm snapshot built by hand, without KVM, for the snapshot file
 * tests, the fuzz seeds and the snapshot file benchmark: one vCPU with
 * patterned state, irqchip, PIT, two devices, a long-mode runtime and the
 * regions the caller adds.  Uses only the structs of lib/snapshot and libc,
 * so programs that link the shared library can use it too; free with
 * libvm_snapshot_destroy.
 */
#ifndef LIBVM_TESTS_SNAPBUILD_H
#define LIBVM_TESTS_SNAPBUILD_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../lib/snapshot/snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SB_XSAVE 4096u
#define SB_NMSRS 5u

static inline void sb_fill(void *p, size_t n, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* A snapshot with no regions; NULL if out of memory. */
static inline libvm_snapshot *sb_new(void)
{
	libvm_snapshot *s = calloc(1, sizeof(*s));
	struct lvm_vcpu_state *v;
	uint32_t i;

	if (!s)
		return NULL;
	s->id = 0x5b5b0000u;
	s->vm_flags = 3;
	s->kick_signal = 61;
	s->rt.active = true;
	s->rt.flags = 1;
	s->rt.sys_gpa = 0x100000;
	s->rt.xcr0 = 7;
	s->rt.scratch_gpa = 0x2000000;
	s->rt.scratch_size = 0x1000000;
	s->rt.scratch_used = 0x40;
	s->vcpus = calloc(1, sizeof(*s->vcpus));
	s->devs = calloc(2, sizeof(*s->devs));
	s->regions = calloc(LIBVM_MAX_REGIONS, sizeof(*s->regions));
	if (!s->vcpus || !s->devs || !s->regions)
		goto fail;
	s->nvcpus = 1;
	v = &s->vcpus[0];
	v->id = 0;
	sb_fill(&v->regs, sizeof(v->regs), 1);
	sb_fill(&v->sregs, sizeof(v->sregs), 2);
	sb_fill(&v->fpu, sizeof(v->fpu), 3);
	v->xcrs.nr_xcrs = 1;		/* XCR0: x87, SSE, AVX */
	v->xcrs.xcrs[0].value = 7;
	sb_fill(&v->lapic, sizeof(v->lapic), 5);
	sb_fill(&v->events, sizeof(v->events), 6);
	sb_fill(&v->mp, sizeof(v->mp), 7);
	sb_fill(&v->debug, sizeof(v->debug), 8);
	sb_fill(&v->rt_sregs, sizeof(v->rt_sregs), 9);
	v->has_xcrs = true;
	v->has_lapic = true;
	v->rt_long = true;
	v->rt_at_dispatch = true;
	v->rt_stack = 0x4000000;
	v->xsave_size = SB_XSAVE;
	v->xsave = malloc(SB_XSAVE);
	v->msrs = calloc(SB_NMSRS, sizeof(*v->msrs));
	if (!v->xsave || !v->msrs)
		goto fail;
	sb_fill(v->xsave, SB_XSAVE, 10);
	v->nmsrs = SB_NMSRS;
	for (i = 0; i < SB_NMSRS; i++) {
		v->msrs[i].index = 0xc0000080u + i;
		v->msrs[i].data = 0x1122334455667788ull * (i + 1);
	}
	s->has_irqchip = true;
	s->has_pit = true;
	sb_fill(s->chips, sizeof(s->chips), 11);
	sb_fill(&s->pit, sizeof(s->pit), 12);
	for (i = 0; i < 2; i++) {
		struct lvm_snap_dev *d = &s->devs[i];

		strcpy(d->name, i ? "uart" : "timer");
		d->len = i ? 100 : 0;
		d->data = malloc(d->len + 1);
		if (!d->data)
			goto fail;
		sb_fill(d->data, d->len, (uint8_t)(13 + i));
		s->ndevs++;
	}
	return s;
fail:
	libvm_snapshot_destroy(s);
	return NULL;
}

/*
 * Add a zero-filled region; returns its writable mapping (the snapshot's
 * copy), or NULL.  Call sb_seal when done writing.
 */
static inline uint8_t *sb_add_region(libvm_snapshot *s, uint64_t gpa,
				     uint64_t size, uint32_t flags)
{
	struct lvm_snap_region *r = &s->regions[s->nregions];

	r->gpa = gpa;
	r->size = size;
	r->flags = flags;
	r->memfd = memfd_create("snapbuild", MFD_CLOEXEC);
	r->copy = NULL;
	s->nregions++;
	if (r->memfd < 0 || ftruncate(r->memfd, (off_t)size) < 0)
		return NULL;
	r->copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->memfd, 0);
	if (r->copy == MAP_FAILED) {
		r->copy = NULL;
		return NULL;
	}
	return r->copy;
}

/* Make the regions read-only, as libvm_snapshot_take leaves them. */
static inline void sb_seal(libvm_snapshot *s)
{
	for (uint32_t i = 0; i < s->nregions; i++)
		if (s->regions[i].copy)
			mprotect(s->regions[i].copy, s->regions[i].size,
				 PROT_READ);
}

#endif
