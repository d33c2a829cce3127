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

/* ---- PVH ------------------------------------------------------------ */

Test(boot, pvh32_64m, .init = setup, .fini = teardown)
{
	struct br_case c = {
		.kernel = "pvh32.elf", RAM1(64 * MIB), .rsdp = 0xf0000,
		.resv = { { 0xe0000, 0x20000, LIBVM_E820_RESERVED } },
		.nresv = 1,
	};

	boot_case(&c);
	cr_assert_eq(libvm_boot_kind(t->boot), LIBVM_KERNEL_PVH);
}

Test(boot, pvh64_modules, .init = setup, .fini = teardown)
{
	struct br_case c = { .kernel = "pvh64.elf", RAM1(48 * MIB),
			     .mods = { 1, 4097, 100 << 10, 0 }, .nmods = 4 };

	boot_case(&c);
}

Test(boot, pvh_small_ram_and_ram_above_4g, .init = setup, .fini = teardown)
{
	struct br_case small = { .kernel = "pvh32.elf", RAM1(4 * MIB),
				 .mods = { 8000 }, .nmods = 1 };
	struct br_case high = {
		.kernel = "pvh64.elf",
		.ram = { { 0, 2 * GIB }, { 4 * GIB, 1 * GIB } }, .nram = 2,
		.mods = { 3000, 5000 }, .nmods = 2,
		.resv = { { 3 * GIB, 1 * GIB, LIBVM_E820_RESERVED } },
		.nresv = 1,
	};

	boot_case(&small);
	boot_case(&high);
}

Test(boot, pvh_acpi_ranges_in_ram, .init = setup, .fini = teardown)
{
	/* ACPI tables inside RAM: typed in the map, left alone. */
	struct br_case c = {
		.kernel = "pvh32.elf", RAM1(32 * MIB), .rsdp = 0x7ff000,
		.resv = { { 0x7fe000, 0x2000, LIBVM_E820_ACPI },
			  { 0x800000, 0x1000, LIBVM_E820_NVS } },
		.nresv = 2, .mods = { 777 }, .nmods = 1,
	};

	boot_case(&c);
}

/* ---- multiboot ------------------------------------------------------ */

Test(boot, multiboot_elf, .init = setup, .fini = teardown)
{
	struct br_case c = { .kernel = "multiboot.elf", RAM1(64 * MIB) };

	boot_case(&c);
	cr_assert_eq(libvm_boot_kind(t->boot), LIBVM_KERNEL_MULTIBOOT);
}

Test(boot, multiboot_elf_modules, .init = setup, .fini = teardown)
{
	struct br_case c = { .kernel = "multiboot.elf", RAM1(24 * MIB),
			     .mods = { 5000, 1, 0, 64 << 10 }, .nmods = 4 };

	boot_case(&c);
}

Test(boot, multiboot_aout_kludge, .init = setup, .fini = teardown)
{
	struct br_case c = { .kernel = "multiboot-aout.bin", RAM1(16 * MIB),
			     .mods = { 12345, 4096 }, .nmods = 2,
			     .resv = { { 0xfee00000, 0x1000,
					 LIBVM_E820_RESERVED } },
			     .nresv = 1 };

	boot_case(&c);
	cr_assert_eq(libvm_boot_kind(t->boot), LIBVM_KERNEL_MULTIBOOT);
}

Test(boot, multiboot_no_low_memory, .init = setup, .fini = teardown)
{
	/* RAM from 1 MiB only: mem_lower 0, the info above the kernel. */
	struct br_case c = { .kernel = "multiboot-aout.bin",
			     .ram = { { MIB, 32 * MIB } }, .nram = 1,
			     .mods = { 100 }, .nmods = 1 };

	boot_case(&c);
}

/* ---- several at once ------------------------------------------------ */

static void *boot_thread(void *arg)
{
	struct br_case *c = arg;
	struct br_vm *v = calloc(1, sizeof(*v));
	char *err = NULL;
	int r;

	if (!v)
		return strdup("calloc");
	r = br_boot(v, c);
	if (r)
		err = strdup(v->err);
	br_free(v);
	free(v);
	return err;
}

Test(boot, several_vms_at_once, .timeout = VCPU_TIMEOUT)
{
	struct br_case c[] = {
		{ .kernel = "bzimage.bin", RAM1(32 * MIB),
		  .mods = { 9000, 3 }, .nmods = 2 },
		{ .kernel = "pvh64.elf", RAM1(16 * MIB),
		  .mods = { 9000, 3 }, .nmods = 2 },
		{ .kernel = "multiboot.elf", RAM1(16 * MIB),
		  .mods = { 9000, 3 }, .nmods = 2 },
		{ .kernel = "multiboot-aout.bin", RAM1(8 * MIB) },
		{ .kernel = "bzimage.bin", RAM1(8 * MIB),
		  .mods = { 40000 }, .nmods = 1 },
		{ .kernel = "pvh32.elf", RAM1(8 * MIB) },
	};
	enum { N = sizeof(c) / sizeof(c[0]) };
	pthread_t th[N];
	unsigned i;

	if (!h_kvm_openable())
		cr_skip_test("KVM not available: /dev/kvm cannot be opened");
	for (i = 0; i < N; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, boot_thread, &c[i]),
			     0);
	for (i = 0; i < N; i++) {
		void *err;

		pthread_join(th[i], &err);
		cr_expect_null(err, "VM %u (%s): %s", i, c[i].kernel,
			       (char *)err);
		free(err);
	}
}

/* ---- a bare ELF64 guest --------------------------------------------- */

Test(boot, elf64_guest_runs_main, .timeout = VCPU_TIMEOUT)
{
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT;
	libvm_vm *vm = h_vm_create(NULL);
	libvm_vcpu *vcpu;
	libvm_boot *b;
	libvm_exit ex;

	h_map_ram(vm, 0, 16 * MIB);
	cfg.kernel_path = LIBVM_GUEST_DIR "/calls.elf";
	OK(libvm_boot_load(&b, vm, &cfg));
	cr_assert_eq(libvm_boot_kind(b), LIBVM_KERNEL_ELF);
	OK(libvm_vcpu_create(&vcpu, vm, 0));
	OK(libvm_boot_enter(b, vcpu));
	h_run_expect(&ex, vcpu, LIBVM_EXIT_GUEST_EXIT);
	cr_assert_eq(ex.u.guest_exit.code, 42);
	libvm_boot_destroy(b);
	libvm_vm_destroy(vm);
}
