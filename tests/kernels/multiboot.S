/* SPDX-License-Identifier: MIT */
/*
 * A multiboot (version 1) test kernel.  Built twice: as an ELF, and with
 * -DAOUT_KLUDGE as a flat file whose header's address fields (flag bit
 * 16) say where it goes, the way a.out kernels were loaded.
 */
#define MB_MAGIC	0x1badb002
#define MB_PAGE_ALIGN	(1 << 0)
#define MB_MEMORY_INFO	(1 << 1)
#ifdef AOUT_KLUDGE
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO | (1 << 16))
#else
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO)
#endif

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
	.long mb_header		/* header_addr */
	.long _load_start	/* load_addr */
	.long _load_end		/* load_end_addr */
	.long _bss_end		/* bss_end_addr */
	.long mb_start		/* entry_addr */
#endif

	.text
	.code32
	.globl mb_start
mb_start:
	mov $stack_top, %esp	/* stack32.S */
	push %ebx		/* the info */
	push %eax		/* the magic */
	call kmain
	jmp halt_forever
