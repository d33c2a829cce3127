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

static void fill(const struct lvm_info_block *k, const struct lvm_boot_plan *p,
		 const struct lvm_boot_in *in, const uint64_t *mod_at)
{
	uint8_t *b = k->b;
	uint64_t str = k->strings;
	uint32_t i;

	lvm_put32(b + SI_MAGIC, PVH_MAGIC);
	lvm_put32(b + SI_VERSION, PVH_VERSION);
	lvm_put32(b + SI_NR_MODULES, in->nmods);
	lvm_put64(b + SI_MODLIST, in->nmods ? k->at + k->modlist : 0);
	lvm_put64(b + SI_CMDLINE, k->at + k->cmdline);
	lvm_put64(b + SI_RSDP, in->acpi_rsdp);
	lvm_put64(b + SI_MEMMAP, k->at + k->memmap);
	lvm_put32(b + SI_MEMMAP_ENTRIES, p->nmap);
	for (i = 0; i < in->nmods; i++) {
		uint8_t *e = b + k->modlist + MOD_SIZE * i;
		size_t n = strlen(in->mods[i].string);

		lvm_put64(e, mod_at[i]);
		lvm_put64(e + 8, in->mods[i].len);
		lvm_put64(e + 16, n ? k->at + str : 0);
		memcpy(b + str, in->mods[i].string, n);
		str += n + 1;
	}
	for (i = 0; i < p->nmap; i++) {
		uint8_t *e = b + k->memmap + MAP_SIZE * i;

		lvm_put64(e, p->map[i].base);
		lvm_put64(e + 8, p->map[i].len);
		lvm_put32(e + 16, p->map[i].type);
	}
}

int lvm_pvh_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		 const struct lvm_boot_in *in)
{
	uint64_t mod_at[LVM_BOOT_MAX_MODULES], entry;
	struct lvm_info_block k = { .info = SI_SIZE, .map_entry = MAP_SIZE,
				    .mod_entry = MOD_SIZE };
	int r;

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
		r = lvm_plan_modules(p, in, mod_at, true);
	if (r == 0)
		r = lvm_plan_info_block(p, &k, in, 0);
	if (r < 0)
		return r;
	fill(&k, p, in, mod_at);
	lvm_plan_info_done(p, &k, in);
	p->cpu = (struct lvm_boot_cpu){
		.mode = LVM_ENTRY_PROT32, .rip = entry, .rbx = k.at,
		.gdt = k.at + k.gdt,
	};
	return p->err;
}
