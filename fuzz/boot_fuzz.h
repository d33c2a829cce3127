/* SPDX-License-Identifier: MIT */
/*
 * The boot protocol fuzz targets' shared harness: a planner of
 * lib/boot/ (no VM) runs on the input with one of three machines (RAM
 * layouts, reserved ranges, modules and command lines, picked by the
 * input's length), and a plan that comes back must keep the loader's
 * promises -- or the target traps: every write inside RAM and clear of
 * the reserved ranges and of each other, placed ranges sorted and
 * disjoint, the memory map sorted and disjoint, an entry state.
 */
#ifndef LIBVM_FUZZ_BOOT_FUZZ_H
#define LIBVM_FUZZ_BOOT_FUZZ_H

#include "boot/plan.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A broken promise: say which, then crash for libFuzzer. */
#define BROKEN(what) \
	do { \
		fprintf(stderr, "boot plan: %s\n", (what)); \
		__builtin_trap(); \
	} while (0)

typedef int (*planner_fn)(struct lvm_boot_plan *p, const uint8_t *buf,
			  size_t len, const struct lvm_boot_in *in);

static const struct lvm_ram_range ram_small[] = { { 0, 64u << 20 } };
static const struct lvm_ram_range ram_split[] = {
	{ 0, 0x9f000 },
	{ 0x100000, 0x1f00000 },
	{ 0x100000000ull, 0x40000000 },
};
static const struct lvm_ram_range ram_high[] = { { 0x100000, 0xfff00000 } };

static const libvm_mem_range resv[] = {
	{ 0xe0000, 0x20000, LIBVM_E820_RESERVED, 0 },
	{ 0x7fe000, 0x2000, LIBVM_E820_ACPI, 0 },
	{ 0xfec00000, 0x1000, LIBVM_E820_RESERVED, 0 },
};

static uint8_t mod_bytes[5000];
static const struct lvm_boot_mod mods[] = {
	{ mod_bytes, 300, "len=12c" },
	{ mod_bytes, 0, "" },
	{ mod_bytes, 5000, "module two" },
};

static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int inside_ram(const struct lvm_boot_in *in, uint64_t a, uint64_t n)
{
	uint32_t i;

	for (i = 0; i < in->nram; i++)
		if (a >= in->ram[i].gpa &&
		    a - in->ram[i].gpa <= in->ram[i].size &&
		    n <= in->ram[i].size - (a - in->ram[i].gpa))
			return !overlap(a, n, LVM_HOLE_START,
					LVM_HOLE_END - LVM_HOLE_START);
	return 0;
}

static void check(const struct lvm_boot_plan *p, const struct lvm_boot_in *in)
{
	uint32_t i, j;

	if (!p->cpu.mode)
		BROKEN("no entry state");
	for (i = 0; i < p->nw; i++) {
		const struct lvm_boot_write *w = &p->w[i];

		if (!w->len || !inside_ram(in, w->gpa, w->len))
			BROKEN("a write outside RAM");
		for (j = 0; j < in->nresv; j++)
			if (overlap(w->gpa, w->len, in->resv[j].base,
				    in->resv[j].len))
				BROKEN("a write into a reserved range");
		for (j = 0; j < i; j++)
			if (overlap(w->gpa, w->len, p->w[j].gpa, p->w[j].len))
				BROKEN("two writes overlap");
	}
	for (i = 1; i < p->nranges; i++)
		if (p->ranges[i].gpa <
		    p->ranges[i - 1].gpa + p->ranges[i - 1].len)
			BROKEN("placed ranges overlap");
	for (i = 0; i < p->nmap; i++)
		if (!p->map[i].len ||
		    (i && p->map[i].base < p->map[i - 1].base +
					   p->map[i - 1].len))
			BROKEN("the memory map is not sorted and disjoint");
}

static int fuzz_boot(planner_fn plan, uint32_t kind, const uint8_t *data,
		     size_t size)
{
	static char long_cmd[3000];
	struct lvm_boot_plan p;
	struct lvm_boot_in in = { .acpi_rsdp = 0xe0000 };

	switch (size % 3) {
	case 0:
		in.ram = ram_small;
		in.nram = 1;
		in.cmdline = "console=ttyS0";
		break;
	case 1:
		in.ram = ram_split;
		in.nram = 3;
		in.resv = resv;
		in.nresv = 3;
		in.mods = mods;
		in.nmods = 3;
		in.cmdline = "";
		break;
	default:
		memset(long_cmd, 'a', sizeof(long_cmd) - 1);
		in.ram = ram_high;
		in.nram = 1;
		in.resv = resv + 2;
		in.nresv = 1;
		in.mods = mods;
		in.nmods = 1;
		in.cmdline = long_cmd;
		break;
	}
	lvm_plan_init(&p, kind);
	if (plan(&p, data, size, &in) == 0) {
		lvm_plan_finish(&p);
		check(&p, &in);
	}
	lvm_plan_free(&p);
	return 0;
}

#endif
