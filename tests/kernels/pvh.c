/* SPDX-License-Identifier: MIT */
/*
 * The PVH test kernel's checks of struct hvm_start_info (version 1): its
 * magic, the command line, every module (page aligned RAM, its length
 * and checksum from its string "len=LEN sum=FNV"), the memory map, the
 * RSDP, that the loader's structures sit in reserved memory, the BSS
 * zeroed, and the CPU state (protected mode, paging off, TR loaded,
 * interrupts off).  What to expect comes on the command line.
 */
#include "kcommon.h"

void kmain(const uint8_t *si);

#define SI(off, n) k_le(si + (off), (n))

void kmain(const uint8_t *si)
{
	struct k_range map[128];
	uint64_t cmd_at = SI(0x18, 8), mods = SI(0x10, 8), mm = SI(0x28, 8);
	uint32_t nmods = (uint32_t)SI(0x0c, 4), n = (uint32_t)SI(0x30, 4), i;
	const char *cmd = k_ptr(cmd_at);
	unsigned long tr;

	k_puts("PVH test kernel\ncmdline: ");
	k_puts(cmd);
	k_puts("\n");
	k_check_prot32();
	__asm__ volatile("str %0" : "=r"(tr));
	K_EQ("TR", tr & 0xffff, 0x20);
	k_check_bss();
	K_EQ("hvm_start_info.magic", SI(0, 4), 0x336ec578);
	K_EQ("hvm_start_info.version", SI(4, 4), 1);
	K_EQ("hvm_start_info.flags", SI(8, 4), 0);
	K_TRUE("memmap_entries is 1 to 128", n >= 1 && n <= 128);
	for (i = 0; i < n && i < 128; i++) {
		const uint8_t *e = k_ptr(mm + 24 * i);

		map[i] = (struct k_range){ k_le(e, 8), k_le(e + 8, 8),
					   (uint32_t)k_le(e + 16, 4) };
	}
	k_check_map(map, n, cmd);
	K_TRUE("the start info is reserved",
	       k_covered(map, n, (uintptr_t)si, 0x38, 2));
	K_TRUE("the memory map is reserved", k_covered(map, n, mm, 24 * n, 2));
	K_TRUE("the command line is reserved",
	       k_covered(map, n, cmd_at, k_strlen(cmd) + 1, 2));
	K_EQ("nr_modules", nmods, k_param_hex(cmd, "mods", 0));
	for (i = 0; i < nmods && i < 64; i++) {
		const uint8_t *e = k_ptr(mods + 32 * i);
		uint64_t s = k_le(e + 16, 8);

		K_TRUE("a module has a string", s != 0);
		if (s)
			k_check_module(map, n, k_le(e, 8), k_le(e + 8, 8),
				       k_ptr(s));
		K_EQ("modlist reserved field", k_le(e + 24, 8), 0);
	}
	if (nmods)
		K_TRUE("the module list is reserved",
		       k_covered(map, n, mods, 32 * nmods, 2));
	K_EQ("rsdp_paddr", SI(0x20, 8), k_param_hex(cmd, "rsdp", 0));
	k_done();
}
