/* SPDX-License-Identifier: MIT */
/*
 * What the 32-bit protocols (PVH, multiboot) share: their modules, each
 * page aligned below 4 GiB, and the loader's block -- the info structure,
 * the memory map, the module list, the GDT, the command line and the
 * strings, one after the other in reserved low memory.
 */
#include "plan.h"

#include <string.h>

int lvm_plan_modules(struct lvm_boot_plan *p, const struct lvm_boot_in *in,
		     uint64_t *mod_at, bool high)
{
	uint32_t i;
	int r;

	for (i = 0; i < in->nmods; i++) {
		const struct lvm_boot_mod *m = &in->mods[i];

		/* An empty module still gets an address of its own. */
		r = lvm_layout_alloc(&p->lay, &mod_at[i], m->len ? m->len : 1,
				     LIBVM_PAGE_SIZE, LVM_1M, LVM_4G, high, 0,
				     "a module");
		if (r < 0)
			return r;
		lvm_plan_write(p, mod_at[i], m->data, m->len);
		lvm_plan_range(p, LIBVM_BOOT_MODULE, i, mod_at[i], m->len);
	}
	return 0;
}

int lvm_plan_info_block(struct lvm_boot_plan *p, struct lvm_info_block *k,
			const struct lvm_boot_in *in, uint64_t extra)
{
	/* The block may split a RAM entry of the map in three. */
	uint32_t nmap = lvm_layout_map_count(&p->lay) + 2, i;
	uint64_t s = extra;

	if (strlen(in->cmdline) > LVM_BOOT_MAX_CMDLINE)
		return lvm_err(LIBVM_ELIMIT, "boot: the command line is %zu "
			       "bytes, at most %u", strlen(in->cmdline),
			       LVM_BOOT_MAX_CMDLINE);
	for (i = 0; i < in->nmods; i++)
		s += strlen(in->mods[i].string) + 1;
	k->memmap = lvm_align_up(k->info, 16);
	k->modlist = k->memmap + (uint64_t)k->map_entry * nmap;
	k->gdt = lvm_align_up(k->modlist + (uint64_t)k->mod_entry * in->nmods,
			      8);
	k->cmdline = k->gdt + LVM_BOOT_GDT_SIZE;
	k->strings = k->cmdline + strlen(in->cmdline) + 1;
	k->len = k->strings + s;
	k->b = lvm_plan_block(p, k->len, &k->at);
	if (!k->b)
		return p->err;
	return lvm_plan_map(p, nmap);
}

void lvm_plan_info_done(struct lvm_boot_plan *p,
			const struct lvm_info_block *k,
			const struct lvm_boot_in *in)
{
	lvm_boot_gdt(k->b + k->gdt, false, 0);
	memcpy(k->b + k->cmdline, in->cmdline, strlen(in->cmdline));
	lvm_plan_write(p, k->at, k->b, k->len);
	lvm_plan_range(p, LIBVM_BOOT_INFO, 0, k->at, k->info);
	lvm_plan_range(p, LIBVM_BOOT_MEMMAP, 0, k->at + k->memmap,
		       (uint64_t)k->map_entry * p->nmap);
	lvm_plan_range(p, LIBVM_BOOT_MODLIST, 0, k->at + k->modlist,
		       (uint64_t)k->mod_entry * in->nmods);
	lvm_plan_range(p, LIBVM_BOOT_TABLES, 0, k->at + k->gdt,
		       LVM_BOOT_GDT_SIZE);
	lvm_plan_range(p, LIBVM_BOOT_CMDLINE, 0, k->at + k->cmdline,
		       k->strings - k->cmdline);
	lvm_plan_range(p, LIBVM_BOOT_STRINGS, 0, k->at + k->strings,
		       k->len - k->strings);
}
