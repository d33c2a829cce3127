/* SPDX-License-Identifier: MIT */
/*
 * The multiboot test kernel's checks of what the specification promises:
 * EAX = 0x2BADB002, the info's flags, mem_lower and mem_upper against the
 * memory map, the map itself (walked by its size fields), the command
 * line and the loader's name, every module (page aligned as the header
 * asks, its bytes against its string "len=LEN sum=FNV", clear of the
 * kernel), the loader's structures in reserved memory, the BSS zeroed,
 * and the CPU state (protected mode, paging off, interrupts off).
 */
#include "kcommon.h"

extern const char _load_start[], _bss_end[];
void kmain(uint32_t magic, const uint8_t *mbi);

#define MBI(off) k_le(mbi + (off), 4)

/* KiB of RAM from base to the end of its map entry (at most limit). */
static uint64_t ram_kib(const struct k_range *m, unsigned n, uint64_t base,
			uint64_t limit)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (m[i].type == 1 && m[i].base <= base &&
		    base < m[i].base + m[i].len) {
			uint64_t end = m[i].base + m[i].len;

			return ((end < limit ? end : limit) - base) >> 10;
		}
	return 0;
}

static unsigned read_map(struct k_range *map, const uint8_t *mbi)
{
	uint64_t at = MBI(48), end = at + MBI(44);
	unsigned n = 0;

	while (at < end && n < 128) {
		const uint8_t *e = k_ptr(at);

		map[n++] = (struct k_range){ k_le(e + 4, 8), k_le(e + 12, 8),
					     (uint32_t)k_le(e + 20, 4) };
		K_EQ("mmap entry size", k_le(e, 4), 20);
		at += k_le(e, 4) + 4;
	}
	return n;
}

void kmain(uint32_t magic, const uint8_t *mbi)
{
	struct k_range map[128];
	uint64_t flags = MBI(0), nmods = MBI(20), mods = MBI(24);
	uint64_t kstart = (uintptr_t)_load_start, kend = (uintptr_t)_bss_end;
	const char *cmd = k_ptr(MBI(16));
	unsigned n, i;

	k_puts("multiboot test kernel\ncmdline: ");
	k_puts(cmd);
	k_puts("\n");
	K_EQ("EAX (boot loader magic)", magic, 0x2badb002);
	k_check_prot32();
	k_check_bss();
	K_EQ("info flags: mem, cmdline, mods, mmap, loader name",
	     flags & 0x24d, 0x24d);
	K_TRUE("boot_loader_name is libvm",
	       k_streq(k_ptr(MBI(64)), "libvm"));
	n = read_map(map, mbi);
	k_check_map(map, n, cmd);
	K_EQ("mem_lower", MBI(4), ram_kib(map, n, 0, 0xa0000));
	K_EQ("mem_upper", MBI(8), ram_kib(map, n, 0x100000, 1ull << 32));
	K_TRUE("the info is reserved",
	       k_covered(map, n, (uintptr_t)mbi, 0x78, 2));
	K_TRUE("the mmap is reserved",
	       k_covered(map, n, MBI(48), MBI(44), 2));
	K_TRUE("the command line is reserved",
	       k_covered(map, n, MBI(16), k_strlen(cmd) + 1, 2));
	K_EQ("mods_count", nmods, k_param_hex(cmd, "mods", 0));
	for (i = 0; i < nmods && i < 64; i++) {
		const uint8_t *e = k_ptr(mods + 16 * i);
		uint64_t s = k_le(e, 4), end = k_le(e + 4, 4);

		K_TRUE("mod_end is not below mod_start", end >= s);
		k_check_module(map, n, s, end - s, k_ptr(k_le(e + 8, 4)));
		K_TRUE("the module is clear of the kernel",
		       end <= kstart || s >= kend);
	}
	k_done();
}
