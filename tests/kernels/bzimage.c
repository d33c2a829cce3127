/* SPDX-License-Identifier: MIT */
/*
 * The bzImage test kernel's checks, from inside the guest, of what Linux
 * relies on at its 64-bit entry: the zero page (a copy of the setup
 * header, the loader's fields, the e820 map, the command line, the
 * initrd's place and bytes, the RSDP), where the kernel itself was put,
 * and the CPU state (long mode, __BOOT_CS/__BOOT_DS, interrupts off,
 * page tables in reserved memory).  The test passes what to expect on
 * the command line: ram=, initrd=LEN,FNV, rsdp=, resv=BASE,LEN,TYPE.
 */
#include "kcommon.h"

extern const char startup_64[];
void kmain(const uint8_t *zp);

#define le k_le

/* Long mode with __BOOT_CS (0x10) and __BOOT_DS (0x18), IF clear. */
static void check_cpu(void)
{
	uint64_t cr0, cr4;
	uint32_t lo, hi;

	k_check_segments();
	__asm__ volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0),
			 "=r"(cr4));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080));
	K_EQ("CR0.PE and CR0.PG", cr0 & 0x80000001, 0x80000001);
	K_EQ("CR4.PAE", cr4 & 0x20, 0x20);
	K_EQ("EFER.LMA", lo & 0x400, 0x400);
}

static void check_initrd(const uint8_t *zp, const char *cmd,
			 const struct k_range *map, unsigned n, uint64_t load,
			 uint64_t init_size)
{
	uint64_t at = le(zp + 0x218, 4) | le(zp + 0xc0, 4) << 32;
	uint64_t len = le(zp + 0x21c, 4) | le(zp + 0xc4, 4) << 32;
	const char *p = k_param(cmd, "initrd");
	uint64_t want_len, want_sum;

	if (!p) {
		K_EQ("ramdisk_image without an initrd", at, 0);
		K_EQ("ramdisk_size without an initrd", len, 0);
		return;
	}
	want_len = k_hex(&p);
	want_sum = k_hex(&p);
	k_puts("initrd=");
	k_putx(at);
	k_puts("\n");
	K_EQ("ramdisk_size", len, want_len);
	K_EQ("the initrd is page aligned", at & 0xfff, 0);
	K_TRUE("the initrd is RAM", k_covered(map, n, at, len, 1));
	K_TRUE("the initrd ends below initrd_addr_max",
	       at + len - 1 <= le(zp + 0x22c, 4));
	K_TRUE("the initrd is outside the kernel",
	       at + len <= load || at >= load + init_size);
	K_EQ("the initrd's checksum", k_fnv(k_ptr(at), len), want_sum);
}

void kmain(const uint8_t *zp)
{
	struct k_range map[128];
	uint64_t load = (uint64_t)(uintptr_t)startup_64 - 0x200;
	uint64_t cmd_at, init_size, cr3;
	const char *cmd;
	unsigned n, i;

	k_puts("bzImage test kernel\n");
	check_cpu();
	K_EQ("boot_flag", le(zp + 0x1fe, 2), 0xaa55);
	K_EQ("header", le(zp + 0x202, 4), 0x53726448);
	K_EQ("version", le(zp + 0x206, 2), 0x20f);
	K_EQ("type_of_loader", zp[0x210], 0xff);
	K_EQ("setup_data", le(zp + 0x250, 8), 0);
	cmd_at = le(zp + 0x228, 4) | le(zp + 0xc8, 4) << 32;
	cmd = k_ptr(cmd_at);
	K_TRUE("the command line fits cmdline_size",
	       k_strlen(cmd) <= le(zp + 0x238, 4));
	k_puts("cmdline: ");
	k_puts(cmd);
	k_puts("\nload=");
	k_putx(load);
	k_puts("\n");
	K_EQ("the load address is aligned to kernel_alignment",
	     load & (le(zp + 0x230, 4) - 1), 0);
	K_EQ("code32_start is the load address", le(zp + 0x214, 4), load);
	init_size = le(zp + 0x260, 4);

	n = zp[0x1e8];
	K_TRUE("e820_entries is 1 to 128", n >= 1 && n <= 128);
	for (i = 0; i < n && i < 128; i++) {
		const uint8_t *e = zp + 0x2d0 + 20 * i;

		map[i] = (struct k_range){ le(e, 8), le(e + 8, 8),
					   (uint32_t)le(e + 16, 4) };
	}
	k_check_map(map, n, cmd);
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	K_TRUE("the kernel's init_size is RAM",
	       k_covered(map, n, load, init_size, 1));
	K_TRUE("the zero page is reserved",
	       k_covered(map, n, (uintptr_t)zp, 4096, 2));
	K_TRUE("the command line is reserved",
	       k_covered(map, n, cmd_at, k_strlen(cmd) + 1, 2));
	K_TRUE("the page tables are reserved",
	       k_covered(map, n, cr3 & ~0xfffull, 4096, 2));
	check_initrd(zp, cmd, map, n, load, init_size);
	K_EQ("acpi_rsdp_addr", le(zp + 0x70, 8), k_param_hex(cmd, "rsdp", 0));
	k_done();
}
