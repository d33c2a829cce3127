/* SPDX-License-Identifier: MIT */
/*
 * The parts of an ELF file the loader reads (libvm_image_load_file).  The
 * image lives in a buffer of the file's size whose bytes stay zero (pages
 * never touched) but for what is fetched into it:
 *   - lvm_elf_fetch_headers: what lvm_elf_parse reads -- the ELF header,
 *     section 0 (extended counts), the program and section header tables,
 *     the first symbol table and its string table;
 *   - lvm_elf_fetch_segments, once the image checked out: the file bytes
 *     of the segments it loads.
 * Nothing else of the file is read, so a load costs what those parts
 * cost, not what the file's size would (a sparse 1 GiB file with a small
 * program in front loads as fast as the program alone).  The ranges come
 * from the file and are only clipped to it here: lvm_elf_parse checks them
 * all afterwards, on the same bytes, and so gives the same answer as on
 * the whole file (fuzz/fuzz_elf.c checks that).
 */
#include "../internal.h"
#include "elfimg.h"

#include <elf.h>
#include <string.h>

struct fetch {
	uint8_t *buf;
	size_t len;
	lvm_elf_pread_fn rd;
	void *ctx;
};

/* Read [off, off + n) of the file into buf, clipped to the file. */
static int get(const struct fetch *f, uint64_t off, uint64_t n)
{
	if (off >= f->len || !n)
		return 0;
	if (n > f->len - off)
		n = f->len - off;
	return f->rd(f->ctx, f->buf + off, off, n);
}

struct tables {
	uint64_t phoff, shoff;
	uint64_t phnum, shnum;
	uint32_t phent, shent;
};

struct shdr {
	uint32_t type, link, info;
	uint64_t offset, size;
};

static void ehdr_tables(const uint8_t *b, bool is64, struct tables *t)
{
	if (is64) {
		Elf64_Ehdr e;

		memcpy(&e, b, sizeof(e));
		*t = (struct tables){ e.e_phoff, e.e_shoff, e.e_phnum,
				      e.e_shnum, e.e_phentsize,
				      e.e_shentsize };
	} else {
		Elf32_Ehdr e;

		memcpy(&e, b, sizeof(e));
		*t = (struct tables){ e.e_phoff, e.e_shoff, e.e_phnum,
				      e.e_shnum, e.e_phentsize,
				      e.e_shentsize };
	}
}

/* The section header at off as fetched, if it lies in the file. */
static bool shdr_read(const struct fetch *f, bool is64, uint64_t off,
		      struct shdr *s)
{
	size_t want = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

	if (off > f->len || want > f->len - off)
		return false;
	if (is64) {
		Elf64_Shdr h;

		memcpy(&h, f->buf + off, sizeof(h));
		*s = (struct shdr){ h.sh_type, h.sh_link, h.sh_info,
				    h.sh_offset, h.sh_size };
	} else {
		Elf32_Shdr h;

		memcpy(&h, f->buf + off, sizeof(h));
		*s = (struct shdr){ h.sh_type, h.sh_link, h.sh_info,
				    h.sh_offset, h.sh_size };
	}
	return true;
}

/* Section header i, where the table has the right entry size. */
static bool shdr_at(const struct fetch *f, bool is64, const struct tables *t,
		    uint64_t i, struct shdr *s)
{
	size_t want = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint64_t off = t->shoff + i * t->shent;

	return t->shent == want && off >= t->shoff &&
	       shdr_read(f, is64, off, s);
}

/* The first SHT_SYMTAB, as lvm_elf_parse takes it, and its strings. */
static int get_symbols(const struct fetch *f, bool is64,
		       const struct tables *t)
{
	size_t sym = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	struct shdr s, str;
	uint64_t i;
	int r;

	for (i = 1; i < t->shnum; i++) {
		if (!shdr_at(f, is64, t, i, &s))
			return 0;
		if (s.type != SHT_SYMTAB)
			continue;
		if (s.size / sym > LVM_ELF_MAX_SYMS)
			return 0;	/* refused by the parser */
		r = get(f, s.offset, s.size);
		if (r < 0 || !s.link || s.link >= t->shnum ||
		    !shdr_at(f, is64, t, s.link, &str) ||
		    str.size > LVM_ELF_MAX_STRTAB)
			return r;
		return get(f, str.offset, str.size);
	}
	return 0;
}

int lvm_elf_fetch_headers(uint8_t *buf, size_t len, lvm_elf_pread_fn rd,
			  void *ctx)
{
	const struct fetch f = { buf, len, rd, ctx };
	struct tables t;
	struct shdr s0;
	bool is64;
	int r;

	r = get(&f, 0, sizeof(Elf64_Ehdr));
	if (r < 0 || len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) ||
	    (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64))
		return r;	/* the parser says what is wrong */
	is64 = buf[EI_CLASS] == ELFCLASS64;
	if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return 0;
	ehdr_tables(buf, is64, &t);
	if (t.shoff) {
		/*
		 * Section 0 holds the counts that do not fit the header;
		 * libelf reads it as its own struct, whatever e_shentsize.
		 */
		r = get(&f, t.shoff, is64 ? sizeof(Elf64_Shdr)
					 : sizeof(Elf32_Shdr));
		if (r < 0)
			return r;
		if (shdr_read(&f, is64, t.shoff, &s0)) {
			if (!t.shnum)
				t.shnum = s0.size;
			if (t.phnum == PN_XNUM)
				t.phnum = s0.info;
		}
	}
	if (t.phnum <= LVM_ELF_MAX_PHDRS) {
		r = get(&f, t.phoff, t.phnum * t.phent);
		if (r < 0)
			return r;
	}
	if (!t.shoff || t.shnum > LVM_ELF_MAX_SECTIONS)
		return 0;
	r = get(&f, t.shoff, t.shnum * t.shent);
	return r < 0 ? r : get_symbols(&f, is64, &t);
}

int lvm_elf_fetch_segments(uint8_t *buf, size_t len, const libvm_image *img,
			   lvm_elf_pread_fn rd, void *ctx)
{
	const struct fetch f = { buf, len, rd, ctx };
	uint32_t i;
	int r = 0;

	for (i = 0; i < img->nsegs && !r; i++)
		r = get(&f, img->segs[i].offset, img->segs[i].filesz);
	return r;
}
