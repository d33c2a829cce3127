/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files (lib/snapshot/file.c) without KVM: a snapshot built by
 * hand (tests/snapbuild.h) saved and loaded back, and every kind of damaged
 * file rejected with a message and nothing left behind.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "snapbuild.h"
#include "fifo.h"
#include "snapshot/snapfile.h"
#include "tmpdir.h"

#define R0_SIZE (1ull << 20)
#define R1_GPA 0x100000000ull
#define R1_SIZE 0x10000ull

static char dir[4096];
static char path[4200];

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the DIR's own */
}

static void setup(void)
{
	h_tmpdir(dir, sizeof(dir), "snapfile");
	snprintf(path, sizeof(path), "%s/snap", dir);
}

static void teardown(void)
{
	h_rmtree(dir);
}

/* The test snapshot: data, text and zero pages in two regions. */
static libvm_snapshot *build(void)
{
	libvm_snapshot *s = sb_new();
	uint8_t *m;

	cr_assert(s);
	m = sb_add_region(s, 0, R0_SIZE, 0);
	cr_assert(m);
	sb_fill(m, 0x3000, 21);			/* pages 0-2 */
	memcpy(m + 0x10000 + 100, "snapshot", 8);	/* page 16, mostly 0 */
	sb_fill(m + R0_SIZE - 0x1000, 0x1000, 22);	/* the last page */
	m = sb_add_region(s, R1_GPA, R1_SIZE, LIBVM_MEM_READONLY);
	cr_assert(m);
	for (int i = 0; i < 0x1000; i++)
		m[0x4000 + i] = (uint8_t)"lorem ipsum "[i % 12];
	sb_seal(s);
	return s;
}

static void expect_same(const libvm_snapshot *a, const libvm_snapshot *b)
{
	uint32_t i;

	cr_assert_eq(a->vm_flags, b->vm_flags);
	cr_assert_eq(a->kick_signal, b->kick_signal);
	cr_assert_eq(a->rt.active, b->rt.active);
	cr_assert_eq(a->rt.flags, b->rt.flags);
	cr_assert_eq(a->rt.sys_gpa, b->rt.sys_gpa);
	cr_assert_eq(a->rt.xcr0, b->rt.xcr0);
	cr_assert_eq(a->rt.scratch_gpa, b->rt.scratch_gpa);
	cr_assert_eq(a->rt.scratch_size, b->rt.scratch_size);
	cr_assert_eq(a->rt.scratch_used, b->rt.scratch_used);
	cr_assert_null(b->rt.console);
	cr_assert_null(b->rt.console_opaque);
	cr_assert_eq(a->nvcpus, b->nvcpus);
	for (i = 0; i < a->nvcpus; i++) {
		const struct lvm_vcpu_state *x = &a->vcpus[i], *y = &b->vcpus[i];

		cr_assert_eq(x->id, y->id);
		cr_assert_eq(x->xsave_size, y->xsave_size);
		cr_assert_arr_eq(x->xsave, y->xsave, x->xsave_size);
		cr_assert_arr_eq(&x->regs, &y->regs, sizeof(x->regs));
		cr_assert_arr_eq(&x->sregs, &y->sregs, sizeof(x->sregs));
		cr_assert_arr_eq(&x->fpu, &y->fpu, sizeof(x->fpu));
		cr_assert_arr_eq(&x->xcrs, &y->xcrs, sizeof(x->xcrs));
		cr_assert_arr_eq(&x->lapic, &y->lapic, sizeof(x->lapic));
		cr_assert_arr_eq(&x->events, &y->events, sizeof(x->events));
		cr_assert_arr_eq(&x->mp, &y->mp, sizeof(x->mp));
		cr_assert_arr_eq(&x->debug, &y->debug, sizeof(x->debug));
		cr_assert_arr_eq(&x->rt_sregs, &y->rt_sregs,
				 sizeof(x->rt_sregs));
		cr_assert_eq(x->has_xcrs, y->has_xcrs);
		cr_assert_eq(x->has_lapic, y->has_lapic);
		cr_assert_eq(x->rt_long, y->rt_long);
		cr_assert_eq(x->rt_at_dispatch, y->rt_at_dispatch);
		cr_assert_eq(x->rt_stack, y->rt_stack);
		cr_assert_eq(x->nmsrs, y->nmsrs);
		for (uint32_t j = 0; j < x->nmsrs; j++) {
			cr_assert_eq(x->msrs[j].index, y->msrs[j].index);
			cr_assert_eq(x->msrs[j].data, y->msrs[j].data);
		}
	}
	cr_assert_eq(a->has_irqchip, b->has_irqchip);
	cr_assert_eq(a->has_pit, b->has_pit);
	if (a->has_irqchip)
		cr_assert_arr_eq(a->chips, b->chips, sizeof(a->chips));
	if (a->has_pit)
		cr_assert_arr_eq(&a->pit, &b->pit, sizeof(a->pit));
	cr_assert_eq(a->ndevs, b->ndevs);
	for (i = 0; i < a->ndevs; i++) {
		cr_assert_str_eq(a->devs[i].name, b->devs[i].name);
		cr_assert_eq(a->devs[i].len, b->devs[i].len);
		cr_assert_arr_eq(a->devs[i].data, b->devs[i].data,
				 a->devs[i].len);
	}
	cr_assert_eq(a->nregions, b->nregions);
	for (i = 0; i < a->nregions; i++) {
		const struct lvm_snap_region *x = &a->regions[i];
		const struct lvm_snap_region *y = &b->regions[i];

		cr_assert_eq(x->gpa, y->gpa);
		cr_assert_eq(x->size, y->size);
		cr_assert_eq(x->flags, y->flags);
		cr_assert_geq(y->memfd, 0);
		/*
		 * The loaded memfd stores the non-zero pages and data says
		 * which (looked at before the reads below fill the holes).
		 */
		for (uint64_t p = 0; p < y->size / 4096; p++) {
			static const uint8_t zero[4096];
			off_t d = lseek(y->memfd, (off_t)(p * 4096), SEEK_DATA);
			bool bit = y->data[p / 64] >> (p % 64) & 1;

			cr_assert_eq(d == (off_t)(p * 4096), bit,
				     "region %u page %llu", i,
				     (unsigned long long)p);
			cr_assert_eq(memcmp(x->copy + p * 4096, zero, 4096) != 0,
				     bit, "region %u page %llu", i,
				     (unsigned long long)p);
		}
		cr_assert(!memcmp(x->copy, y->copy, x->size),
			  "region %u contents differ", i);
	}
	cr_assert_eq(b->ndevregs, 0);
	cr_assert_null(b->devregs);
	for (i = 0; i < 3; i++)
		cr_assert_eq(b->traps[i].n, 0);
}

static uint8_t *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	uint8_t *b;
	long len;

	cr_assert(f, "open %s", p);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)len + 64);
	cr_assert(b);
	cr_assert_eq(fread(b, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return b;
}

static void spit(const char *p, const uint8_t *b, size_t n)
{
	FILE *f = fopen(p, "wb");

	cr_assert(f);
	cr_assert_eq(fwrite(b, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* The saved test snapshot's bytes. */
static uint8_t *saved(size_t *n)
{
	libvm_snapshot *s = build();

	cr_assert_eq(libvm_snapshot_save(s, path), 0, "%s",
		     libvm_last_error());
	libvm_snapshot_destroy(s);
	return slurp(path, n);
}

/* Load b[0..n) through a file; expect code and "snapshot file" + want. */
static void expect_bad(const uint8_t *b, size_t n, int code,
		       const char *want, const char *what)
{
	libvm_snapshot *s = (libvm_snapshot *)&s;
	int r;

	spit(path, b, n);
	r = libvm_snapshot_load(&s, path);
	cr_assert_eq(r, code, "%s: %d (%s), want %d", what, r,
		     libvm_last_error(), code);
	cr_assert_null(s, "%s: *out not NULL", what);
	cr_assert(strstr(libvm_last_error(), "snapshot file"),
		  "%s: message \"%s\"", what, libvm_last_error());
	if (want)
		cr_assert(strstr(libvm_last_error(), want),
			  "%s: message \"%s\" lacks \"%s\"", what,
			  libvm_last_error(), want);
}

/* Walk the sections: offsets of their headers (and of the end). */
struct secs {
	size_t at[64];
	uint32_t type[64];
	size_t n;
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void wr64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void walk(struct secs *w, const uint8_t *b, size_t n)
{
	size_t off = 48;

	w->n = 0;
	while (off < n) {
		cr_assert_lt(w->n, 64);
		w->at[w->n] = off;
		w->type[w->n++] = rd32(b + off);
		off += 32 + rd64(b + off + 8);
	}
	cr_assert_eq(off, n);
}

static size_t find(const struct secs *w, uint32_t type, unsigned nth)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->type[i] == type && !nth--)
			return w->at[i];
	cr_assert_fail("no section of type %u", type);
	return 0;
}

/* After editing a section's payload or header: make its CRCs right. */
static void fix(uint8_t *b, size_t at)
{
	uint64_t len = rd64(b + at + 8);

	wr32(b + at + 24, (uint32_t)crc32(0, b + at + 32, (uInt)len));
	wr32(b + at + 28, (uint32_t)crc32(0, b + at, 28));
}

TestSuite(snapshot_file, .init = setup, .fini = teardown);

Test(snapshot_file, round_trip)
{
	int fds = count_fds();
	libvm_snapshot *a = build(), *b = NULL;
	struct stat st;

	cr_assert_eq(libvm_snapshot_save(a, path), 0, "%s",
		     libvm_last_error());
	cr_assert_eq(stat(path, &st), 0);
	/* 1 MiB + 64 KiB of memory, 7 non-zero pages: zeros take no room. */
	cr_assert_lt(st.st_size, 40000, "file is %lld bytes",
		     (long long)st.st_size);
	cr_assert_eq(libvm_snapshot_load(&b, path), 0, "%s",
		     libvm_last_error());
	expect_same(a, b);
	cr_assert_neq(a->id, b->id);
	cr_assert_neq(b->id, 0);
	/* What was zero is zero. */
	for (uint64_t i = 0x3000; i < 0x10000; i++)
		cr_assert_eq(b->regions[0].copy[i], 0);
	/* A loaded snapshot saves to the same bytes. */
	{
		char p2[4300];
		size_t n1, n2;
		uint8_t *x, *y;

		snprintf(p2, sizeof(p2), "%s/again", dir);
		cr_assert_eq(libvm_snapshot_save(b, p2), 0);
		x = slurp(path, &n1);
		y = slurp(p2, &n2);
		cr_assert_eq(n1, n2);
		cr_assert(!memcmp(x, y, n1));
		free(x);
		free(y);
	}
	libvm_snapshot_destroy(a);
	libvm_snapshot_destroy(b);
	cr_assert_eq(count_fds(), fds);
}

Test(snapshot_file, bare_snapshot)
{
	libvm_snapshot *a = sb_new(), *b = NULL;

	cr_assert(a);
	a->has_irqchip = a->has_pit = false;
	a->vm_flags = 0;
	cr_assert_eq(libvm_snapshot_save(a, path), 0, "%s",
		     libvm_last_error());
	cr_assert_eq(libvm_snapshot_load(&b, path), 0, "%s",
		     libvm_last_error());
	expect_same(a, b);
	libvm_snapshot_destroy(a);
	libvm_snapshot_destroy(b);
}

Test(snapshot_file, parse_from_memory)
{
	size_t n;
	uint8_t *b = saved(&n);
	libvm_snapshot *s = NULL;
	FILE *f = fmemopen(b, n, "rb");

	cr_assert(f);
	cr_assert_eq(lvm_snapshot_parse(&s, f), 0, "%s", libvm_last_error());
	cr_assert_eq(s->nregions, 2);
	fclose(f);
	libvm_snapshot_destroy(s);
	free(b);
}

Test(snapshot_file, truncated)
{
	size_t n, i, k;
	uint8_t *b = saved(&n);
	struct secs w;
	int fds = count_fds();
	char what[64];

	walk(&w, b, n);
	cr_assert_geq(w.n, 10);		/* VM VCPU IRQCHIP PIT 2 DEV 2x2 END */
	expect_bad(b, 0, LIBVM_EIMAGE, "offset 0", "empty");
	expect_bad(b, 47, LIBVM_EIMAGE, "truncated", "header");
	for (i = 0; i < w.n; i++)
		for (k = 0; k < 3; k++) {
			size_t cut = w.at[i] + (size_t[]){ 0, 1, 33 }[k];

			if (cut >= n)
				continue;
			snprintf(what, sizeof(what), "cut at %zu", cut);
			expect_bad(b, cut, LIBVM_EIMAGE, "offset", what);
		}
	srand(7);
	for (i = 0; i < 40; i++) {
		size_t cut = (size_t)rand() % n;

		snprintf(what, sizeof(what), "cut at %zu", cut);
		expect_bad(b, cut, LIBVM_EIMAGE, "offset", what);
	}
	expect_bad(b, n - 1, LIBVM_EIMAGE, "offset", "last byte");
	memcpy(b + n, "\0\0\0\0", 4);
	expect_bad(b, n + 4, LIBVM_EIMAGE, "trailing", "trailing bytes");
	cr_assert_eq(count_fds(), fds);
	free(b);
}

Test(snapshot_file, flipped_bytes)
{
	size_t n, i;
	uint8_t *b = saved(&n);
	struct secs w;
	char what[64];

	walk(&w, b, n);
	for (i = 0; i < w.n; i++) {
		size_t at = w.at[i], len = rd64(b + at + 8);
		size_t offs[3] = { at + 8, at + 32, at + 32 + len / 2 };

		for (int k = 0; k < 3; k++) {
			if (k && !len)
				continue;
			b[offs[k]] ^= 0x10;
			snprintf(what, sizeof(what), "section %u at %zu, byte "
				 "%zu", w.type[i], at, offs[k]);
			expect_bad(b, n, LIBVM_EIMAGE, "CRC", what);
			b[offs[k]] ^= 0x10;
		}
	}
	/* The memory stream's last byte (zlib's own checksum). */
	{
		size_t at = find(&w, 7, 0), len = rd64(b + at + 8);

		b[at + 32 + len - 1] ^= 1;
		expect_bad(b, n, LIBVM_EIMAGE, "CRC", "end of MEMORY");
		b[at + 32 + len - 1] ^= 1;
	}
	free(b);
}

Test(snapshot_file, header_checks)
{
	size_t n;
	uint8_t *b = saved(&n);

	b[0] = 'X';
	expect_bad(b, n, LIBVM_EIMAGE, "magic", "magic");
	b[0] = 'L';
	wr32(b + 8, 2);
	expect_bad(b, n, LIBVM_EVERSION, "version 2", "version");
	wr32(b + 8, 1);
	b[20] ^= 1;
	expect_bad(b, n, LIBVM_EIMAGE, "header CRC", "header byte");
	b[20] ^= 1;
	wr32(b + 12, 2);
	wr32(b + 44, (uint32_t)crc32(0, b, 44));
	expect_bad(b, n, LIBVM_EIMAGE, "architecture 2", "arch");
	wr32(b + 12, 1);
	wr32(b + 36, 4);
	wr32(b + 44, (uint32_t)crc32(0, b, 44));
	expect_bad(b, n, LIBVM_EIMAGE, "header flags 0x4 at offset 36",
		   "header flags");
	wr32(b + 36, 0);
	wr32(b + 40, 0x80);
	wr32(b + 44, (uint32_t)crc32(0, b, 44));
	expect_bad(b, n, LIBVM_EIMAGE, "reserved field 0x80 at offset 40",
		   "header reserved");
	free(b);
}

/* Damage with CRCs recomputed: the checks behind the CRCs. */
Test(snapshot_file, semantic_checks)
{
	size_t n, vm, vc, dev, reg, mem, xcrs;
	uint8_t *b = saved(&n), *c = malloc(n + 64);
	struct secs w;

	cr_assert(c);
	walk(&w, b, n);
	vm = find(&w, 1, 0);
	vc = find(&w, 2, 0);
	/* kvm_xcrs in the VCPU payload: after its 64 fixed bytes and 3 structs */
	xcrs = vc + 32 + 64 + sizeof(struct kvm_regs) +
	       sizeof(struct kvm_sregs) + sizeof(struct kvm_fpu);
	dev = find(&w, 5, 1);
	reg = find(&w, 6, 0);
	mem = find(&w, 7, 0);

#define EDIT(sec, stmt, code, want)                                      \
	do {                                                              \
		memcpy(c, b, n);                                          \
		stmt;                                                     \
		fix(c, sec);                                              \
		expect_bad(c, n, code, want, #stmt);                      \
	} while (0)

	/* Counts: over the limits, and more than the file can hold. */
	EDIT(vm, wr32(c + vm + 32 + 12, 100000), LIBVM_EIMAGE, "limits");
	EDIT(vm, wr32(c + vm + 32 + 8, 513), LIBVM_EIMAGE, "limits");
	EDIT(vm, wr32(c + vm + 32 + 16, 0xffffffff), LIBVM_EIMAGE, "limits");
	EDIT(vm, wr32(c + vm + 32 + 12, 1000), LIBVM_EIMAGE, "at least");
	EDIT(vm, wr32(c + vm + 32 + 12, 2), LIBVM_EIMAGE, "expected VCPU");
	EDIT(vm, wr32(c + vm + 32 + 20, 0x10), LIBVM_EIMAGE, "state bits");
	/* Fields that contradict each other or the format. */
	EDIT(vm, wr32(c + vm + 32, 0x13), LIBVM_EIMAGE, "VM flags 0x13: "
	     "unknown bits 0x10");
	EDIT(vm, wr32(c + vm + 32, 0), LIBVM_EIMAGE, "LIBVM_VM_IRQCHIP needs");
	EDIT(vm, wr32(c + vm + 32, 1), LIBVM_EIMAGE, "LIBVM_VM_PIT needs");
	EDIT(vm, wr32(c + vm + 32 + 20, 1), LIBVM_EIMAGE, "LIBVM_VM_PIT needs");
	EDIT(vm, wr32(c + vm + 32 + 20, 0), LIBVM_EIMAGE,
	     "LIBVM_VM_IRQCHIP needs");
	EDIT(vm, (wr32(c + vm + 32, 2), wr32(c + vm + 32 + 20, 2)),
	     LIBVM_EIMAGE, "LIBVM_VM_PIT without LIBVM_VM_IRQCHIP");
	EDIT(vm, wr32(c + vm + 32 + 4, 9), LIBVM_EIMAGE, "kick signal 9");
	EDIT(vm, wr32(c + vm + 32 + 4, 65), LIBVM_EIMAGE, "kick signal 65");
	EDIT(vm, wr32(c + vm + 32 + 4, 0xffffffff), LIBVM_EIMAGE,
	     "kick signal -1");
	EDIT(vm, wr32(c + vm + 32 + 24, 2), LIBVM_EIMAGE, "runtime active 2");
	EDIT(vm, wr32(c + vm + 32 + 28, 0x100), LIBVM_EIMAGE,
	     "runtime flags 0x100");
	EDIT(vm, wr64(c + vm + 32 + 40, 0x107), LIBVM_EIMAGE,
	     "runtime XCR0 0x107");
	EDIT(vm, wr64(c + vm + 32 + 40, 6), LIBVM_EIMAGE, "runtime XCR0 0x6");
	EDIT(vm, wr64(c + vm + 32 + 40, 0x60007), LIBVM_EIMAGE,
	     "cannot hold the state of XCR0 0x60007");
	EDIT(vc, wr32(c + vc + 32, 1024), LIBVM_EIMAGE,
	     "vCPU id 1024: KVM takes ids below 1024");
	EDIT(vc, wr32(c + vc + 32, 16), LIBVM_EIMAGE, "long-mode runtime");
	EDIT(vc, wr32(c + vc + 32 + 12, 8), LIBVM_EIMAGE, "dispatch point");
	EDIT(vc, wr64(c + xcrs + 16, 0x1000007), LIBVM_EIMAGE,
	     "XCR0 0x1000007");
	EDIT(vc, wr32(c + xcrs + 8, 1), LIBVM_EIMAGE, "only XCR0 exists");
	EDIT(vc, wr32(c + xcrs, 17), LIBVM_EIMAGE, "17 XCRs");
	EDIT(find(&w, 6, 1), wr64(c + find(&w, 6, 1) + 32,
				  (1ull << lvm_host_phys_bits()) - 0x1000),
	     LIBVM_EIMAGE, "guest-physical address width");
	/* vCPU: XSAVE size, MSR count, struct sizes. */
	EDIT(vc, wr32(c + vc + 32 + 4, 1u << 20), LIBVM_EIMAGE,
	     "out of range");
	EDIT(vc, wr32(c + vc + 32 + 8, 5000), LIBVM_EIMAGE, "out of range");
	EDIT(vc, wr32(c + vc + 32 + 8, 4), LIBVM_EIMAGE, "payload");
	EDIT(vc, wr32(c + vc + 32 + 24, 100), LIBVM_EIMAGE, "struct 0");
	/* Device: length, name. */
	EDIT(dev, wr32(c + dev + 32 + 32, 65u << 20), LIBVM_EIMAGE, "length");
	EDIT(dev, wr32(c + dev + 32 + 32, 99), LIBVM_EIMAGE, "length");
	EDIT(dev, memset(c + dev + 32, 'a', 32), LIBVM_EIMAGE, "name");
	EDIT(dev, strcpy((char *)c + dev + 32, "timer"), LIBVM_EIMAGE,
	     "twice");
	/* Region: size, alignment, bitmap, declared pages. */
	EDIT(reg, wr64(c + reg + 32 + 8, 2ull << 40), LIBVM_EIMAGE, "1 TiB");
	EDIT(reg, wr64(c + reg + 32 + 8, 0x1800), LIBVM_EIMAGE, "1 TiB");
	EDIT(reg, wr64(c + reg + 32, 0x123), LIBVM_EIMAGE, "1 TiB");
	EDIT(reg, wr64(c + reg + 32 + 8, 2ull << 20), LIBVM_EIMAGE,
	     "payload");
	EDIT(reg, wr32(c + reg + 32 + 16, 0x80), LIBVM_EIMAGE, "flags");
	EDIT(reg, wr64(c + reg + 32 + 24, 99), LIBVM_EIMAGE, "declared");
	/* A page more in the bitmap than in the stream, and one fewer. */
	memcpy(c, b, n);
	c[reg + 32 + 32 + 1] |= 0x80;		/* page 15 */
	wr64(c + reg + 32 + 24, rd64(c + reg + 32 + 24) + 1);
	wr64(c + mem + 16, rd64(c + mem + 16) + 4096);
	fix(c, reg);
	fix(c, mem);
	expect_bad(c, n, LIBVM_EIMAGE, "less than", "extra bitmap page");
	memcpy(c, b, n);
	c[reg + 32 + 32] &= (uint8_t)~1;	/* page 0 */
	wr64(c + reg + 32 + 24, rd64(c + reg + 32 + 24) - 1);
	wr64(c + mem + 16, rd64(c + mem + 16) - 4096);
	fix(c, reg);
	fix(c, mem);
	expect_bad(c, n, LIBVM_EIMAGE, "more than", "missing bitmap page");
	/* Raw length not what the bitmap says. */
	EDIT(mem, wr64(c + mem + 16, 4096), LIBVM_EIMAGE, "raw length");
	/* The second region moved onto the first. */
	EDIT(find(&w, 6, 1), wr64(c + find(&w, 6, 1) + 32, 0x80000),
	     LIBVM_EIMAGE, "overlaps");
	/* A section where another belongs. */
	EDIT(vc, wr32(c + vc, 5), LIBVM_EIMAGE, "expected VCPU");
#undef EDIT
	free(c);
	free(b);
}

Test(snapshot_file, save_failures)
{
	int fds = count_fds();
	libvm_snapshot *s = build();
	char bad_path[4300], tmp[4300];
	size_t n1, n2;
	uint8_t *x, *y;
	struct stat st;

	snprintf(bad_path, sizeof(bad_path), "%s/no/such/dir/snap", dir);
	cr_assert_eq(libvm_snapshot_save(s, bad_path), LIBVM_EIO);
	cr_assert(strstr(libvm_last_error(), bad_path), "%s",
		  libvm_last_error());
	cr_assert_eq(libvm_snapshot_save(NULL, path), LIBVM_EINVAL);
	cr_assert_eq(libvm_snapshot_save(s, NULL), LIBVM_EINVAL);

	/* An old file, then a save whose temporary file cannot be made. */
	cr_assert_eq(libvm_snapshot_save(s, path), 0);
	x = slurp(path, &n1);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_eq(mkdir(tmp, 0755), 0);
	s->vm_flags ^= 1;
	cr_assert_eq(libvm_snapshot_save(s, path), LIBVM_EIO);
	y = slurp(path, &n2);
	cr_assert_eq(n1, n2);
	cr_assert(!memcmp(x, y, n1), "the old file changed");
	cr_assert_eq(stat(tmp, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	/* And into a directory we cannot rename over: path is a directory. */
	cr_assert_eq(rmdir(tmp), 0);
	snprintf(tmp, sizeof(tmp), "%s/isdir", dir);
	cr_assert_eq(mkdir(tmp, 0755), 0);
	cr_assert_eq(mkdir(strcat(tmp, "/x"), 0755), 0);
	tmp[strlen(tmp) - 2] = 0;
	cr_assert_eq(libvm_snapshot_save(s, tmp), LIBVM_EIO);
	strcat(tmp, ".tmp");
	cr_assert_neq(access(tmp, F_OK), 0, "%s left behind", tmp);
	free(x);
	free(y);
	libvm_snapshot_destroy(s);
	cr_assert_eq(count_fds(), fds);
}

/*
 * The writer's sticky error: the first failure is the one reported (a
 * full disk, at the offset of the first buffer that did not fit), and
 * nothing after it is written or overwrites the detail.
 */
Test(snapshot_file, write_error_is_sticky)
{
	libvm_snapshot *s = build();
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		cr_skip_test("no /dev/full");
	cr_assert_eq(lvm_snapshot_write(s, fd, "full"), LIBVM_EIO);
	cr_assert(strstr(libvm_last_error(), "full: write at offset 0"),
		  "%s", libvm_last_error());
	cr_assert(strstr(libvm_last_error(), "No space"), "%s",
		  libvm_last_error());
	close(fd);
	/* A closed fd: the same, from the first write. */
	cr_assert_eq(lvm_snapshot_write(s, fd, "closed"), LIBVM_EIO);
	cr_assert(strstr(libvm_last_error(), "closed: write at offset 0"),
		  "%s", libvm_last_error());
	libvm_snapshot_destroy(s);
}

Test(snapshot_file, load_failures)
{
	libvm_snapshot *s = (libvm_snapshot *)&s;
	char p[4300];
	int fds = count_fds();

	snprintf(p, sizeof(p), "%s/missing", dir);
	cr_assert_eq(libvm_snapshot_load(&s, p), LIBVM_EIO);
	cr_assert_null(s);
	cr_assert(strstr(libvm_last_error(), p));
	cr_assert_eq(libvm_snapshot_load(&s, dir), LIBVM_EIO);
	cr_assert_eq(libvm_snapshot_load(NULL, p), LIBVM_EINVAL);
	cr_assert_eq(count_fds(), fds);
}

static int load_path(const char *p, void *arg)
{
	libvm_snapshot *s = (libvm_snapshot *)&s;
	int r = libvm_snapshot_load(&s, p);

	(void)arg;
	cr_assert_null(s);
	return r;
}

/* A FIFO is refused at once, like /dev/null, not waited on in open(). */
Test(snapshot_file, fifo_refused_without_blocking)
{
	char p[4300], msg[512];
	int fds = count_fds();

	cr_assert_eq(load_path("/dev/null", NULL), LIBVM_EIO);
	cr_assert(strstr(libvm_last_error(), "snapshot file: /dev/null is not "
			 "a regular file"), "%s", libvm_last_error());
	snprintf(p, sizeof(p), "%s/fifo", dir);
	cr_assert_eq(h_fifo_refused(p, load_path, NULL, msg), LIBVM_EIO);
	cr_assert(strstr(msg, "snapshot file: "), "%s", msg);
	cr_assert(strstr(msg, "is not a regular file (it is a FIFO)"), "%s",
		  msg);
	cr_assert(strstr(msg, p), "%s", msg);
	cr_assert_eq(count_fds(), fds);
}
