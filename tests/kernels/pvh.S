/* SPDX-License-Identifier: MIT */
/*
 * A PVH test kernel: an ELF whose PT_NOTE segment carries the entry
 * point (XEN_ELFNOTE_PHYS32_ENTRY), entered in 32-bit protected mode with
 * paging off and EBX = struct hvm_start_info.
 */
	.section .note.Xen, "a"
	.balign 4
	.long 4			/* namesz: "Xen\0" */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.text
	.code32
	.globl pvh_start
pvh_start:
	mov $stack_top, %esp	/* stack32.S */
	push %ebx
	call kmain
	jmp halt_forever
