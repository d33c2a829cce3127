/* SPDX-License-Identifier: MIT */
/*
 * Guest-side code of the long-mode runtime, copied by libvm_long_mode_setup
 * into the guest's system area.  Position independent.
 *
 * Exception entry points: 32 stubs, 16 bytes apart, reached through IDT
 * gates on IST1.  Each leaves [vector, error code, hardware frame] on the
 * stack and reports on LIBVM_PORT_EXCEPTION; the host reads the frame.
 *
 * Call dispatch: the host puts the function in R11, the arguments in the
 * argument registers and the stack top in RSP, and resumes the vCPU at
 * lvm_rt_dispatch; the function's return value leaves on
 * LIBVM_PORT_RETURN, after which the vCPU sits at the OUT so that the next
 * call only sets registers (no RIP change for KVM to reconcile).
 */
	.section .rodata.libvm_rt, "a"
	.code64
	.globl lvm_rt_code, lvm_rt_dispatch, lvm_rt_code_end
	.hidden lvm_rt_code, lvm_rt_dispatch, lvm_rt_code_end

.macro stub v
	.balign 16
	.if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
	.else
	pushq $0
	.endif
	pushq $\v
	jmp .Lreport
.endm

	.balign 16
lvm_rt_code:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr

	.balign 16
.Lreport:
	mov $0x0f12, %dx
	out %al, (%dx)
1:	hlt
	jmp 1b

	.balign 16
lvm_rt_dispatch:
.Ldispatch:
	call *%r11
	mov $0x0f11, %dx
	out %eax, (%dx)
	jmp .Ldispatch
lvm_rt_code_end:

	.section .note.GNU-stack, "", @progbits
