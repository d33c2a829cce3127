/* SPDX-License-Identifier: MIT */
/*
 * ELF kernels for the boot protocols.  The few facts needed before (or
 * instead of) libelf -- is this an x86 ELF, of which class, does a
 * PT_NOTE segment carry a PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY) --
 * are read by hand, every read through lvm_bytes_le, bounded by the file.
 * The segments themselves come from the ELF loader's parser
 * (lvm_elf_parse) and go into the plan like any other placed range.
 */
#include "plan.h"

#define X(v) ((unsigned long long)(v))

#define EM_386_		3
#define EM_X86_64_	62
#define PT_NOTE_	4
#define XEN_ELFNOTE_PHYS32_ENTRY 18

uint32_t lvm_elf_class(const uint8_t *buf, size_t len)
{
	struct lvm_bytes b = { buf, len, "ELF kernel" };
	const uint8_t *h = lvm_bytes_at(&b, 0, 20);
	uint16_t machine;

	if (!h || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F' ||
	    h[5] != 1 /* little-endian */)
		return 0;
	machine = (uint16_t)(h[18] | h[19] << 8);
	if (h[4] == 1 && machine == EM_386_)
		return 32;
	if (h[4] == 2 && machine == EM_X86_64_)
		return 64;
	return 0;
}

/* Where the program headers are: offset, entry size and count. */
struct phdrs {
	uint64_t off, size, num;
	bool is64;
};

static int read_phdrs(struct phdrs *ph, const struct lvm_bytes *b)
{
	int r;

	ph->is64 = b->p[4] == 2;
	if (ph->is64) {
		r = lvm_bytes_le(b, 32, 8, "e_phoff", &ph->off);
		if (r == 0)
			r = lvm_bytes_le(b, 54, 2, "e_phentsize", &ph->size);
		if (r == 0)
			r = lvm_bytes_le(b, 56, 2, "e_phnum", &ph->num);
	} else {
		r = lvm_bytes_le(b, 28, 4, "e_phoff", &ph->off);
		if (r == 0)
			r = lvm_bytes_le(b, 42, 2, "e_phentsize", &ph->size);
		if (r == 0)
			r = lvm_bytes_le(b, 44, 2, "e_phnum", &ph->num);
	}
	if (r < 0)
		return r;
	if (ph->num && ph->size < (ph->is64 ? 56u : 32u))
		return lvm_err(LIBVM_EIMAGE, "%s: e_phentsize %llu is smaller "
			       "than a program header", b->what, X(ph->size));
	if (ph->off > b->len || ph->num * ph->size > b->len - ph->off)
		return lvm_err(LIBVM_EIMAGE, "%s: the program headers (%llu "
			       "at %#llx) end beyond the file", b->what,
			       X(ph->num), X(ph->off));
	return 0;
}

/* Walk the notes of [off, off + size); 1 and *entry for a PVH note. */
static int walk_notes(const struct lvm_bytes *b, uint64_t off, uint64_t size,
		      uint64_t align, uint64_t *entry)
{
	uint64_t end = off + size;

	while (end - off >= 12) {
		uint64_t namesz, descsz, type, name, desc;
		const uint8_t *n;
		int r;

		r = lvm_bytes_le(b, off, 4, "note namesz", &namesz);
		if (r == 0)
			r = lvm_bytes_le(b, off + 4, 4, "note descsz", &descsz);
		if (r == 0)
			r = lvm_bytes_le(b, off + 8, 4, "note type", &type);
		if (r < 0)
			return r;
		name = off + 12;
		desc = name + lvm_align_up(namesz, align);
		if (desc > end || lvm_align_up(descsz, align) > end - desc)
			return lvm_err(LIBVM_EIMAGE, "%s: the note at %#llx "
				       "(namesz %llu, descsz %llu) runs past "
				       "its PT_NOTE segment", b->what, X(off),
				       X(namesz), X(descsz));
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    lvm_bytes_get(b, name, 4, "note name", &n) == 0 &&
		    n[0] == 'X' && n[1] == 'e' && n[2] == 'n' && !n[3]) {
			if (descsz != 4 && descsz != 8)
				return lvm_err(LIBVM_EIMAGE, "%s: the PVH "
					       "entry note at %#llx has %llu "
					       "bytes (want 4 or 8)", b->what,
					       X(off), X(descsz));
			r = lvm_bytes_le(b, desc, (unsigned)descsz,
					 "PVH entry note", entry);
			return r < 0 ? r : 1;
		}
		off = desc + lvm_align_up(descsz, align);
	}
	return 0;
}

int lvm_elf_pvh_entry(const uint8_t *buf, size_t len, uint64_t *entry)
{
	struct lvm_bytes b = { buf, len, "ELF kernel" };
	struct phdrs ph;
	uint64_t i;
	int r;

	if (!lvm_elf_class(buf, len))
		return 0;
	r = read_phdrs(&ph, &b);
	for (i = 0; r == 0 && i < ph.num; i++) {
		uint64_t at = ph.off + i * ph.size, type, off, size, align;

		r = lvm_bytes_le(&b, at, 4, "p_type", &type);
		if (r < 0 || type != PT_NOTE_)
			continue;
		r = lvm_bytes_le(&b, at + (ph.is64 ? 8 : 4), ph.is64 ? 8 : 4,
				 "p_offset", &off);
		if (r == 0)
			r = lvm_bytes_le(&b, at + (ph.is64 ? 32 : 16),
					 ph.is64 ? 8 : 4, "p_filesz", &size);
		if (r == 0)
			r = lvm_bytes_le(&b, at + (ph.is64 ? 48 : 28),
					 ph.is64 ? 8 : 4, "p_align", &align);
		if (r < 0)
			return r;
		if (off > len || size > len - off)
			return lvm_err(LIBVM_EIMAGE, "ELF kernel: PT_NOTE "
				       "program header %llu (%#llx+%#llx) "
				       "runs past the file", X(i), X(off),
				       X(size));
		r = walk_notes(&b, off, size, align == 8 ? 8 : 4, entry);
	}
	return r;
}

int lvm_plan_elf(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		 uint32_t flags, uint64_t limit)
{
	uint32_t i;
	int r;

	r = lvm_elf_parse(&p->img, buf, len, flags, p->lay.ram, p->lay.nram);
	for (i = 0; r == 0 && i < p->img->nsegs; i++) {
		const struct lvm_elf_seg *s = &p->img->segs[i];

		if (s->addr + s->memsz > limit)
			return lvm_err(LIBVM_EIMAGE, "ELF kernel: segment %u "
				       "(%#llx+%#llx) ends beyond 4 GiB, out "
				       "of a 32-bit kernel's reach", s->phdr,
				       X(s->addr), X(s->memsz));
		r = lvm_layout_take(&p->lay, s->addr, s->memsz, 0,
				    "an ELF segment of the kernel");
		if (r < 0)
			return r;
		lvm_plan_write(p, s->addr, buf + s->offset, s->filesz);
		lvm_plan_write(p, s->addr + s->filesz, NULL,
			       s->memsz - s->filesz);
		lvm_plan_range(p, LIBVM_BOOT_KERNEL, s->phdr, s->addr,
			       s->memsz);
	}
	return r;
}

int lvm_plan_elf_entry(const struct lvm_boot_plan *p, uint64_t addr,
		       bool virt, uint64_t *phys)
{
	uint32_t i;

	for (i = 0; i < p->img->nsegs; i++) {
		const struct lvm_elf_seg *s = &p->img->segs[i];
		uint64_t base = virt ? s->vaddr : s->addr;

		if (addr >= base && addr - base < s->memsz) {
			*phys = s->addr + (addr - base);
			return 0;
		}
	}
	return lvm_err(LIBVM_EIMAGE, "ELF kernel: the entry point %#llx is "
		       "not inside a loaded segment", X(addr));
}
