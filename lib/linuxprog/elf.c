/* SPDX-License-Identifier: MIT */
/*
 * The program file: a static ELF64 x86-64 executable, ET_EXEC or a static
 * PIE (ET_DYN without PT_INTERP).  Every header field is checked against
 * the file's size and the guest's user range before anything is loaded.
 */
#include "lp.h"

#include <elf.h>
#include <string.h>

static int bad(const char *why, unsigned long long v)
{
	return lvm_err(LIBVM_EIMAGE, "linux program: %s (%#llx)", why, v);
}

static bool add_overflows(uint64_t a, uint64_t b)
{
	return a + b < a;
}

static int check_ehdr(const Elf64_Ehdr *h, size_t len)
{
	if (len < sizeof(*h) || memcmp(h->e_ident, ELFMAG, SELFMAG))
		return bad("not an ELF file", len);
	if (h->e_ident[EI_CLASS] != ELFCLASS64 ||
	    h->e_ident[EI_DATA] != ELFDATA2LSB)
		return bad("not ELF64 little-endian", h->e_ident[EI_CLASS]);
	if (h->e_machine != EM_X86_64)
		return bad("not x86-64", h->e_machine);
	if (h->e_type != ET_EXEC && h->e_type != ET_DYN)
		return bad("not an executable", h->e_type);
	if (h->e_phentsize != sizeof(Elf64_Phdr))
		return bad("program header size", h->e_phentsize);
	if (!h->e_phnum || h->e_phnum > 64)
		return bad("program header count", h->e_phnum);
	if (h->e_phoff > len ||
	    (uint64_t)h->e_phnum * sizeof(Elf64_Phdr) > len - h->e_phoff)
		return bad("program headers beyond the file", h->e_phoff);
	return 0;
}

static int check_load(const Elf64_Phdr *p, size_t len)
{
	if (p->p_filesz > p->p_memsz)
		return bad("segment file size above memory size", p->p_filesz);
	if (p->p_offset > len || p->p_filesz > len - p->p_offset)
		return bad("segment beyond the file", p->p_offset);
	if (add_overflows(p->p_vaddr, p->p_memsz) ||
	    p->p_vaddr + p->p_memsz > (1ull << 47))
		return bad("segment address", p->p_vaddr);
	return 0;
}

/* Where the program headers are in memory: PT_PHDR, else in a PT_LOAD. */
static uint64_t find_phdr(const Elf64_Phdr *ph, uint32_t n, uint64_t phoff)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			return ph[i].p_vaddr;
	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && phoff >= ph[i].p_offset &&
		    phoff - ph[i].p_offset < ph[i].p_filesz)
			return ph[i].p_vaddr + (phoff - ph[i].p_offset);
	return 0;
}

static bool overlaps(const struct lp_elf *e, uint64_t lo, uint64_t hi)
{
	uint32_t i;

	for (i = 0; i < e->nsegs; i++)
		if (lo < e->segs[i].vaddr + e->segs[i].memsz &&
		    e->segs[i].vaddr < hi)
			return true;
	return false;
}

int lp_elf_parse(struct lp_elf *e, const uint8_t *buf, size_t len,
		 uint64_t limit)
{
	Elf64_Ehdr h;
	Elf64_Phdr ph[64];
	uint64_t lo = ~0ull, hi = 0, phdr;
	uint32_t i;
	int r;

	memset(e, 0, sizeof(*e));
	if (len >= sizeof(h))
		memcpy(&h, buf, sizeof(h));
	r = check_ehdr(&h, len);
	if (r < 0)
		return r;
	memcpy(ph, buf + h.e_phoff, h.e_phnum * sizeof(ph[0]));
	for (i = 0; i < h.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP)
			return bad("dynamically linked: only static programs "
				   "run", ph[i].p_type);
		if (ph[i].p_type != PT_LOAD)
			continue;
		r = check_load(&ph[i], len);
		if (r < 0)
			return r;
		if (!ph[i].p_memsz)
			continue;	/* empty: Linux maps nothing */
		lo = ph[i].p_vaddr < lo ? ph[i].p_vaddr : lo;
		hi = ph[i].p_vaddr + ph[i].p_memsz > hi
			     ? ph[i].p_vaddr + ph[i].p_memsz : hi;
	}
	if (!hi)
		return bad("no loadable segment", 0);
	lo &= ~(LP_PAGE - 1);
	e->base = h.e_type == ET_DYN ? LIBVM_LINUX_PIE_BASE - lo : 0;
	if (lo + e->base < LIBVM_LINUX_USER_BASE || hi - lo > limit ||
	    hi + e->base > limit)
		return bad("segments outside the program area", lo + e->base);
	for (i = 0; i < h.e_phnum; i++) {
		struct lp_seg *s = &e->segs[e->nsegs];
		uint64_t v = ph[i].p_vaddr + e->base;

		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		if (e->nsegs == LP_MAX_SEGS)
			return bad("too many loadable segments", e->nsegs);
		if (overlaps(e, v, v + ph[i].p_memsz))
			return bad("overlapping segments", v);
		s->vaddr = v;
		s->memsz = ph[i].p_memsz;
		s->off = ph[i].p_offset;
		s->filesz = ph[i].p_filesz;
		e->nsegs++;
	}
	if (h.e_entry < lo || h.e_entry >= hi)
		return bad("entry point outside the segments", h.e_entry);
	phdr = find_phdr(ph, h.e_phnum, h.e_phoff);
	e->entry = h.e_entry + e->base;
	e->phdr = phdr ? phdr + e->base : 0;
	e->phnum = h.e_phnum;
	e->phent = h.e_phentsize;
	e->lo = lo + e->base;
	e->hi = hi + e->base;
	return 0;
}
