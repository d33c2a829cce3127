/* SPDX-License-Identifier: MIT */
/*
 * The CPU tables of the entry state: a GDT with Linux's boot selectors
 * (__BOOT_CS 0x10, __BOOT_DS 0x18) and a TSS, and page tables that
 * identity-map the first 4 GiB with 2 MiB pages for the 64-bit entry.
 * Accessed and dirty bits come preset, so the CPU never writes them.
 */
#include "plan.h"

#include <string.h>

#define SEG_CODE64	0x00af9b000000ffffull	/* L, G, P, exec/read, A */
#define SEG_CODE32	0x00cf9b000000ffffull	/* D, G, P, exec/read, A */
#define SEG_DATA	0x00cf93000000ffffull	/* D, G, P, read/write, A */
#define TSS_BUSY	0x8bull			/* P, busy TSS */

#define PTE_PRESENT	(1ull << 0)
#define PTE_WRITE	(1ull << 1)
#define PTE_ACCESSED	(1ull << 5)
#define PTE_DIRTY	(1ull << 6)
#define PTE_LARGE	(1ull << 7)
#define PTE_TABLE	(PTE_PRESENT | PTE_WRITE | PTE_ACCESSED)
#define PTE_2M		(PTE_TABLE | PTE_DIRTY | PTE_LARGE)

void lvm_boot_gdt(uint8_t *gdt, bool long64, uint64_t tss)
{
	uint64_t lim = LVM_BOOT_TSS_SIZE - 1;

	memset(gdt, 0, LVM_BOOT_GDT_SIZE);
	lvm_put64(gdt + LVM_BOOT_SEL_CODE, long64 ? SEG_CODE64 : SEG_CODE32);
	lvm_put64(gdt + LVM_BOOT_SEL_DATA, SEG_DATA);
	lvm_put64(gdt + LVM_BOOT_SEL_TSS, lim | (tss & 0xffffff) << 16 |
		  TSS_BUSY << 40 | ((tss >> 24) & 0xff) << 56);
	if (long64)	/* a 64-bit TSS descriptor takes 16 bytes */
		lvm_put64(gdt + LVM_BOOT_SEL_TSS + 8, tss >> 32);
}

void lvm_boot_pagetables(uint8_t *pt, uint64_t gpa)
{
	uint64_t i;

	memset(pt, 0, LVM_BOOT_PT_SIZE);
	lvm_put64(pt, (gpa + 0x1000) | PTE_TABLE);		/* PML4[0] */
	for (i = 0; i < 4; i++) {
		uint64_t pd = gpa + 0x2000 + 0x1000 * i, j;

		lvm_put64(pt + 0x1000 + 8 * i, pd | PTE_TABLE);	/* PDPT */
		for (j = 0; j < 512; j++)
			lvm_put64(pt + 0x2000 + 0x1000 * i + 8 * j,
				  (i << 30 | j << 21) | PTE_2M);
	}
}
