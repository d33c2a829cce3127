/* SPDX-License-Identifier: MIT */
/*
 * The boot loader's layout arithmetic (lib/boot/layout.c) without a VM:
 * RAM less the legacy hole, reserved ranges checked and kept, the
 * allocator's lowest and highest fits, and the memory map it makes.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "boot/plan.h"

#define MIB (1ull << 20)

static struct lvm_layout lay;

static void init(const struct lvm_ram_range *ram, uint32_t nram,
		 const libvm_mem_range *resv, uint32_t nresv)
{
	struct lvm_boot_in in = { .ram = ram, .nram = nram, .resv = resv,
				  .nresv = nresv, .cmdline = "" };
	int r = lvm_layout_init(&lay, &in);

	cr_assert_eq(r, 0, "%d: %s", r, libvm_last_error());
}

static void fini(void)
{
	lvm_layout_fini(&lay);
}

static uint32_t map(libvm_mem_range *m, uint32_t max)
{
	uint32_t n;

	cr_assert_eq(lvm_layout_map(&lay, m, max, &n), 0, "%s",
		     libvm_last_error());
	cr_assert_eq(n, lvm_layout_map_count(&lay));
	return n;
}

Test(boot_layout, legacy_hole_is_not_ram, .fini = fini)
{
	static const struct lvm_ram_range ram[] = { { 0, 16 * MIB } };
	libvm_mem_range m[8];

	init(ram, 1, NULL, 0);
	cr_assert_eq(map(m, 8), 2);
	cr_assert_eq(m[0].base, 0);
	cr_assert_eq(m[0].len, 0xa0000);
	cr_assert_eq(m[1].base, MIB);
	cr_assert_eq(m[1].len, 15 * MIB);
	cr_assert(!lvm_layout_free(&lay, 0x9f000, 0x2000));
	cr_assert(lvm_layout_free(&lay, 0x9f000, 0x1000));
}

Test(boot_layout, adjacent_regions_join_reserved_split, .fini = fini)
{
	static const struct lvm_ram_range ram[] = {
		{ MIB, MIB }, { 2 * MIB, 2 * MIB }, { 8 * MIB, MIB },
	};
	static const libvm_mem_range resv[] = {
		{ 3 * MIB, 0x1000, LIBVM_E820_ACPI, 0 },
		{ 0xfee00000, 0x1000, LIBVM_E820_RESERVED, 0 },
	};
	libvm_mem_range m[8];

	init(ram, 3, resv, 2);
	cr_assert_eq(map(m, 8), 5);
	cr_assert_eq(m[0].base, MIB);
	cr_assert_eq(m[0].len, 2 * MIB);	/* joined */
	cr_assert_eq(m[1].type, LIBVM_E820_ACPI);
	cr_assert_eq(m[2].base, 3 * MIB + 0x1000);
	cr_assert_eq(m[3].base, 8 * MIB);
	cr_assert_eq(m[4].base, 0xfee00000);
	cr_assert_eq(m[4].type, LIBVM_E820_RESERVED);
	cr_assert_eq(lvm_layout_map(&lay, m, 4, &(uint32_t){ 0 }),
		     LIBVM_ELIMIT);
}

Test(boot_layout, reserved_ranges_checked)
{
	static const struct lvm_ram_range ram[] = { { 0, 16 * MIB } };
	libvm_mem_range bad[][2] = {
		{ { MIB, 0, LIBVM_E820_RESERVED, 0 } },
		{ { ~0ull - 10, 0x100, LIBVM_E820_RESERVED, 0 } },
		{ { MIB, 0x1000, 0, 0 } },
		{ { MIB, 0x1000, 5, 0 } },
		{ { MIB, 0x1000, LIBVM_E820_NVS, 3 } },
		{ { MIB, 0x2000, LIBVM_E820_NVS, 0 },
		  { MIB + 0x1000, 0x1000, LIBVM_E820_NVS, 0 } },
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lvm_boot_in in = { .ram = ram, .nram = 1,
					  .resv = bad[i], .nresv = 2 };

		if (!bad[i][1].len)
			in.nresv = 1;
		cr_assert_eq(lvm_layout_init(&lay, &in), LIBVM_EINVAL,
			     "case %u", i);
	}
}

Test(boot_layout, alloc_lowest_and_highest, .fini = fini)
{
	static const struct lvm_ram_range ram[] = {
		{ 0, 8 * MIB }, { 16 * MIB, 16 * MIB },
	};
	static const libvm_mem_range resv[] = {
		{ 2 * MIB, MIB, LIBVM_E820_RESERVED, 0 },
	};
	uint64_t a;

	init(ram, 2, resv, 1);
	cr_assert_eq(lvm_layout_alloc(&lay, &a, 3 * MIB, 2 * MIB, MIB,
				      1ull << 32, false, 0, "x"), 0);
	cr_assert_eq(a, 4 * MIB);	/* 2 MiB is reserved */
	cr_assert_eq(lvm_layout_alloc(&lay, &a, 0x1000, 0x1000, 0,
				      30 * MIB, true, 0, "y"), 0);
	cr_assert_eq(a, 30 * MIB - 0x1000);
	cr_assert_eq(lvm_layout_alloc(&lay, &a, 8 * MIB, 0x1000, 0,
				      16 * MIB, false, 0, "z"), LIBVM_ERANGE);
	cr_assert(strstr(libvm_last_error(), "z"));
	cr_assert_eq(lvm_layout_alloc(&lay, &a, 0x1000, 3, 0, 16 * MIB,
				      false, 0, "w"), LIBVM_EINVAL);
	cr_assert_eq(lvm_layout_take(&lay, 4 * MIB, 0x1000, 0, "again"),
		     LIBVM_ERANGE);
	cr_assert(strstr(libvm_last_error(), "overlap"));
	cr_assert_eq(lvm_layout_take(&lay, 9 * MIB, 0x1000, 0, "hole"),
		     LIBVM_ERANGE);
	cr_assert(strstr(libvm_last_error(), "not (all) guest RAM"));
}

Test(boot_layout, taken_ranges_show_their_type, .fini = fini)
{
	static const struct lvm_ram_range ram[] = { { 0, 4 * MIB } };
	libvm_mem_range m[8];
	uint64_t a;

	init(ram, 1, NULL, 0);
	cr_assert_eq(lvm_layout_alloc(&lay, &a, 0x3000, 0x1000, 0x1000,
				      0xa0000, false, LIBVM_E820_RESERVED,
				      "block"), 0);
	cr_assert_eq(a, 0x1000);
	cr_assert_eq(lvm_layout_take(&lay, 2 * MIB, MIB, 0, "kernel"), 0);
	cr_assert_eq(map(m, 8), 4);
	cr_assert_eq(m[0].len, 0x1000);
	cr_assert_eq(m[1].type, LIBVM_E820_RESERVED);
	cr_assert_eq(m[1].len, 0x3000);
	cr_assert_eq(m[3].base, MIB);	/* the kernel stays RAM */
	cr_assert_eq(m[3].len, 3 * MIB);
}
