/* SPDX-License-Identifier: MIT */
/*
 * PVH: an ELF kernel entered at its XEN_ELFNOTE_PHYS32_ENTRY in 32-bit
 * protected mode with paging off and EBX pointing at struct
 * hvm_start_info (version 1: with the memory map), as Xen's
 * arch-x86/hvm/start_info.h lays it out.  Modules (the initrd first) go
 * highest below 4 GiB; the start info, module list, memory map, command
 * line, module strings and GDT share one block in reserved low memory.
 */
#include "plan.h"

#include <string.h>

#define X(v) ((unsigned long long)(v))

#define PVH_MAGIC		0x336ec578u	/* "xEn3" | 0x80 */
#define PVH_VERSION		1
#define SI_SIZE			0x38	/* hvm_start_info, version 1 */
#define SI_MAGIC		0x00
#define SI_VERSION		0x04
#define SI_NR_MODULES		0x0c
#define SI_MODLIST		0x10
#define SI_CMDLINE		0x18
#define SI_RSDP			0x20
#define SI_MEMMAP		0x28
#define SI_MEMMAP_ENTRIES	0x30
#define MOD_SIZE		32	/* hvm_modlist_entry */
#define MAP_SIZE		24	/* hvm_memmap_table_entry */

/* Offsets inside the block. */
struct pvh_block {
	uint64_t modlist, memmap, cmdline, strings, gdt, len;
	uint32_t nmap;		/* room in the memory map */
};

static void lay_block(struct pvh_block *k, const struct lvm_boot_in *in,
		      uint32_t nmap)
{
	uint64_t s = 0;
	uint32_t i;

	for (i = 0; i < in->nmods; i++)
		s += strlen(in->mods[i].string) + 1;
	k->nmap = nmap;
	k->modlist = 0x40;
	k->memmap = k->modlist + (uint64_t)MOD_SIZE * in->nmods;
	k->gdt = k->memmap + (uint64_t)MAP_SIZE * nmap;
	k->cmdline = k->gdt + LVM_BOOT_GDT_SIZE;
	k->strings = k->cmdline + strlen(in->cmdline) + 1;
	k->len = k->strings + s;
}

static void fill(uint8_t *b, uint64_t at, const struct pvh_block *k,
		 const struct lvm_boot_plan *p, const struct lvm_boot_in *in,
		 const uint64_t *mod_at)
{
	uint64_t str = k->strings;
	uint32_t i;

	lvm_put32(b + SI_MAGIC, PVH_MAGIC);
	lvm_put32(b + SI_VERSION, PVH_VERSION);
	lvm_put32(b + SI_NR_MODULES, in->nmods);
	lvm_put64(b + SI_MODLIST, in->nmods ? at + k->modlist : 0);
	lvm_put64(b + SI_CMDLINE, at + k->cmdline);
	lvm_put64(b + SI_RSDP, in->acpi_rsdp);
	lvm_put64(b + SI_MEMMAP, at + k->memmap);
	lvm_put32(b + SI_MEMMAP_ENTRIES, p->nmap);
	for (i = 0; i < in->nmods; i++) {
		uint8_t *e = b + k->modlist + MOD_SIZE * i;
		size_t n = strlen(in->mods[i].string);

		lvm_put64(e, mod_at[i]);
		lvm_put64(e + 8, in->mods[i].len);
		lvm_put64(e + 16, n ? at + str : 0);
		memcpy(b + str, in->mods[i].string, n);
		str += n + 1;
	}
	for (i = 0; i < p->nmap; i++) {
		uint8_t *e = b + k->memmap + MAP_SIZE * i;

		lvm_put64(e, p->map[i].base);
		lvm_put64(e + 8, p->map[i].len);
		lvm_put32(e + 16, p->map[i].type);
	}
	lvm_boot_gdt(b + k->gdt, false, 0);
	memcpy(b + k->cmdline, in->cmdline, strlen(in->cmdline));
}

/* Each module page aligned, highest below 4 GiB. */
static int place_modules(struct lvm_boot_plan *p, const struct lvm_boot_in *in,
			 uint64_t *mod_at)
{
	uint32_t i;
	int r;

	for (i = 0; i < in->nmods; i++) {
		const struct lvm_boot_mod *m = &in->mods[i];

		mod_at[i] = 0;
		if (!m->len)
			continue;
		r = lvm_layout_alloc(&p->lay, &mod_at[i], m->len,
				     LIBVM_PAGE_SIZE, LVM_1M, LVM_4G, true, 0,
				     "a module");
		if (r < 0)
			return r;
		lvm_plan_write(p, mod_at[i], m->data, m->len);
		lvm_plan_range(p, LIBVM_BOOT_MODULE, i, mod_at[i], m->len);
	}
	return 0;
}

int lvm_pvh_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		 const struct lvm_boot_in *in)
{
	uint64_t mod_at[LVM_BOOT_MAX_MODULES], entry, at;
	struct pvh_block k;
	uint8_t *b;
	int r;

	if (strlen(in->cmdline) > LVM_BOOT_MAX_CMDLINE)
		return lvm_err(LIBVM_ELIMIT, "boot: the command line is %zu "
			       "bytes, at most %u", strlen(in->cmdline),
			       LVM_BOOT_MAX_CMDLINE);
	r = lvm_elf_pvh_entry(buf, len, &entry);
	if (r == 0)
		return lvm_err(LIBVM_EIMAGE, "PVH kernel: no PVH entry note "
			       "(XEN_ELFNOTE_PHYS32_ENTRY) in a PT_NOTE "
			       "segment");
	if (r < 0)
		return r;
	if (entry >= LVM_4G)
		return lvm_err(LIBVM_EIMAGE, "PVH kernel: the entry note says "
			       "%#llx, beyond a 32-bit entry's reach",
			       X(entry));
	r = lvm_layout_init(&p->lay, in);
	if (r == 0)
		r = lvm_plan_elf(p, buf, len, 0, LVM_4G);
	if (r == 0)
		r = lvm_plan_elf_entry(p, entry, false, &entry);
	if (r == 0)
		r = place_modules(p, in, mod_at);
	if (r < 0)
		return r;
	/* The block may split a RAM entry of the map in three. */
	lay_block(&k, in, lvm_layout_map_count(&p->lay) + 2);
	b = lvm_plan_block(p, k.len, &at);
	if (!b || lvm_plan_map(p, k.nmap) < 0)
		return p->err;
	fill(b, at, &k, p, in, mod_at);
	lvm_plan_write(p, at, b, k.len);
	lvm_plan_range(p, LIBVM_BOOT_INFO, 0, at, SI_SIZE);
	lvm_plan_range(p, LIBVM_BOOT_MODLIST, 0, at + k.modlist,
		       (uint64_t)MOD_SIZE * in->nmods);
	lvm_plan_range(p, LIBVM_BOOT_MEMMAP, 0, at + k.memmap,
		       (uint64_t)MAP_SIZE * p->nmap);
	lvm_plan_range(p, LIBVM_BOOT_TABLES, 0, at + k.gdt,
		       LVM_BOOT_GDT_SIZE);
	lvm_plan_range(p, LIBVM_BOOT_CMDLINE, 0, at + k.cmdline,
		       k.strings - k.cmdline);
	lvm_plan_range(p, LIBVM_BOOT_STRINGS, 0, at + k.strings,
		       k.len - k.strings);
	p->cpu = (struct lvm_boot_cpu){
		.mode = LVM_ENTRY_PROT32, .rip = entry, .rbx = at,
		.gdt = at + k.gdt,
	};
	return p->err;
}
