/* SPDX-License-Identifier: MIT */
/*
 * The ELF parser (lib/loader/elf.c) without a VM: every check that
 * libvm_image_load_* makes before writing guest RAM, run against
 * lvm_elf_parse and a described set of RAM ranges.  Needs no /dev/kvm.
 */
#include <criterion/criterion.h>
#include <libvm/libvm.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_corpus.h"
#include "loader/elfimg.h"

static const struct lvm_ram_range ec_ram[] = { { 0, EC_RAM } };

static int parse(libvm_image **img, const void *buf, size_t len,
		 uint32_t flags)
{
	return lvm_elf_parse(img, buf, len, flags, ec_ram, 1);
}

/* A file for lvm_elf_fetch_*: len bytes, b's where it has them, zeros on. */
struct src {
	const uint8_t *b;
	size_t blen;
	uint64_t bytes;		/* read so far */
};

static int src_pread(void *ctx, void *dst, uint64_t off, uint64_t n)
{
	struct src *s = ctx;
	uint64_t k = off < s->blen ? s->blen - off : 0;

	if (k > n)
		k = n;
	memcpy(dst, s->b + off, k);
	memset((uint8_t *)dst + k, 0, n - k);
	s->bytes += n;
	return 0;
}

/*
 * What libvm_image_load_file does: parse the headers lvm_elf_fetch_headers
 * read of the file, then fetch the segments.  It must give the same
 * answer as lvm_elf_parse of the whole file, and the segments' bytes.
 */
static void expect_same_parse(const uint8_t *buf, size_t len,
			      const struct lvm_ram_range *ram, uint32_t nram,
			      const char *what)
{
	struct src src = { buf, len, 0 };
	libvm_image *a = NULL, *b = NULL;
	char msg[512];
	uint8_t *sp = calloc(len + 1, 1);
	int ra, rb;
	uint32_t i;

	cr_assert_not_null(sp);
	ra = lvm_elf_parse(&a, buf, len, 0, ram, nram);
	snprintf(msg, sizeof(msg), "%s", libvm_last_error());
	cr_assert_eq(lvm_elf_fetch_headers(sp, len, src_pread, &src), 0);
	rb = lvm_elf_parse(&b, sp, len, 0, ram, nram);
	cr_assert_eq(ra, rb, "%s: whole file %d (%s), fetched %d (%s)", what,
		     ra, msg, rb, libvm_last_error());
	if (ra) {
		cr_assert_str_eq(msg, libvm_last_error(), "%s", what);
		free(sp);
		return;
	}
	cr_assert_eq(lvm_elf_fetch_segments(sp, len, b, src_pread, &src), 0);
	cr_assert_eq(a->entry, b->entry, "%s", what);
	cr_assert_eq(a->nsegs, b->nsegs, "%s", what);
	cr_assert_eq(a->nsyms, b->nsyms, "%s", what);
	for (i = 0; i < a->nsegs; i++) {
		const struct lvm_elf_seg *x = &a->segs[i], *y = &b->segs[i];

		cr_assert(x->addr == y->addr && x->offset == y->offset &&
			  x->filesz == y->filesz && x->memsz == y->memsz,
			  "%s: segment %u", what, i);
		cr_assert(!memcmp(buf + x->offset, sp + y->offset, x->filesz),
			  "%s: segment %u bytes", what, i);
	}
	for (i = 0; i < a->nsyms; i++)
		cr_assert(!strcmp(a->syms[i].name, b->syms[i].name) &&
			  a->syms[i].value == b->syms[i].value,
			  "%s: symbol %u", what, i);
	libvm_image_destroy(a);
	libvm_image_destroy(b);
	free(sp);
}

static void check_good(unsigned class)
{
	uint8_t buf[EC_MAX];
	struct ec_spec s;
	libvm_image *img = NULL;
	uint64_t lo, hi, a;
	size_t len;
	int r;

	ec_default(&s, class);
	len = ec_build(buf, &s);
	r = parse(&img, buf, len, 0);
	cr_assert_eq(r, 0, "parse: %d %s", r, libvm_last_error());
	cr_assert_eq(libvm_image_class(img), class);
	cr_assert_eq(libvm_image_entry(img), EC_ENTRY);
	cr_assert_eq(libvm_image_extent(&lo, &hi, img), 0);
	cr_assert_eq(lo, EC_TEXT);
	cr_assert_eq(hi, EC_DATA + EC_DATA_MEMSZ);
	cr_assert_eq(img->nsegs, 2);
	cr_assert_eq(img->segs[1].offset, EC_OFF_DATA);
	cr_assert_eq(img->segs[1].filesz, 0x80);
	cr_assert_eq(libvm_image_symbol(&a, img, "ec_entry"), 0);
	cr_assert_eq(a, EC_ENTRY);
	cr_assert_eq(libvm_image_symbol(&a, img, "ec_data"), 0);
	cr_assert_eq(a, EC_DATA);
	cr_assert_eq(libvm_image_symbol(&a, img, "ec_missing"),
		     LIBVM_ENOENT);
	cr_assert(strstr(libvm_last_error(), "ec_missing"));
	cr_assert_eq(libvm_image_symbol(&a, img, ""), LIBVM_ENOENT);
	cr_assert_eq(libvm_image_symbol(NULL, img, "ec_data"), LIBVM_EINVAL);
	libvm_image_destroy(img);
}

Test(loader_parse, good_elf64) { check_good(64); }
Test(loader_parse, good_elf32) { check_good(32); }

Test(loader_parse, malformed_corpus)
{
	size_t i;

	for (i = 0; i < sizeof(ec_cases) / sizeof(ec_cases[0]); i++) {
		const struct ec_case *c = &ec_cases[i];
		libvm_image *img = (libvm_image *)&img;
		uint8_t buf[EC_MAX];
		size_t len = ec_case_build(buf, c);
		int r = parse(&img, buf, len, 0);

		cr_expect_eq(r, LIBVM_EIMAGE, "%s: %d (%s), want EIMAGE", c->name,
			     r, libvm_last_error());
		cr_expect_null(img, "%s: *out not NULL", c->name);
		cr_expect(strstr(libvm_last_error(), c->msg),
			  "%s: message \"%s\" lacks \"%s\"", c->name,
			  libvm_last_error(), c->msg);
		expect_same_parse(buf, len, ec_ram, 1, c->name);
	}
}

/* Every proper prefix of a good image is refused cleanly. */
Test(loader_parse, every_truncation)
{
	unsigned class;

	for (class = 32; class <= 64; class += 32) {
		uint8_t buf[EC_MAX], *cut;
		struct ec_spec s;
		size_t len, n;

		ec_default(&s, class);
		len = ec_build(buf, &s);
		for (n = 0; n < len; n++) {
			libvm_image *img = NULL;
			int r;

			/* Exactly n bytes on the heap, so ASan sees reads past. */
			cut = malloc(n ? n : 1);
			cr_assert_not_null(cut);
			memcpy(cut, buf, n);
			r = parse(&img, cut, n, 0);
			expect_same_parse(cut, n, ec_ram, 1, "cut");
			free(cut);
			cr_expect_eq(r, LIBVM_EIMAGE, "ELF%u cut to %zu: %d (%s)",
				     class, n, r, libvm_last_error());
			cr_expect_null(img);
		}
	}
}

Test(loader_parse, vaddr_flag)
{
	uint8_t buf[EC_MAX];
	struct ec_spec s;
	libvm_image *img = NULL;
	uint64_t lo, hi;
	size_t len;

	ec_default(&s, 64);
	s.seg[0].vaddr += 0x40000;
	s.seg[1].vaddr += 0x40000;
	len = ec_build(buf, &s);
	cr_assert_eq(parse(&img, buf, len, LIBVM_LOAD_VADDR), 0, "%s",
		     libvm_last_error());
	cr_assert_eq(libvm_image_extent(&lo, &hi, img), 0);
	cr_assert_eq(lo, EC_TEXT + 0x40000);
	cr_assert_eq(hi, EC_DATA + 0x40000 + EC_DATA_MEMSZ);
	libvm_image_destroy(img);
	/* A kernel-style image: high p_vaddr, low p_paddr. */
	s.seg[0].vaddr = 0xffffffff80000000ull + EC_TEXT;
	s.seg[1].vaddr = 0xffffffff80000000ull + EC_DATA;
	len = ec_build(buf, &s);
	cr_assert_eq(parse(&img, buf, len, 0), 0, "%s", libvm_last_error());
	libvm_image_destroy(img);
	cr_assert_eq(parse(&img, buf, len, LIBVM_LOAD_VADDR), LIBVM_EIMAGE);
	cr_assert(strstr(libvm_last_error(), "segment 0: p_vaddr range"),
		  "%s", libvm_last_error());
	cr_assert_eq(parse(&img, buf, len, 0x80), LIBVM_EINVAL);
}

Test(loader_parse, adjacent_ram_ranges)
{
	const struct lvm_ram_range two[] = {
		{ 0, EC_DATA + 0x800 },
		{ EC_DATA + 0x800, EC_RAM - EC_DATA - 0x800 },
	};
	const struct lvm_ram_range gap[] = {
		{ 0, EC_DATA + 0x800 },
		{ EC_DATA + 0x1000, EC_RAM - EC_DATA - 0x1000 },
	};
	uint8_t buf[EC_MAX];
	struct ec_spec s;
	libvm_image *img = NULL;
	size_t len;

	ec_default(&s, 64);
	len = ec_build(buf, &s);
	cr_assert_eq(lvm_elf_parse(&img, buf, len, 0, two, 2), 0, "%s",
		     libvm_last_error());
	libvm_image_destroy(img);
	cr_assert_eq(lvm_elf_parse(&img, buf, len, 0, gap, 2), LIBVM_EIMAGE);
	cr_assert(strstr(libvm_last_error(), "(0x20800 is not RAM)"), "%s",
		  libvm_last_error());
	cr_assert_eq(lvm_elf_parse(&img, buf, len, 0, NULL, 0), LIBVM_EIMAGE);
}

/* The images tests/elf/ builds, found beside this binary. */
static uint8_t *read_built(size_t *len, const char *name)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	uint8_t *buf;
	long size;
	FILE *f;

	cr_assert_gt(n, 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(path, sizeof(path), "%s/elf/%s", exe, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s: not built?", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void check_built(const char *name, unsigned class)
{
	static const struct lvm_ram_range ram[] = { { 0, 16u << 20 } };
	libvm_image *img = NULL;
	uint64_t a, b, lo, hi;
	size_t len;
	uint8_t *buf = read_built(&len, name);

	cr_assert_eq(lvm_elf_parse(&img, buf, len, 0, ram, 1), 0, "%s: %s",
		     name, libvm_last_error());
	cr_assert_eq(libvm_image_class(img), class);
	cr_assert_eq(libvm_image_symbol(&a, img, "_start"), 0);
	cr_assert_eq(a, libvm_image_entry(img));
	cr_assert_eq(libvm_image_extent(&lo, &hi, img), 0);
	cr_assert_eq(libvm_image_symbol(&a, img, "elf_data"), 0);
	cr_assert_eq(libvm_image_symbol(&b, img, "elf_bss"), 0);
	cr_assert(lo <= a && a < hi && lo <= b && b + 8192 <= hi);
	cr_assert_eq(libvm_image_symbol(&a, img, "no_such_symbol"),
		     LIBVM_ENOENT);
	libvm_image_destroy(img);
	expect_same_parse(buf, len, ram, 1, name);
	free(buf);
}

/*
 * A 1 GiB file that begins with an image: the loader reads its headers and
 * segments, nothing more (libvm_image_load_file's buffer is an anonymous
 * mapping of the file's size, as here).
 */
Test(loader_parse, fetch_reads_headers_and_segments_only)
{
	const size_t big = 1ull << 30;
	uint8_t buf[EC_MAX], *sp;
	struct ec_spec s;
	libvm_image *img = NULL;
	struct src src;
	size_t len;

	for (unsigned class = 32; class <= 64; class += 32) {
		ec_default(&s, class);
		len = ec_build(buf, &s);
		src = (struct src){ buf, len, 0 };
		sp = mmap(NULL, big, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		cr_assert_neq(sp, MAP_FAILED);
		cr_assert_eq(lvm_elf_fetch_headers(sp, big, src_pread, &src), 0);
		cr_assert_eq(parse(&img, sp, big, 0), 0, "%s",
			     libvm_last_error());
		cr_assert_eq(lvm_elf_fetch_segments(sp, big, img, src_pread,
						    &src), 0);
		cr_assert_leq(src.bytes, 2 * len, "ELF%u: %llu bytes read of "
			      "a %zu-byte image", class,
			      (unsigned long long)src.bytes, len);
		cr_assert_eq(img->nsegs, 2);
		cr_assert(!memcmp(sp + EC_OFF_DATA, buf + EC_OFF_DATA, 0x80));
		libvm_image_destroy(img);
		munmap(sp, big);
	}
}

Test(loader_parse, built_elf64) { check_built("hello-64.elf", 64); }
Test(loader_parse, built_elf32) { check_built("hello-32.elf", 32); }
