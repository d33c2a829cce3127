/* SPDX-License-Identifier: MIT */
/*
 * Boot protocols (<libvm/boot.h>): the repo's test kernels (tests/kernels/)
 * booted through the API with several memory layouts and module sizes,
 * each checking from inside the guest what a real kernel relies on
 * (bootrun.c has the machinery), several VMs booting at once, and the
 * API's own promises.  Malformed images: test_boot_bad.c.
 */
#include <pthread.h>
#include <stdio.h>
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

/* ---- the API's promises --------------------------------------------- */

Test(boot, config_versions)
{
	libvm_boot_config cfg;

	memset(&cfg, 0xff, sizeof(cfg));
	OK(libvm_boot_config_init(&cfg, LIBVM_BOOT_CONFIG_VERSION));
	cr_assert_eq(cfg.version, LIBVM_BOOT_CONFIG_VERSION);
	cr_assert_eq(cfg.flags, 0);
	cr_assert_null(cfg.kernel_path);
	cr_assert_eq(cfg.kind, LIBVM_KERNEL_UNKNOWN);
	FAILS(libvm_boot_config_init(&cfg, 0), LIBVM_EVERSION);
	FAILS(libvm_boot_config_init(&cfg, LIBVM_BOOT_CONFIG_VERSION + 1),
	      LIBVM_EVERSION);
	FAILS(libvm_boot_config_init(NULL, 1), LIBVM_EINVAL);
}

Test(boot, probe_tells_kinds_apart)
{
	static const struct { const char *file; uint32_t kind; } k[] = {
		{ "bzimage.bin", LIBVM_KERNEL_BZIMAGE },
		{ "pvh32.elf", LIBVM_KERNEL_PVH },
		{ "pvh64.elf", LIBVM_KERNEL_PVH },
		{ "multiboot.elf", LIBVM_KERNEL_MULTIBOOT },
		{ "multiboot-aout.bin", LIBVM_KERNEL_MULTIBOOT },
		{ "bzimage.elf", LIBVM_KERNEL_ELF },
	};
	char path[512];
	uint32_t kind, i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		size_t len;
		uint8_t *buf = br_read_kernel(k[i].file, &len);

		cr_assert_not_null(buf, "%s", k[i].file);
		OK(libvm_kernel_probe(buf, len, &kind));
		cr_assert_eq(kind, k[i].kind, "%s: kind %u", k[i].file, kind);
		snprintf(path, sizeof(path), "%s/%s", LIBVM_TEST_KERNEL_DIR,
			 k[i].file);
		OK(libvm_kernel_probe_file(path, &kind));
		cr_assert_eq(kind, k[i].kind);
		free(buf);
	}
	FAILS(libvm_kernel_probe_file("/dev/null", &kind), LIBVM_EIO);
	FAILS(libvm_kernel_probe_file("/nonexistent/kernel", &kind),
	      LIBVM_EIO);
	FAILS(libvm_kernel_probe(NULL, 1, &kind), LIBVM_EINVAL);
}

static libvm_vm *api_vm;

static void api_setup(void)
{
	api_vm = h_vm_create(NULL);
	h_map_ram(api_vm, 0, 32 * MIB);
}

static void api_teardown(void)
{
	libvm_vm_destroy(api_vm);
	api_vm = NULL;
}

static int load(libvm_boot **b, const libvm_boot_config *cfg)
{
	*b = NULL;
	return libvm_boot_load(b, api_vm, cfg);
}

Test(boot, bad_configs, .init = api_setup, .fini = api_teardown)
{
	static const libvm_boot_module mod_both = { "/x", "y", 1, NULL };
	static const libvm_mem_range bad[] = {	/* type, len, wrap, reserved */
		{ 0x200000, 0x1000, 7, 0 },
		{ 0x200000, 0, LIBVM_E820_NVS, 0 },
		{ ~0ull - 5, 0x1000, LIBVM_E820_NVS, 0 },
		{ 0x200000, 0x1000, LIBVM_E820_NVS, 1 },
	};
	libvm_mem_range resv[2] = {
		{ 0x100000, 0x2000, LIBVM_E820_RESERVED, 0 },
		{ 0x101000, 0x1000, LIBVM_E820_ACPI, 0 },
	};
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT, c;
	libvm_boot *b;
	size_t i;

	cfg.kernel_path = LIBVM_TEST_KERNEL_DIR "/multiboot.elf";
	c = cfg;
	c.version = 2;
	FAILS(load(&b, &c), LIBVM_EVERSION);
	c = cfg;
	c.flags = 1;
	FAILS(load(&b, &c), LIBVM_EINVAL);
	c = cfg;
	c.kernel_data = "x";
	FAILS(load(&b, &c), LIBVM_EINVAL);
	c = cfg;
	c.kind = 9;
	FAILS(load(&b, &c), LIBVM_EINVAL);
	c = cfg;
	c.nmodules = 1;
	FAILS(load(&b, &c), LIBVM_EINVAL);
	c.modules = &mod_both;
	FAILS(load(&b, &c), LIBVM_EINVAL);
	c = cfg;
	c.nmodules = 65;
	c.modules = &mod_both;
	FAILS(load(&b, &c), LIBVM_ELIMIT);
	c = cfg;
	c.reserved = resv;
	c.nreserved = 2;
	FAILS(load(&b, &c), LIBVM_EINVAL);
	cr_assert(strstr(libvm_last_error(), "overlaps"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		resv[1] = bad[i];
		FAILS(load(&b, &c), LIBVM_EINVAL);
	}
	c = cfg;
	c.kernel_path = "/nonexistent";
	FAILS(load(&b, &c), LIBVM_EIO);
	c.kernel_path = "/dev/null";
	FAILS(load(&b, &c), LIBVM_EIO);
	FAILS(libvm_boot_load(NULL, api_vm, &cfg), LIBVM_EINVAL);
	FAILS(libvm_boot_load(&b, NULL, &cfg), LIBVM_EINVAL);
	FAILS(libvm_boot_load(&b, api_vm, NULL), LIBVM_EINVAL);
	/* A bare ELF64 guest takes neither a command line nor modules. */
	c = cfg;
	c.kernel_path = LIBVM_GUEST_DIR "/calls.elf";
	c.cmdline = "x";
	FAILS(load(&b, &c), LIBVM_EINVAL);
}

Test(boot, no_room, .init = api_setup, .fini = api_teardown)
{
	libvm_boot_module m = { .data = "", .len = 64 * MIB };
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT;
	libvm_vm *empty = h_vm_create(NULL);
	libvm_boot *b;
	void *big = calloc(1, 64 * MIB);

	cr_assert_not_null(big);
	m.data = big;
	cfg.kernel_path = LIBVM_TEST_KERNEL_DIR "/bzimage.bin";
	FAILS(libvm_boot_load(&b, empty, &cfg), LIBVM_ERANGE);
	cfg.modules = &m;
	cfg.nmodules = 1;
	FAILS(load(&b, &cfg), LIBVM_ERANGE);
	cr_assert(strstr(libvm_last_error(), "initrd"), "%s",
		  libvm_last_error());
	cfg.kernel_path = LIBVM_TEST_KERNEL_DIR "/pvh32.elf";
	FAILS(load(&b, &cfg), LIBVM_ERANGE);
	cfg.kernel_path = LIBVM_TEST_KERNEL_DIR "/multiboot.elf";
	FAILS(load(&b, &cfg), LIBVM_ERANGE);
	free(big);
	libvm_vm_destroy(empty);
}

Test(boot, getters_and_enter, .init = api_setup, .fini = api_teardown)
{
	libvm_boot_module m[2] = {
		{ .path = LIBVM_TEST_KERNEL_DIR "/pvh32.elf", .string = "a" },
		{ .data = "hello", .len = 5 },
	};
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT;
	libvm_boot_range rg[32];
	libvm_mem_range map[16];
	libvm_vm *other = h_vm_create(NULL);
	libvm_vcpu *v, *ov;
	uint32_t n = 0, i, mods = 0;
	int fds = h_count_fds();
	libvm_boot *b;
	char got[6];

	cfg.kernel_path = LIBVM_TEST_KERNEL_DIR "/multiboot.elf";
	cfg.modules = m;
	cfg.nmodules = 2;
	OK(load(&b, &cfg));
	cr_assert_eq(h_count_fds(), fds);
	FAILS(libvm_boot_ranges(b, NULL, &n), LIBVM_ELIMIT);
	cr_assert_gt(n, 4);
	n--;
	FAILS(libvm_boot_ranges(b, rg, &n), LIBVM_ELIMIT);
	n = 32;
	OK(libvm_boot_ranges(b, rg, &n));
	for (i = 0; i < n; i++)
		if (rg[i].what == LIBVM_BOOT_MODULE && rg[i].index == 1) {
			OK(libvm_mem_read(api_vm, rg[i].gpa, got, 5));
			cr_assert(!memcmp(got, "hello", 5));
			mods++;
		} else if (rg[i].what == LIBVM_BOOT_MODULE) {
			mods++;
		}
	cr_assert_eq(mods, 2);
	for (i = 0; i < n && rg[i].what != LIBVM_BOOT_KERNEL; i++)
		;
	cr_assert_eq(rg[i].gpa, 0x100000);
	cr_assert_gt(libvm_boot_entry(b), rg[i].gpa);
	cr_assert_lt(libvm_boot_entry(b), rg[i].gpa + rg[i].len);
	n = 16;
	OK(libvm_boot_memmap(b, map, &n));
	cr_assert_eq(map[0].base, 0);
	cr_assert_eq(map[0].type, LIBVM_E820_RAM);
	FAILS(libvm_boot_memmap(NULL, map, &n), LIBVM_EINVAL);
	FAILS(libvm_boot_memmap(b, NULL, NULL), LIBVM_EINVAL);
	OK(libvm_vcpu_create(&ov, other, 0));
	FAILS(libvm_boot_enter(b, ov), LIBVM_EINVAL);
	OK(libvm_vcpu_create(&v, api_vm, 0));
	OK(libvm_boot_enter(b, v));
	FAILS(libvm_boot_enter(NULL, v), LIBVM_EINVAL);
	libvm_boot_destroy(b);
	libvm_boot_destroy(NULL);
	cr_assert_eq(libvm_boot_kind(NULL), LIBVM_KERNEL_UNKNOWN);
	libvm_vm_destroy(other);
}
