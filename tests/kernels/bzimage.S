/* SPDX-License-Identifier: MIT */
/*
 * A test kernel in the bzImage layout (Documentation/arch/x86/boot.rst):
 * a boot sector and one setup sector carrying the setup header (protocol
 * 2.15, relocatable, 64-bit entry), then the protected-mode kernel whose
 * 64-bit entry point is 0x200 bytes in.  The linker script (bzimage.ld)
 * computes syssize and init_size; objcopy -O binary makes the file,
 * padded to whole 16-byte units.
 */
#define SETUP_SECTS	1

	.section .setup, "a"
	.code16
	.globl _setup
_setup:
	.org 0x1f1
setup_sects:		.byte SETUP_SECTS
root_flags:		.word 0
syssize:		.long kernel_syssize
ram_size:		.word 0
vid_mode:		.word 0xffff
root_dev:		.word 0
boot_flag:		.word 0xaa55
	.org 0x200
jump:			.byte 0xeb, setup_header_end - 0x202
header:			.ascii "HdrS"
version:		.word 0x020f
realmode_swtch:		.long 0
start_sys_seg:		.word 0x1000
kernel_version:		.word 0
type_of_loader:		.byte 0
loadflags:		.byte 1		/* LOADED_HIGH */
setup_move_size:	.word 0x8000
code32_start:		.long 0x100000
ramdisk_image:		.long 0
ramdisk_size:		.long 0
bootsect_kludge:	.long 0
heap_end_ptr:		.word 0
ext_loader_ver:		.byte 0
ext_loader_type:	.byte 0
cmd_line_ptr:		.long 0
initrd_addr_max:	.long 0x7fffffff
kernel_alignment:	.long 0x200000
relocatable_kernel:	.byte 1
min_alignment:		.byte 21
xloadflags:		.word 1		/* XLF_KERNEL_64 */
cmdline_size:		.long 2047
hardware_subarch:	.long 0
hardware_subarch_data:	.quad 0
payload_offset:		.long 0
payload_length:		.long 0
setup_data:		.quad 0
pref_address:		.quad 0x1000000
init_size:		.long kernel_init_size
handover_offset:	.long 0
kernel_info_offset:	.long 0
setup_header_end:
	.org (SETUP_SECTS + 1) * 512

	.section .head, "ax"
	.code32
	/* The 32-bit entry (offset 0) is not used by a 64-bit loader. */
startup_32:
	cli
1:	hlt
	jmp 1b

	.org 0x200
	.code64
	.globl startup_64
startup_64:
	/* Clear the BSS (it holds the stack), then C with RSI's zero page. */
	lea __bss_start(%rip), %rdi
	lea __bss_end(%rip), %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	cld
	rep stosb
	lea stack_top(%rip), %rsp
	mov %rsi, %rdi
	call kmain
2:	cli
	hlt
	jmp 2b

	.section .bss
	.balign 16
	.space 16384
stack_top:
