/* SPDX-License-Identifier: MIT */
/*
 * ELF images: parsing and checking, and the host-side image description.
 * Nothing here touches a VM (load.c writes the result into guest RAM), so
 * the fuzzer and the unit tests run it without /dev/kvm.
 *
 * libelf decodes the headers, but every offset, size and address it hands
 * back is checked here, through in_file() and ram_gap(), against the file's
 * size and the guest's RAM before use; libelf's own checks are a second
 * line, not the first.  Messages call a PT_LOAD "segment N" with N its
 * program header index.
 */
#include "../internal.h"
#include "elfimg.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#define X(v) ((unsigned long long)(v))

/* Is [off, off + size) inside a file of len bytes?  Overflow-safe. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/*
 * The first address of [addr, addr + size) that is not guest RAM, or
 * addr + size if all of it is (adjacent ranges join).  The caller has
 * checked that addr + size does not wrap.
 */
static uint64_t ram_gap(const struct lvm_ram_range *ram, uint32_t nram,
			uint64_t addr, uint64_t size)
{
	uint64_t a = addr, end = addr + size;
	uint32_t lo = 0, hi = nram;

	/* First range that ends after addr. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (addr - ram[mid].gpa >= ram[mid].size && addr >= ram[mid].gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nram && a < end; lo++) {
		if (a < ram[lo].gpa)
			return a;
		a = ram[lo].gpa + ram[lo].size;
	}
	return a < end ? a : end;
}

static int check_ram(const struct lvm_ram_range *ram, uint32_t nram,
		     uint64_t *total)
{
	uint32_t i;

	*total = 0;
	for (i = 0; i < nram; i++) {
		if (!ram[i].size || ram[i].size > UINT64_MAX - ram[i].gpa ||
		    (i && ram[i].gpa < ram[i - 1].gpa + ram[i - 1].size))
			return lvm_err(LIBVM_EINVAL, "RAM range %u (%#llx+%#llx)"
				       ": empty, wrapping or out of order", i,
				       X(ram[i].gpa), X(ram[i].size));
		*total += ram[i].size;
	}
	return 0;
}

/* e_ident, by hand: libelf must only ever see native-endian images. */
static int check_ident(uint32_t *class, const uint8_t *id, size_t len)
{
	size_t want;

	if (len < EI_NIDENT)
		return lvm_err(LIBVM_EIMAGE, "ELF header: the image is %zu "
			       "bytes, shorter than e_ident (%u bytes)", len,
			       EI_NIDENT);
	if (memcmp(id, ELFMAG, SELFMAG))
		return lvm_err(LIBVM_EIMAGE, "ELF header: bad magic %02x %02x "
			       "%02x %02x (want 7f 45 4c 46)", id[0], id[1],
			       id[2], id[3]);
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return lvm_err(LIBVM_EIMAGE, "ELF header: EI_CLASS %u (want "
			       "1 for ELF32 or 2 for ELF64)", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return lvm_err(LIBVM_EIMAGE, "ELF header: EI_DATA %u: x86 "
			       "images are little-endian (1)", id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT)
		return lvm_err(LIBVM_EIMAGE, "ELF header: EI_VERSION %u "
			       "(want 1)", id[EI_VERSION]);
	*class = id[EI_CLASS] == ELFCLASS64 ? 64 : 32;
	want = *class == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (len < want)
		return lvm_err(LIBVM_EIMAGE, "ELF header: the image is %zu "
			       "bytes, shorter than an ELF%u header (%zu bytes)",
			       len, *class, want);
	return 0;
}

static int check_ehdr(const GElf_Ehdr *eh, uint32_t class)
{
	unsigned want_machine = class == 64 ? EM_X86_64 : EM_386;
	size_t want_phent = class == 64 ? sizeof(Elf64_Phdr)
					: sizeof(Elf32_Phdr);

	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return lvm_err(LIBVM_EIMAGE, "ELF header: e_type %u is not an "
			       "executable (ET_EXEC 2 or ET_DYN 3)",
			       eh->e_type);
	if (eh->e_machine != want_machine)
		return lvm_err(LIBVM_EIMAGE, "ELF header: ELF%u image with "
			       "e_machine %u (want %u, %s)", class,
			       eh->e_machine, want_machine,
			       class == 64 ? "EM_X86_64" : "EM_386");
	if (eh->e_version != EV_CURRENT)
		return lvm_err(LIBVM_EIMAGE, "ELF header: e_version %u "
			       "(want 1)", eh->e_version);
	if (eh->e_phentsize != want_phent)
		return lvm_err(LIBVM_EIMAGE, "ELF header: e_phentsize %u "
			       "(want %zu for ELF%u)", eh->e_phentsize,
			       want_phent, class);
	return 0;
}

static int libelf_err(const char *what, size_t idx)
{
	return lvm_err(LIBVM_EIMAGE, "%s %zu: libelf: %s", what, idx,
		       elf_errmsg(-1));
}

static int seg_cmp(const void *a, const void *b)
{
	const struct lvm_elf_seg *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Check one PT_LOAD and, if it occupies memory, append it to img->segs. */
static int add_segment(libvm_image *img, const GElf_Phdr *ph, size_t i,
		       size_t len, uint32_t flags,
		       const struct lvm_ram_range *ram, uint32_t nram,
		       uint64_t ram_total)
{
	const char *field = (flags & LIBVM_LOAD_VADDR) ? "p_vaddr" : "p_paddr";
	uint64_t addr = (flags & LIBVM_LOAD_VADDR) ? ph->p_vaddr : ph->p_paddr;
	uint64_t gap;
	struct lvm_elf_seg *s;

	if (!in_file(ph->p_offset, ph->p_filesz, len))
		return lvm_err(LIBVM_EIMAGE, "segment %zu: p_offset %#llx + "
			       "p_filesz %#llx beyond the file's %#zx bytes",
			       i, X(ph->p_offset), X(ph->p_filesz), len);
	if (ph->p_filesz > ph->p_memsz)
		return lvm_err(LIBVM_EIMAGE, "segment %zu: p_filesz %#llx "
			       "larger than p_memsz %#llx", i,
			       X(ph->p_filesz), X(ph->p_memsz));
	if (!ph->p_memsz)
		return 0;
	if (ph->p_memsz > ram_total)
		return lvm_err(LIBVM_EIMAGE, "segment %zu: p_memsz %#llx "
			       "larger than the guest's %#llx bytes of RAM",
			       i, X(ph->p_memsz), X(ram_total));
	if (ph->p_memsz > UINT64_MAX - addr)
		return lvm_err(LIBVM_EIMAGE, "segment %zu: %s %#llx + p_memsz "
			       "%#llx wraps around", i, field, X(addr),
			       X(ph->p_memsz));
	gap = ram_gap(ram, nram, addr, ph->p_memsz);
	if (gap != addr + ph->p_memsz)
		return lvm_err(LIBVM_EIMAGE, "segment %zu: %s range [%#llx, "
			       "%#llx) is not inside guest RAM (%#llx is not "
			       "RAM)", i, field, X(addr),
			       X(addr + ph->p_memsz), X(gap));
	s = &img->segs[img->nsegs++];
	*s = (struct lvm_elf_seg){
		.addr = addr, .vaddr = ph->p_vaddr, .paddr = ph->p_paddr,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz, .memsz = ph->p_memsz,
		.phdr = (uint32_t)i, .flags = ph->p_flags,
	};
	return 0;
}

static int load_segments(libvm_image *img, Elf *elf, const GElf_Ehdr *eh,
			 size_t len, uint32_t flags,
			 const struct lvm_ram_range *ram, uint32_t nram)
{
	uint64_t ram_total;
	size_t phnum, i;
	int r;

	r = check_ram(ram, nram, &ram_total);
	if (r < 0)
		return r;
	phnum = eh->e_phnum;
	/* PN_XNUM: the count is in section 0's sh_info. */
	if (phnum == PN_XNUM && elf_getphdrnum(elf, &phnum))
		return lvm_err(LIBVM_EIMAGE, "ELF header: program header "
			       "count: libelf: %s", elf_errmsg(-1));
	if (!phnum)
		return lvm_err(LIBVM_EIMAGE, "ELF header: no program headers "
			       "(e_phnum 0)");
	if (phnum > LVM_ELF_MAX_PHDRS)
		return lvm_err(LIBVM_ELIMIT, "ELF header: %zu program headers, "
			       "more than libvm's limit of %u", phnum,
			       LVM_ELF_MAX_PHDRS);
	/* phnum and e_phentsize are small: the product cannot wrap. */
	if (!in_file(eh->e_phoff, (uint64_t)phnum * eh->e_phentsize, len))
		return lvm_err(LIBVM_EIMAGE, "ELF header: e_phoff %#llx + %zu "
			       "program headers of %u bytes beyond the file's "
			       "%#zx bytes", X(eh->e_phoff), phnum,
			       eh->e_phentsize, len);
	img->segs = calloc(phnum, sizeof(*img->segs));
	if (!img->segs)
		return lvm_err(LIBVM_ENOMEM, "%zu segments", phnum);
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			return libelf_err("program header", i);
		if (ph.p_type != PT_LOAD)
			continue;
		r = add_segment(img, &ph, i, len, flags, ram, nram, ram_total);
		if (r < 0)
			return r;
	}
	if (!img->nsegs)
		return lvm_err(LIBVM_EIMAGE, "no PT_LOAD segment with p_memsz "
			       "> 0 among the %zu program headers", phnum);
	qsort(img->segs, img->nsegs, sizeof(*img->segs), seg_cmp);
	for (i = 1; i < img->nsegs; i++) {
		const struct lvm_elf_seg *a = &img->segs[i - 1];
		const struct lvm_elf_seg *b = &img->segs[i];

		if (b->addr - a->addr < a->memsz)
			return lvm_err(LIBVM_EIMAGE, "segments %u and %u "
				       "overlap: [%#llx, %#llx) and [%#llx, "
				       "%#llx)", a->phdr, b->phdr, X(a->addr),
				       X(a->addr + a->memsz), X(b->addr),
				       X(b->addr + b->memsz));
	}
	img->lo = img->segs[0].addr;
	img->hi = img->segs[img->nsegs - 1].addr +
		  img->segs[img->nsegs - 1].memsz;
	return 0;
}

static bool inside(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

/*
 * e_entry is a virtual address, but images linked to run before paging
 * (vmlinux) give a physical one: either inside an executable PT_LOAD will
 * do.
 */
static int check_entry(const libvm_image *img)
{
	uint32_t i;

	for (i = 0; i < img->nsegs; i++) {
		const struct lvm_elf_seg *s = &img->segs[i];

		if ((s->flags & PF_X) &&
		    (inside(img->entry, s->vaddr, s->memsz) ||
		     inside(img->entry, s->paddr, s->memsz)))
			return 0;
	}
	return lvm_err(LIBVM_EIMAGE, "ELF header: e_entry %#llx is not "
		       "inside an executable (PF_X) PT_LOAD segment",
		       X(img->entry));
}

/* Symbol table (optional) */

static int sym_cmp(const void *pa, const void *pb)
{
	const struct lvm_elf_sym *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	if (a->global != b->global)
		return a->global ? -1 : 1;
	return a->value < b->value ? -1 : a->value > b->value;
}

static bool keep_sym(const GElf_Sym *s)
{
	unsigned type = GELF_ST_TYPE(s->st_info);

	return s->st_name && s->st_shndx != SHN_UNDEF &&
	       type != STT_SECTION && type != STT_FILE;
}

static int add_name(libvm_image *img, size_t *used, size_t *cap,
		    const char *name, size_t n)
{
	if (*used + n + 1 > LVM_ELF_MAX_NAMES)
		return lvm_err(LIBVM_ELIMIT, "symbol table: names longer than "
			       "libvm's limit of %u bytes", LVM_ELF_MAX_NAMES);
	if (*used + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		char *p;

		while (c < *used + n + 1)
			c *= 2;
		p = realloc(img->names, c);
		if (!p)
			return lvm_err(LIBVM_ENOMEM, "symbol names: %zu bytes",
				       c);
		img->names = p;
		*cap = c;
	}
	memcpy(img->names + *used, name, n);
	img->names[*used + n] = 0;
	*used += n + 1;
	return 0;
}

static int read_symtab(libvm_image *img, Elf *elf, Elf_Scn *scn,
		       const GElf_Shdr *sh, size_t len)
{
	size_t idx = elf_ndxscn(scn), entsize, nsyms, i, used = 0, cap = 0;
	uint32_t link = sh->sh_link;
	Elf_Scn *strscn;
	Elf_Data *data;
	GElf_Shdr str;
	int r;

	entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!entsize || sh->sh_entsize != entsize)
		return lvm_err(LIBVM_EIMAGE, "section %zu (SHT_SYMTAB): "
			       "sh_entsize %llu (want %zu)", idx,
			       X(sh->sh_entsize), entsize);
	if (!in_file(sh->sh_offset, sh->sh_size, len))
		return lvm_err(LIBVM_EIMAGE, "section %zu (SHT_SYMTAB): "
			       "sh_offset %#llx + sh_size %#llx beyond the "
			       "file's %#zx bytes", idx, X(sh->sh_offset),
			       X(sh->sh_size), len);
	nsyms = sh->sh_size / entsize;
	if (nsyms > LVM_ELF_MAX_SYMS)
		return lvm_err(LIBVM_ELIMIT, "section %zu (SHT_SYMTAB): %zu "
			       "symbols, more than libvm's limit of %u", idx,
			       nsyms, LVM_ELF_MAX_SYMS);
	strscn = elf_getscn(elf, link);
	if (!link || !strscn || !gelf_getshdr(strscn, &str) ||
	    str.sh_type != SHT_STRTAB)
		return lvm_err(LIBVM_EIMAGE, "section %zu (SHT_SYMTAB): "
			       "sh_link %u is not a string table", idx, link);
	if (str.sh_size > LVM_ELF_MAX_STRTAB)
		return lvm_err(LIBVM_ELIMIT, "section %u (SHT_STRTAB): %#llx "
			       "bytes, more than libvm's limit of %#x", link,
			       X(str.sh_size), LVM_ELF_MAX_STRTAB);
	if (!in_file(str.sh_offset, str.sh_size, len))
		return lvm_err(LIBVM_EIMAGE, "section %u (SHT_STRTAB): "
			       "sh_offset %#llx + sh_size %#llx beyond the "
			       "file's %#zx bytes", link, X(str.sh_offset),
			       X(str.sh_size), len);
	data = elf_getdata(scn, NULL);
	if (!data)
		return nsyms ? libelf_err("section", idx) : 0;
	if (data->d_size / entsize < nsyms)
		return lvm_err(LIBVM_EIMAGE, "section %zu (SHT_SYMTAB): libelf "
			       "gave %zu bytes of %llu", idx, data->d_size,
			       X(sh->sh_size));
	img->syms = calloc(nsyms ? nsyms : 1, sizeof(*img->syms));
	if (!img->syms)
		return lvm_err(LIBVM_ENOMEM, "%zu symbols", nsyms);
	/* Entry 0 is the reserved null symbol. */
	for (i = 1; i < nsyms; i++) {
		GElf_Sym s;
		const char *name;
		size_t n;

		if (!gelf_getsym(data, (int)i, &s))
			return libelf_err("symbol", i);
		if (!keep_sym(&s))
			continue;
		name = s.st_name < str.sh_size ?
			elf_strptr(elf, link, s.st_name) : NULL;
		n = name ? strnlen(name, str.sh_size - s.st_name) : 0;
		if (!name || n == str.sh_size - s.st_name)
			return lvm_err(LIBVM_EIMAGE, "symbol %zu: st_name %#x "
				       "is not a string in section %u "
				       "(SHT_STRTAB, %#llx bytes)", i,
				       s.st_name, link, X(str.sh_size));
		if (!n)
			continue;
		r = add_name(img, &used, &cap, name, n);
		if (r < 0)
			return r;
		img->syms[img->nsyms++] = (struct lvm_elf_sym){
			.value = s.st_value,
			.off = used - n - 1,
			.global = GELF_ST_BIND(s.st_info) == STB_GLOBAL,
		};
	}
	for (i = 0; i < img->nsyms; i++)
		img->syms[i].name = img->names + img->syms[i].off;
	qsort(img->syms, img->nsyms, sizeof(*img->syms), sym_cmp);
	return 0;
}

static int load_symbols(libvm_image *img, Elf *elf, const GElf_Ehdr *eh,
			size_t len, uint32_t class)
{
	size_t shent = class == 64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t shnum = eh->e_shnum;
	Elf_Scn *scn = NULL;

	if (!eh->e_shoff)
		return 0;
	/* e_shnum 0 with a table: the count is in section 0's sh_size. */
	if (!shnum && elf_getshdrnum(elf, &shnum))
		return lvm_err(LIBVM_EIMAGE, "ELF header: section count: "
			       "libelf: %s", elf_errmsg(-1));
	if (shnum > LVM_ELF_MAX_SECTIONS)
		return lvm_err(LIBVM_ELIMIT, "ELF header: %zu sections, more "
			       "than libvm's limit of %u", shnum,
			       LVM_ELF_MAX_SECTIONS);
	if (shnum && eh->e_shentsize != shent)
		return lvm_err(LIBVM_EIMAGE, "ELF header: e_shentsize %u "
			       "(want %zu for ELF%u)", eh->e_shentsize, shent,
			       class);
	/* libelf may quietly drop a section table cut short: refuse it. */
	if (shnum > len || !in_file(eh->e_shoff, shnum * shent, len))
		return lvm_err(LIBVM_EIMAGE, "ELF header: e_shoff %#llx + %zu "
			       "section headers of %zu bytes beyond the file's "
			       "%#zx bytes", X(eh->e_shoff), shnum, shent, len);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return libelf_err("section", elf_ndxscn(scn));
		if (sh.sh_type == SHT_SYMTAB)
			return read_symtab(img, elf, scn, &sh, len);
	}
	return 0;
}

int lvm_elf_parse(libvm_image **out, const void *buf, size_t len,
		  uint32_t flags, const struct lvm_ram_range *ram,
		  uint32_t nram)
{
	libvm_image *img = NULL;
	Elf *elf = NULL;
	GElf_Ehdr eh;
	uint32_t class = 0;
	int r;

	if (!out || (!buf && len) || (!ram && nram))
		return lvm_err(LIBVM_EINVAL, "ELF loader: NULL argument");
	*out = NULL;
	if (flags & ~LIBVM_LOAD_VADDR)
		return lvm_err(LIBVM_EINVAL, "ELF loader: flags %#x: unknown "
			       "bits", flags);
	r = check_ident(&class, buf, len);
	if (r < 0)
		return r;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return lvm_err(LIBVM_ENOTSUP, "libelf: %s", elf_errmsg(-1));
	/* Read-only use: libelf writes nothing into a native-endian image. */
	elf = elf_memory((char *)(uintptr_t)buf, len);
	if (!elf)
		return lvm_err(LIBVM_EIMAGE, "ELF image: libelf: %s",
			       elf_errmsg(-1));
	img = calloc(1, sizeof(*img));
	if (!img) {
		r = lvm_err(LIBVM_ENOMEM, "ELF image");
		goto out;
	}
	img->class = class;
	if (elf_kind(elf) != ELF_K_ELF || gelf_getclass(elf) !=
	    (class == 64 ? ELFCLASS64 : ELFCLASS32) || !gelf_getehdr(elf, &eh)) {
		r = lvm_err(LIBVM_EIMAGE, "ELF header: libelf: %s",
			    elf_errmsg(-1));
		goto out;
	}
	r = check_ehdr(&eh, class);
	if (r < 0)
		goto out;
	img->entry = eh.e_entry;
	r = load_segments(img, elf, &eh, len, flags, ram, nram);
	if (r < 0)
		goto out;
	r = check_entry(img);
	if (r < 0)
		goto out;
	r = load_symbols(img, elf, &eh, len, class);
out:
	elf_end(elf);
	if (r < 0) {
		libvm_image_destroy(img);
		return r;
	}
	*out = img;
	return 0;
}

LIBVM_API void libvm_image_destroy(libvm_image *img)
{
	if (!img)
		return;
	free(img->segs);
	free(img->syms);
	free(img->names);
	free(img);
}

LIBVM_API uint64_t libvm_image_entry(const libvm_image *img)
{
	return img ? img->entry : 0;
}

LIBVM_API uint32_t libvm_image_class(const libvm_image *img)
{
	return img ? img->class : 0;
}

LIBVM_API int libvm_image_extent(uint64_t *lo, uint64_t *hi,
				 const libvm_image *img)
{
	if (!lo || !hi || !img)
		return lvm_err(LIBVM_EINVAL, "libvm_image_extent: NULL "
			       "argument");
	*lo = img->lo;
	*hi = img->hi;
	return 0;
}

LIBVM_API int libvm_image_symbol(uint64_t *addr, const libvm_image *img,
				 const char *name)
{
	uint32_t lo = 0, hi;

	if (!addr || !img || !name)
		return lvm_err(LIBVM_EINVAL, "libvm_image_symbol: NULL "
			       "argument");
	/* The first of equal names: the global one if there is one. */
	hi = img->nsyms;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (strcmp(img->syms[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == img->nsyms || strcmp(img->syms[lo].name, name))
		return lvm_err(LIBVM_ENOENT, "symbol \"%.64s\": not in the "
			       "image's symbol table", name);
	*addr = img->syms[lo].value;
	return 0;
}
