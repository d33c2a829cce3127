/* SPDX-License-Identifier: MIT */
/*
 * Multiboot, version 1 (the Multiboot Specification 0.6.96): the header
 * in the first 8 KiB, the kernel loaded from its ELF program headers or,
 * with flag bit 16, from the header's address fields (the "a.out
 * kludge"), modules page aligned after it, and the information structure
 * with the memory (mem_lower/mem_upper and the mmap), the command line,
 * the modules with their strings and the loader's name, in reserved low
 * memory.  Entry: 32-bit protected mode, EAX = 0x2BADB002, EBX = info.
 */
#include "plan.h"

#include <string.h>

#define X(v) ((unsigned long long)(v))

#define MB_MAGIC		0x1badb002u
#define MB_BOOT_MAGIC		0x2badb002u
#define MB_SEARCH		8192
#define MB_PAGE_ALIGN		(1u << 0)	/* modules page aligned */
#define MB_MEMORY_INFO		(1u << 1)	/* mem_* and the mmap */
#define MB_VIDEO_MODE		(1u << 2)
#define MB_REQUIRED		0xffffu		/* bits a loader must honour */
#define MB_AOUT_KLUDGE		(1u << 16)

/* multiboot_info: flags and field offsets. */
#define MBI_MEMORY		(1u << 0)
#define MBI_CMDLINE		(1u << 2)
#define MBI_MODS		(1u << 3)
#define MBI_MMAP		(1u << 6)
#define MBI_LOADER_NAME		(1u << 9)
#define MBI_SIZE		0x78
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE_PTR		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME_PTR	64
#define MOD_SIZE		16	/* mod_start, mod_end, string, 0 */
#define MMAP_SIZE		24	/* size (20), base, length, type */
#define LOADER_NAME		"libvm"

int64_t lvm_multiboot_find(const uint8_t *buf, size_t len)
{
	struct lvm_bytes b = { buf, len, "multiboot kernel" };
	const uint8_t *h;
	uint64_t off;

	for (off = 0; off + 12 <= MB_SEARCH &&
		      (h = lvm_bytes_at(&b, off, 12)); off += 4) {
		uint32_t m, f, c;

		memcpy(&m, h, 4);
		memcpy(&f, h + 4, 4);
		memcpy(&c, h + 8, 4);
		if (m == MB_MAGIC && (uint32_t)(m + f + c) == 0)
			return (int64_t)off;
	}
	return -1;
}

static int bad(const char *field, uint64_t v, const char *why)
{
	return lvm_err(LIBVM_EIMAGE, "multiboot header: %s = %#llx: %s",
		       field, X(v), why);
}

/* The a.out kludge: the header says where the file's bytes go. */
static int load_kludge(struct lvm_boot_plan *p, const struct lvm_bytes *b,
		       uint64_t hdr, uint64_t *entry)
{
	uint64_t header_addr, load_addr, load_end, bss_end, off, end;
	int r;

	r = lvm_bytes_le(b, hdr + 12, 4, "header_addr", &header_addr);
	if (r == 0)
		r = lvm_bytes_le(b, hdr + 16, 4, "load_addr", &load_addr);
	if (r == 0)
		r = lvm_bytes_le(b, hdr + 20, 4, "load_end_addr", &load_end);
	if (r == 0)
		r = lvm_bytes_le(b, hdr + 24, 4, "bss_end_addr", &bss_end);
	if (r == 0)
		r = lvm_bytes_le(b, hdr + 28, 4, "entry_addr", entry);
	if (r < 0)
		return r;
	if (load_addr > header_addr || header_addr - load_addr > hdr)
		return bad("load_addr", load_addr, "the text would start "
			   "before the file (load_addr must be at most "
			   "header_addr, by at most the header's offset)");
	off = hdr - (header_addr - load_addr);
	if (!load_end)
		load_end = load_addr + (b->len - off);
	if (load_end < load_addr || load_end - load_addr > b->len - off)
		return bad("load_end_addr", load_end, "before load_addr or "
			   "beyond the end of the file");
	if (bss_end && bss_end < load_end)
		return bad("bss_end_addr", bss_end, "below load_end_addr");
	end = bss_end ? bss_end : load_end;
	if (end > LVM_4G || end == load_addr)
		return bad("load_end_addr", load_end, "nothing to load, or "
			   "the kernel ends beyond 4 GiB");
	if (*entry < load_addr || *entry >= end)
		return bad("entry_addr", *entry, "not inside the loaded "
			   "kernel");
	r = lvm_layout_take(&p->lay, load_addr, end - load_addr, 0,
			    "the kernel (load_addr to bss_end_addr)");
	if (r < 0)
		return r;
	lvm_plan_write(p, load_addr, b->p + off, load_end - load_addr);
	lvm_plan_write(p, load_end, NULL, end - load_end);
	lvm_plan_range(p, LIBVM_BOOT_KERNEL, 0, load_addr, end - load_addr);
	return 0;
}

/* KiB of RAM from base up to the first address that is not RAM. */
static uint32_t ram_kib_from(const struct lvm_boot_plan *p, uint64_t base,
			     uint64_t limit)
{
	uint32_t i;

	for (i = 0; i < p->nmap; i++) {
		const libvm_mem_range *m = &p->map[i];

		uint64_t end = m->base + m->len;

		if (m->type == LIBVM_E820_RAM && m->base <= base && base < end)
			return (uint32_t)(((end < limit ? end : limit) - base)
					  >> 10);
	}
	return 0;
}

static void fill(const struct lvm_info_block *k, const struct lvm_boot_plan *p,
		 const struct lvm_boot_in *in, const uint64_t *mod_at)
{
	uint8_t *b = k->b;
	uint64_t at = k->at, str = k->strings + sizeof(LOADER_NAME);
	uint32_t i;

	lvm_put32(b + MBI_FLAGS, MBI_MEMORY | MBI_CMDLINE | MBI_MODS |
		  MBI_MMAP | MBI_LOADER_NAME);
	lvm_put32(b + MBI_MEM_LOWER, ram_kib_from(p, 0, LVM_HOLE_START));
	lvm_put32(b + MBI_MEM_UPPER, ram_kib_from(p, LVM_1M, LVM_4G));
	lvm_put32(b + MBI_CMDLINE_PTR, (uint32_t)(at + k->cmdline));
	lvm_put32(b + MBI_MODS_COUNT, in->nmods);
	lvm_put32(b + MBI_MODS_ADDR, (uint32_t)(at + k->modlist));
	lvm_put32(b + MBI_MMAP_LENGTH, MMAP_SIZE * p->nmap);
	lvm_put32(b + MBI_MMAP_ADDR, (uint32_t)(at + k->memmap));
	lvm_put32(b + MBI_LOADER_NAME_PTR, (uint32_t)(at + k->strings));
	for (i = 0; i < p->nmap; i++) {
		uint8_t *e = b + k->memmap + MMAP_SIZE * i;

		lvm_put32(e, MMAP_SIZE - 4);
		lvm_put64(e + 4, p->map[i].base);
		lvm_put64(e + 12, p->map[i].len);
		lvm_put32(e + 20, p->map[i].type);
	}
	for (i = 0; i < in->nmods; i++) {
		uint8_t *e = b + k->modlist + MOD_SIZE * i;
		size_t n = strlen(in->mods[i].string);

		lvm_put32(e, (uint32_t)mod_at[i]);
		lvm_put32(e + 4, (uint32_t)(mod_at[i] + in->mods[i].len));
		lvm_put32(e + 8, (uint32_t)(at + str));
		memcpy(b + str, in->mods[i].string, n);
		str += n + 1;
	}
	memcpy(b + k->strings, LOADER_NAME, sizeof(LOADER_NAME));
}

static int load_kernel(struct lvm_boot_plan *p, const struct lvm_bytes *b,
		       uint64_t *entry)
{
	uint64_t hdr = (uint64_t)lvm_multiboot_find(b->p, b->len), flags;
	int r;

	if ((int64_t)hdr < 0)
		return lvm_err(LIBVM_EIMAGE, "multiboot: no header (magic "
			       "0x1badb002 with a matching checksum) in the "
			       "first 8 KiB");
	r = lvm_bytes_le(b, hdr + 4, 4, "flags", &flags);
	if (r < 0)
		return r;
	if (flags & MB_VIDEO_MODE)
		return lvm_err(LIBVM_ENOTSUP, "multiboot header: flags = "
			       "%#llx: bit 2 asks for a video mode, and "
			       "libvm has no display", X(flags));
	if (flags & MB_REQUIRED & ~(MB_PAGE_ALIGN | MB_MEMORY_INFO))
		return bad("flags", flags, "required bits (0-15) this loader "
			   "does not know");
	if (flags & MB_AOUT_KLUDGE)
		return load_kludge(p, b, hdr, entry);
	if (!lvm_elf_class(b->p, b->len))
		return bad("flags", flags, "bit 16 (address fields) is clear "
			   "and the kernel is not an x86 ELF");
	r = lvm_plan_elf(p, b->p, b->len, 0, LVM_4G);
	if (r == 0)
		r = lvm_plan_elf_entry(p, p->img->entry, true, entry);
	return r;
}

int lvm_multiboot_plan(struct lvm_boot_plan *p, const uint8_t *buf,
		       size_t len, const struct lvm_boot_in *in)
{
	struct lvm_bytes b = { buf, len, "multiboot kernel" };
	uint64_t mod_at[LVM_BOOT_MAX_MODULES], entry = 0;
	struct lvm_info_block k = { .info = MBI_SIZE, .map_entry = MMAP_SIZE,
				    .mod_entry = MOD_SIZE };
	int r;

	r = lvm_layout_init(&p->lay, in);
	if (r == 0)
		r = load_kernel(p, &b, &entry);
	if (r == 0)
		r = lvm_plan_modules(p, in, mod_at, false);
	if (r == 0)
		r = lvm_plan_info_block(p, &k, in, sizeof(LOADER_NAME));
	if (r < 0)
		return r;
	fill(&k, p, in, mod_at);
	lvm_plan_info_done(p, &k, in);
	p->cpu = (struct lvm_boot_cpu){
		.mode = LVM_ENTRY_PROT32, .rip = entry, .rax = MB_BOOT_MAGIC,
		.rbx = k.at, .gdt = k.at + k.gdt,
	};
	return p->err;
}
