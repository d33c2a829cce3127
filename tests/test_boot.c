/* SPDX-License-Identifier: MIT */
/*
 * Boot protocols (<libvm/boot.h>): the repo's test kernels (tests/kernels/)
 * booted through the API with several memory layouts and module sizes,
 * each checking from inside the guest what a real kernel relies on
 * (bootrun.c has the machinery), several VMs booting at once, and the
 * API's own promises.  Malformed images: test_boot_bad.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bootrun.h"
#include "helpers.h"

TestSuite(boot, .timeout = VCPU_TIMEOUT);

static struct br_vm *t;

static void setup(void)
{
	t = calloc(1, sizeof(*t));
	cr_assert_not_null(t);
}

static void teardown(void)
{
	br_free(t);
	free(t);
	t = NULL;
}

/* Run one case in a fresh VM. */
static void boot_case(const struct br_case *c)
{
	br_free(t);
	br_boot_ok(t, c);
}

#define RAM1(size) .ram = { { 0, (size) } }, .nram = 1

Test(boot, bzimage_64m, .init = setup, .fini = teardown)
{
	struct br_case c = { .kernel = "bzimage.bin", RAM1(64 * MIB) };

	boot_case(&c);
	cr_assert_eq(libvm_boot_kind(t->boot), LIBVM_KERNEL_BZIMAGE);
	/* pref_address: 16 MiB; the 64-bit entry 0x200 bytes in. */
	cr_assert_eq(libvm_boot_entry(t->boot), 0x1000200);
}

Test(boot, bzimage_relocated_below_pref_address, .init = setup,
     .fini = teardown)
{
	struct br_case c = { .kernel = "bzimage.bin", RAM1(8 * MIB) };

	/* No RAM at 16 MiB: the lowest 2 MiB-aligned place instead. */
	boot_case(&c);
	cr_assert_eq(libvm_boot_entry(t->boot), 0x200200);
}

Test(boot, bzimage_pref_address_reserved, .init = setup, .fini = teardown)
{
	struct br_case c = {
		.kernel = "bzimage.bin", RAM1(64 * MIB),
		.resv = { { 15 * MIB, 2 * MIB, LIBVM_E820_RESERVED } },
		.nresv = 1,
	};

	boot_case(&c);
	cr_assert_eq(libvm_boot_entry(t->boot), 0x200200);
}

Test(boot, bzimage_initrd_sizes, .init = setup, .fini = teardown)
{
	static const uint64_t sizes[] = { 1, 4097, 200 << 10 };
	unsigned i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct br_case c = { .kernel = "bzimage.bin", RAM1(48 * MIB),
				     .mods = { sizes[i] }, .nmods = 1 };

		boot_case(&c);
	}
}

Test(boot, bzimage_initrds_concatenated, .init = setup, .fini = teardown)
{
	struct br_case c = { .kernel = "bzimage.bin", RAM1(32 * MIB),
			     .mods = { 3, 0, 4096, 5001 }, .nmods = 4,
			     .rsdp = 0xe0000,
			     .resv = { { 0xe0000, 0x20000,
					 LIBVM_E820_RESERVED } },
			     .nresv = 1 };

	boot_case(&c);
}

Test(boot, bzimage_ram_above_4g, .init = setup, .fini = teardown)
{
	struct br_case c = {
		.kernel = "bzimage.bin",
		.ram = { { 0, 3 * GIB }, { 4 * GIB, 2 * GIB } }, .nram = 2,
		.mods = { 70000 }, .nmods = 1,
		.resv = { { 0xfec00000, 0x1000, LIBVM_E820_RESERVED } },
		.nresv = 1,
	};
	libvm_boot_range rg[16];
	uint32_t n = 16, i;

	boot_case(&c);
	/* Highest below initrd_addr_max (0x7fffffff). */
	OK(libvm_boot_ranges(t->boot, rg, &n));
	for (i = 0; i < n && rg[i].what != LIBVM_BOOT_MODULE; i++)
		;
	cr_assert_lt(i, n);
	cr_assert_eq(rg[i].gpa, 0x80000000ull - 0x12000);
}
