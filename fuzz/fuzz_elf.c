/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the ELF loader's parser (lib/loader/elf.c) and its
 * file reader (lib/loader/fetch.c).  No VM: the image is checked against
 * a fixed set of RAM ranges, as libvm_image_load_* would against a VM's
 * regions.  Beyond the sanitizers, it traps when an image that passed
 * breaks a promise of the parser, or when parsing only the parts
 * libvm_image_load_file reads of a file gives another answer than parsing
 * the whole file.
 */
#include "loader/elfimg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Two adjacent ranges, a hole, and one range far up. */
static const struct lvm_ram_range ram[] = {
	{ 0x0, 0x100000 },
	{ 0x100000, 0x200000 },
	{ 0x400000, 0x400000 },
	{ 0x100000000ull, 0x10000 },
};

static int in_ram(uint64_t a, uint64_t n)
{
	size_t i;

	while (n) {
		for (i = 0; i < sizeof(ram) / sizeof(ram[0]); i++)
			if (a >= ram[i].gpa && a - ram[i].gpa < ram[i].size)
				break;
		if (i == sizeof(ram) / sizeof(ram[0]))
			return 0;
		uint64_t left = ram[i].size - (a - ram[i].gpa);

		if (left >= n)
			return 1;
		a += left;
		n -= left;
	}
	return 1;
}

static void check(const libvm_image *img, size_t len)
{
	uint64_t lo, hi, addr;
	uint32_t i;

	if (libvm_image_extent(&lo, &hi, img) || lo > hi)
		__builtin_trap();
	if (libvm_image_class(img) != 32 && libvm_image_class(img) != 64)
		__builtin_trap();
	(void)libvm_image_entry(img);
	for (i = 0; i < img->nsegs; i++) {
		const struct lvm_elf_seg *s = &img->segs[i];

		if (s->offset > len || s->filesz > len - s->offset ||
		    s->filesz > s->memsz || !in_ram(s->addr, s->memsz) ||
		    s->addr < lo || s->addr + s->memsz > hi)
			__builtin_trap();
		if (i && img->segs[i - 1].addr + img->segs[i - 1].memsz >
			 s->addr)
			__builtin_trap();
	}
	for (i = 0; i < img->nsyms; i++) {
		/* Every kept name is found, with the value of its first. */
		if (libvm_image_symbol(&addr, img, img->syms[i].name))
			__builtin_trap();
		if (i && strcmp(img->syms[i - 1].name, img->syms[i].name) > 0)
			__builtin_trap();
	}
	if (libvm_image_symbol(&addr, img, "_start") == 0)
		(void)addr;
	if (libvm_image_symbol(&addr, img, "") == 0)
		__builtin_trap();
}

static int mem_pread(void *ctx, void *dst, uint64_t off, uint64_t n)
{
	memcpy(dst, (const uint8_t *)ctx + off, n);
	return 0;
}

/* Parsing what libvm_image_load_file reads gives the same answer. */
static void check_fetched(const uint8_t *data, size_t size, uint32_t flags,
			  int r, const libvm_image *img)
{
	uint8_t *sp = calloc(size + 1, 1);
	libvm_image *b = NULL;
	uint32_t i;

	if (!sp)
		return;
	if (lvm_elf_fetch_headers(sp, size, mem_pread, (void *)data) ||
	    lvm_elf_parse(&b, sp, size, flags, ram,
			  sizeof(ram) / sizeof(ram[0])) != r)
		__builtin_trap();
	if (r == 0) {
		if (lvm_elf_fetch_segments(sp, size, b, mem_pread,
					   (void *)data) ||
		    b->nsegs != img->nsegs || b->nsyms != img->nsyms ||
		    b->entry != img->entry)
			__builtin_trap();
		for (i = 0; i < b->nsegs; i++)
			if (b->segs[i].offset != img->segs[i].offset ||
			    b->segs[i].filesz != img->segs[i].filesz ||
			    memcmp(sp + b->segs[i].offset,
				   data + b->segs[i].offset, b->segs[i].filesz))
				__builtin_trap();
		for (i = 0; i < b->nsyms; i++)
			if (strcmp(b->syms[i].name, img->syms[i].name) ||
			    b->syms[i].value != img->syms[i].value)
				__builtin_trap();
	}
	libvm_image_destroy(b);
	free(sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t flags[] = { 0, LIBVM_LOAD_VADDR };
	size_t f;

	for (f = 0; f < 2; f++) {
		libvm_image *img = NULL;
		int r = lvm_elf_parse(&img, data, size, flags[f], ram,
				      sizeof(ram) / sizeof(ram[0]));

		if (r == 0)
			check(img, size);
		else if (img || r >= 0)
			__builtin_trap();
		check_fetched(data, size, flags[f], r, img);
		libvm_image_destroy(img);
	}
	return 0;
}
