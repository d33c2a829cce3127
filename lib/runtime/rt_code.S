/* SPDX-License-Identifier: MIT */
/*
 * Guest-side code of the long-mode runtime, copied by libvm_long_mode_setup
 * into the guest's system area.  Position independent.
 *
 * Exception entry points: 32 stubs, 16 bytes apart, reached through IDT
 * gates on IST1.  Each leaves [RDX, vector, error code, hardware frame] on
 * the stack and reports on LIBVM_PORT_EXCEPTION; the host reads the frame
 * and puts RDX back, so the report clobbers no register of the guest's.
 *
 * Call dispatch: the host puts the function in R11, the arguments in the
 * argument registers and the stack top in RSP, and resumes the vCPU at
 * lvm_rt_dispatch; the function's return value leaves on
 * LIBVM_PORT_RETURN, after which the vCPU sits at the OUT so that the next
 * call only sets registers (no RIP change for KVM to reconcile).
 *
 * SYSCALL entry (LSTAR, CSTAR): with EFER.SCE clear in user mode, SYSCALL
 * raises #UD by itself on VT-x and AMD-V; PVM ignores EFER.SCE and comes
 * here (at CPL3 on the PVM hosts seen so far, but a host could enter CPL0
 * with the user's RSP).  So it raises #UD without touching the stack and
 * the host reports that at the SYSCALL (RCX - 2), with RFLAGS from R11.
 *
 * SYSCALL to the host (LIBVM_LONG_SYSCALL, lvm_rt_sysport): EFER.SCE is
 * on and LSTAR leads here.  The OUT names its port as an immediate, so
 * no register of the guest's is touched; the host serves the call and
 * puts the result in RAX.  At CPL0 (VT-x, AMD-V) SYSRETQ then returns to
 * RCX with RFLAGS from R11; where SYSCALL stays at CPL3 (PVM) the host
 * does that itself and the SYSRETQ is never reached.
 */
	.section .rodata.libvm_rt, "a"
	.code64
	.globl lvm_rt_code, lvm_rt_dispatch, lvm_rt_syscall, lvm_rt_sysport
	.globl lvm_rt_code_end
	.hidden lvm_rt_code, lvm_rt_dispatch, lvm_rt_syscall, lvm_rt_sysport
	.hidden lvm_rt_code_end

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
	push %rdx
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

	.balign 16
lvm_rt_syscall:
	ud2

	.balign 16
lvm_rt_sysport:
	out %eax, $0xf5		/* LIBVM_PORT_SYSCALL */
	sysretq
lvm_rt_code_end:

	.section .note.GNU-stack, "", @progbits
