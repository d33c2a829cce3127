/* SPDX-License-Identifier: MIT */
/*
 * What the 32-bit test kernels (PVH, multiboot) share: a 16 KiB stack in
 * the BSS (the loader zeroes it) and a halt for when kmain returns.
 */
	.text
	.code32
	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp halt_forever

	.bss
	.balign 16
	.space 16384
	.globl stack_top
stack_top:
