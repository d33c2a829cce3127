/* SPDX-License-Identifier: MIT */
/*
 * Malformed kernels and bad configs for libvm_boot_load: every header
 * field of the test kernels (tests/kernels/) broken in turn, each refused
 * with the code and a message naming the field, and guest RAM exactly as
 * it was (filled with a pattern before, hashed after).  The same corpus
 * runs through the parsers alone, without a VM, in make fuzz-smoke.
 */
#include <stdlib.h>
#include <string.h>

#include "bootrun.h"
#include "helpers.h"

#define BAD_RAM (40 * MIB)

static libvm_vm *vm;

static void bad_setup(void)
{
	void *p;

	vm = h_vm_create(NULL);
	h_map_ram(vm, 0, BAD_RAM);
	OK(libvm_mem_ptr(&p, vm, 0, BAD_RAM));
	memset(p, 0x5a, BAD_RAM);
}

static void bad_teardown(void)
{
	libvm_vm_destroy(vm);
	vm = NULL;
}


static uint64_t hash_ram(void)
{
	uint64_t h = 0xcbf29ce484222325ull, i;
	uint64_t *p;

	OK(libvm_mem_ptr((void **)&p, vm, 0, BAD_RAM));
	for (i = 0; i < BAD_RAM / 8; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Where a mutation's offset counts from. */
enum anchor { FILE0, NOTE, MBH, PHDR0, PHDR1 };

struct mutation {
	const char *kernel;
	enum anchor at;
	uint32_t off;
	unsigned n;		/* bytes of val; 0: truncate to off */
	uint64_t val;
	int err;
	const char *msg;	/* in libvm_last_error() */
	uint32_t kind;		/* force a protocol (0: probe) */
};

/* Offset of the PVH note (its namesz) or the multiboot header. */
static size_t find(const uint8_t *buf, size_t len, enum anchor a)
{
	static const uint8_t note[] = { 4, 0, 0, 0, 4, 0, 0, 0, 18, 0, 0, 0,
					'X', 'e', 'n', 0 };
	static const uint8_t mb[] = { 0x02, 0xb0, 0xad, 0x1b };
	const uint8_t *pat = a == NOTE ? note : mb;
	size_t n = a == NOTE ? sizeof(note) : sizeof(mb), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, pat, n))
			return i;
	cr_assert_fail("no %s in the kernel", a == NOTE ? "note" : "header");
	return 0;
}

static size_t anchor_off(const uint8_t *buf, size_t len, enum anchor a)
{
	uint64_t phoff;

	switch (a) {
	case NOTE:
	case MBH:
		return find(buf, len, a);
	case PHDR0:
	case PHDR1:
		if (buf[4] == 2) {
			phoff = h_le(buf + 32, 8);
			return phoff + (a == PHDR1 ? 56 : 0);
		}
		phoff = h_le(buf + 28, 4);
		return phoff + (a == PHDR1 ? 32 : 0);
	default:
		return 0;
	}
}

/* The multiboot checksum after a change of flags. */
static void mb_fix(uint8_t *buf, size_t len)
{
	size_t h = find(buf, len, MBH);
	uint32_t flags = (uint32_t)h_le(buf + h + 4, 4);

	h_put_le(buf + h + 8, (uint32_t)-(0x1badb002u + flags), 4);
}

static void try_load(const uint8_t *buf, size_t len, const char *cmdline,
		     uint32_t kind, int err, const char *msg,
		     const libvm_mem_range *resv, uint32_t nresv)
{
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT;
	libvm_boot *b = (libvm_boot *)&cfg;
	uint64_t before = hash_ram();
	int r;

	cfg.kernel_data = buf;
	cfg.kernel_len = len;
	cfg.cmdline = cmdline;
	cfg.kind = kind;
	cfg.reserved = resv;
	cfg.nreserved = nresv;
	r = libvm_boot_load(&b, vm, &cfg);
	cr_assert_eq(r, err, "%s: got %d (%s): %s", msg, r, libvm_strerror(r),
		     libvm_last_error());
	cr_assert_null(b);
	cr_assert(strstr(libvm_last_error(), msg), "want \"%s\" in \"%s\"",
		  msg, libvm_last_error());
	cr_assert_eq(hash_ram(), before, "%s: guest RAM changed", msg);
}

static void run_mutations(const struct mutation *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len, at;
		uint8_t *buf = br_read_kernel(m[i].kernel, &len);

		cr_assert_not_null(buf, "%s", m[i].kernel);
		at = anchor_off(buf, len, m[i].at) + m[i].off;
		if (m[i].n) {
			cr_assert_leq(at + m[i].n, len);
			h_put_le(buf + at, m[i].val, m[i].n);
		} else {
			len = at;
		}
		if (m[i].at == MBH && m[i].off == 4)
			mb_fix(buf, len);
		try_load(buf, len, "x", m[i].kind, m[i].err, m[i].msg, NULL,
			 0);
		free(buf);
	}
}

#define BZ "bzimage.bin"
#define EI LIBVM_EIMAGE

Test(boot, bad_bzimage_header_fields, .init = bad_setup,
     .fini = bad_teardown)
{
	static const struct mutation m[] = {
		{ BZ, FILE0, 0x1fe, 2, 0x1234, EI, "boot_flag",
		  LIBVM_KERNEL_BZIMAGE },
		{ BZ, FILE0, 0x202, 4, 0x58726448, EI, "header",
		  LIBVM_KERNEL_BZIMAGE },
		{ BZ, FILE0, 0x206, 2, 0x020b, EI, "version" },
		{ BZ, FILE0, 0x1f1, 1, 200, EI, "setup_sects" },
		{ BZ, FILE0, 0x201, 1, 0x10, EI, "jump" },
		{ BZ, FILE0, 0x201, 1, 0x9f, EI, "jump" },
		{ BZ, FILE0, 0x1f4, 4, 0, EI, "syssize" },
		{ BZ, FILE0, 0x1f4, 4, 0xffffff, EI, "syssize" },
		{ BZ, FILE0, 0x1f4, 4, 0x10, EI, "syssize" },
		{ BZ, FILE0, 0x211, 1, 0, EI, "loadflags" },
		{ BZ, FILE0, 0x236, 2, 0, EI, "xloadflags" },
		{ BZ, FILE0, 0x214, 4, 0x1000, EI, "code32_start" },
		{ BZ, FILE0, 0x22c, 4, 0x1000, EI, "initrd_addr_max" },
		{ BZ, FILE0, 0x230, 4, 0x3000, EI, "kernel_alignment" },
		{ BZ, FILE0, 0x230, 4, 0x800, EI, "kernel_alignment" },
		{ BZ, FILE0, 0x234, 1, 7, EI, "relocatable_kernel" },
		{ BZ, FILE0, 0x235, 1, 40, EI, "min_alignment" },
		{ BZ, FILE0, 0x235, 1, 23, EI, "min_alignment" },
		{ BZ, FILE0, 0x248, 4, 0xffffff00, EI, "payload_offset" },
		{ BZ, FILE0, 0x258, 8, 0x1000001, EI, "pref_address" },
		{ BZ, FILE0, 0x258, 8, 0x500000000, EI, "pref_address" },
		{ BZ, FILE0, 0x258, 8, 0x1000, EI, "pref_address" },
		{ BZ, FILE0, 0x260, 4, 0x10, EI, "init_size" },
		{ BZ, FILE0, 0x300, 0, 0, EI, "setup_sects" },
		{ BZ, FILE0, 0x100, 0, 0, EI, "boot_flag",
		  LIBVM_KERNEL_BZIMAGE },
		/* Too big for the RAM: init_size beyond it. */
		{ BZ, FILE0, 0x260, 4, 0x7000000, LIBVM_ERANGE, "the kernel" },
	};

	run_mutations(m, sizeof(m) / sizeof(m[0]));
}

Test(boot, bad_bzimage_not_relocatable_needs_pref_address,
     .init = bad_setup, .fini = bad_teardown)
{
	static const libvm_mem_range resv = { 16 * MIB, MIB,
					      LIBVM_E820_RESERVED, 0 };
	size_t len;
	uint8_t *buf = br_read_kernel(BZ, &len);

	cr_assert_not_null(buf);
	buf[0x234] = 0;
	try_load(buf, len, "x", 0, LIBVM_ERANGE, "not relocatable", &resv, 1);
	free(buf);
}

Test(boot, bad_bzimage_cmdline_longer_than_cmdline_size,
     .init = bad_setup, .fini = bad_teardown)
{
	size_t len;
	uint8_t *buf = br_read_kernel(BZ, &len);

	cr_assert_not_null(buf);
	h_put_le(buf + 0x238, 4, 4);
	try_load(buf, len, "hello", 0, LIBVM_EINVAL, "cmdline_size", NULL, 0);
	free(buf);
}

Test(boot, bad_pvh_note_and_elf_fields, .init = bad_setup,
     .fini = bad_teardown)
{
	static const struct mutation m[] = {
		{ "pvh64.elf", NOTE, 4, 4, 2, EI, "has 2 bytes" },
		{ "pvh32.elf", NOTE, 4, 4, 3, EI, "has 3 bytes" },
		{ "pvh64.elf", NOTE, 0, 4, 0x7fffffff, EI, "runs past" },
		{ "pvh32.elf", NOTE, 16, 4, 0x5000, EI, "not inside a loaded" },
		{ "pvh64.elf", NOTE, 16, 4, 0x9000000, EI, "not inside a "
		  "loaded" },
		{ "pvh64.elf", NOTE, 8, 4, 17, EI, "no PVH entry note",
		  LIBVM_KERNEL_PVH },
		{ "pvh32.elf", PHDR1, 16, 4, 0x7fffff00, EI, "PT_NOTE" },
		{ "pvh64.elf", PHDR1, 32, 8, 0x7fffff00, EI, "PT_NOTE" },
		{ "pvh64.elf", FILE0, 32, 8, 0x7fffff00, EI,
		  "program headers" },
		{ "pvh32.elf", FILE0, 42, 2, 8, EI, "e_phentsize" },
		{ "pvh32.elf", PHDR0, 12, 4, 0x7000000, EI, "not inside guest "
		  "RAM" },
		{ "pvh64.elf", PHDR0, 24, 8, 0x1000000000ull, EI, "not inside "
		  "guest RAM" },
		{ "pvh64.elf", FILE0, 0x40, 0, 0, EI, "beyond",
		  LIBVM_KERNEL_PVH },
	};

	run_mutations(m, sizeof(m) / sizeof(m[0]));
}

Test(boot, bad_pvh_segment_over_a_reserved_range, .init = bad_setup,
     .fini = bad_teardown)
{
	static const libvm_mem_range resv = { MIB, 0x1000,
					      LIBVM_E820_RESERVED, 0 };
	size_t len;
	uint8_t *buf = br_read_kernel("pvh32.elf", &len);

	cr_assert_not_null(buf);
	try_load(buf, len, "x", 0, LIBVM_ERANGE, "overlap", &resv, 1);
	free(buf);
}

#define MBE "multiboot.elf"
#define MBA "multiboot-aout.bin"

Test(boot, bad_multiboot_header_fields, .init = bad_setup,
     .fini = bad_teardown)
{
	static const struct mutation m[] = {
		{ MBE, MBH, 8, 4, 0, EI, "no header", LIBVM_KERNEL_MULTIBOOT },
		{ MBE, MBH, 4, 4, 0x7, LIBVM_ENOTSUP, "video mode" },
		{ MBE, MBH, 4, 4, 0x23, EI, "required bits" },
		{ MBA, MBH, 4, 4, 0x3, EI, "bit 16" },
		{ MBA, MBH, 16, 4, 0x100100, EI, "load_addr" },
		{ MBA, MBH, 12, 4, 0x1000000, EI, "load_addr" },
		{ MBA, MBH, 20, 4, 0x200000, EI, "load_end_addr" },
		{ MBA, MBH, 20, 4, 0xff000, EI, "load_end_addr" },
		{ MBA, MBH, 24, 4, 0x100010, EI, "bss_end_addr" },
		{ MBA, MBH, 28, 4, 0x80000, EI, "entry_addr" },
		{ MBA, MBH, 28, 4, 0x10000000, EI, "entry_addr" },
		{ MBA, MBH, 24, 4, 0x3000000, LIBVM_ERANGE, "not (all) guest "
		  "RAM" },
		{ MBA, MBH, 30, 0, 0, EI, "entry_addr",
		  LIBVM_KERNEL_MULTIBOOT },
		{ MBE, PHDR0, 12, 4, 0x3000000, EI, "not inside guest RAM" },
	};

	run_mutations(m, sizeof(m) / sizeof(m[0]));
}

Test(boot, bad_not_a_kernel, .init = bad_setup,
     .fini = bad_teardown)
{
	static const uint8_t junk[4096] = { 1, 2, 3 };
	static const uint8_t elf32[64] = { 0x7f, 'E', 'L', 'F', 1, 1, 1, 0,
					   [18] = 3 };
	uint32_t kind = 99;

	FAILS(libvm_kernel_probe(junk, sizeof(junk), &kind), LIBVM_EIMAGE);
	cr_assert_eq(kind, LIBVM_KERNEL_UNKNOWN);
	FAILS(libvm_kernel_probe(elf32, sizeof(elf32), &kind), LIBVM_EIMAGE);
	try_load(junk, sizeof(junk), "", 0, EI, "neither", NULL, 0);
	try_load(junk, 0, "", 0, EI, "neither", NULL, 0);
	try_load(junk, sizeof(junk), "", LIBVM_KERNEL_ELF, EI, "ELF64", NULL,
		 0);
	try_load(junk, sizeof(junk), "", LIBVM_KERNEL_PVH, EI, "PVH", NULL, 0);
}
