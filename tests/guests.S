/* SPDX-License-Identifier: MIT */
/*
 * Guest programs of the test suites: 16-bit real-mode code, each between
 * global NAME_start / NAME_end labels in .rodata.  The tests copy them to
 * GUEST_LOAD (helpers.h) and start a vCPU there with CS base 0; the few
 * absolute addresses below are computed from that load address.  Inputs
 * come in registers the test sets with libvm_vcpu_set_regs.
 */
#define GUEST_LOAD 0x1000
/* Address, once loaded, of label l inside guest g. */
#define ABS(g, l) (GUEST_LOAD + (l) - g##_start)

#define GUEST(g) .globl g##_start, g##_end; .type g##_start, @object; g##_start:
#define END(g) g##_end:

	.section .rodata
	.code16

/* Halt at once. */
GUEST(g_hlt)
	hlt
END(g_hlt)

/* Halt, and again if resumed. */
GUEST(g_hlt2)
	hlt
	hlt
END(g_hlt2)

/* out %eax (= %ebx as set by the host) to port 0x10, then halt. */
GUEST(g_out_ebx)
	mov	%ebx, %eax
	out	%eax, $0x10
	hlt
END(g_out_ebx)

/* Leave known values in registers and halt. */
GUEST(g_set_regs)
	mov	$0x1234abcd, %ecx
	mov	$0x55aa, %di
	hlt
END(g_set_regs)

/* IN of each size from an unhandled port, echoed back with OUT. */
GUEST(g_in_out)
	in	$0x20, %al
	out	%al, $0x21
	in	$0x22, %ax
	out	%ax, $0x23
	in	$0x24, %eax
	out	%eax, $0x25
	hlt
END(g_in_out)

/*
 * MMIO through DS = 0xffff (base 0xffff0): with %bx = 0x10 the accesses hit
 * gpa 0x100000..0x10000f.  Writes of 1, 2 and 4 bytes, then reads of 1, 2
 * and 4 bytes, each echoed to ports 0x30-0x32.
 */
GUEST(g_mmio)
	mov	$0xffff, %ax
	mov	%ax, %ds
	movb	$0x5a, (%bx)
	movw	$0x1234, 2(%bx)
	movl	$0xdeadbeef, 4(%bx)
	mov	8(%bx), %al
	out	%al, $0x30
	mov	10(%bx), %ax
	out	%ax, $0x31
	mov	12(%bx), %eax
	out	%eax, $0x32
	hlt
END(g_mmio)

/* Empty IVT (limit 0), then a software interrupt: a triple fault. */
GUEST(g_triple)
	pushw	$0
	pushw	$0
	pushw	$0
	mov	%sp, %bx
	lidt	(%bx)
	int3
	hlt
END(g_triple)

/* Same with an invalid opcode. */
GUEST(g_triple_ud2)
	pushw	$0
	pushw	$0
	pushw	$0
	mov	%sp, %bx
	lidt	(%bx)
	ud2
	hlt
END(g_triple_ud2)

/* Spin forever. */
GUEST(g_loop)
1:	jmp	1b
END(g_loop)

/* REP OUTSB of "hello" to port 0x40. */
GUEST(g_rep_outsb)
	mov	$0x40, %dx
	mov	$ABS(g_rep_outsb, 1f), %si
	mov	$5, %cx
	cld
	rep outsb
	hlt
1:	.ascii	"hello"
END(g_rep_outsb)

/* REP INSB of 5 bytes from port 0x41 to 0:0x3000. */
GUEST(g_rep_insb)
	mov	$0x41, %dx
	mov	$0x3000, %di
	mov	$5, %cx
	cld
	rep insb
	hlt
END(g_rep_insb)

/* OUT %cx bytes to port 0x40: %si, %si+1, ... (low bytes), then halt. */
GUEST(g_count)
	mov	%si, %ax
1:	out	%al, $0x40
	inc	%ax
	loop	1b
	hlt
END(g_count)

/* OUT of each size to port 0x60 (%eax from the host). */
GUEST(g_pio_out3)
	mov	$0x60, %dx
	out	%al, (%dx)
	out	%ax, (%dx)
	out	%eax, (%dx)
	hlt
END(g_pio_out3)

/* IN of each size from port 0x61, echoed to the unhandled ports 0x62-64. */
GUEST(g_pio_in_echo)
	in	$0x61, %al
	out	%al, $0x62
	in	$0x61, %ax
	out	%ax, $0x63
	in	$0x61, %eax
	out	%eax, $0x64
	hlt
END(g_pio_in_echo)

/* OUT to 0x70 (a stopping trap), then 0x99 to the unhandled port 0x71. */
GUEST(g_stop)
	out	%al, $0x70
	mov	$0x99, %al
	out	%al, $0x71
	hlt
END(g_stop)

/* MMIO write to 0x100000 (a stopping trap), then 0x99 to port 0x71. */
GUEST(g_mmio_stop)
	mov	$0xffff, %ax
	mov	%ax, %ds
	movb	$0x11, 0x10
	mov	$0x99, %al
	out	%al, $0x71
	hlt
END(g_mmio_stop)

/* OUT to 0x50, halt, OUT to 0x50 again, halt. */
GUEST(g_twice)
	out	%al, $0x50
	hlt
	out	%al, $0x50
	hlt
END(g_twice)

/* %cx OUTs of %al starting at port %dx, stepping by %si, then halt. */
GUEST(g_walk)
1:	out	%al, (%dx)
	add	%si, %dx
	loop	1b
	hlt
END(g_walk)

/*
 * Read the byte at %si:%bx and OUT it to port 0x10, then store %cl there
 * and halt.
 */
GUEST(g_peek_poke)
	mov	%si, %ds
	mov	(%bx), %al
	out	%al, $0x10
	mov	%cl, (%bx)
	hlt
END(g_peek_poke)

/* CPUID leaf 0, then halt with the answer in eax/ebx/ecx/edx. */
GUEST(g_cpuid0)
	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	hlt
END(g_cpuid0)

/*
 * Enable interrupts, tell the host with OUT 0x10 and spin; the handler
 * (g_irq_handler, for the host to put in the IVT) does OUT 0x11 and halts.
 */
GUEST(g_irq)
	sti
	out	%al, $0x10
1:	jmp	1b
	.globl	g_irq_handler
g_irq_handler:
	out	%al, $0x11
	hlt
END(g_irq)

/*
 * The in-kernel PIC set up (vectors 0x20-0x2f, only IRQ 4 unmasked),
 * interrupts on, OUT 0x10, then halt until an interrupt comes; its
 * handler (IVT entry 0x24 -> g_pic_handler, put there by the host) does
 * OUT 0x11 and halts.
 */
GUEST(g_pic_irq)
	mov	$0x11, %al	/* ICW1: edge, cascade, ICW4 follows */
	out	%al, $0x20
	mov	$0x20, %al	/* ICW2: vector base */
	out	%al, $0x21
	mov	$0x04, %al	/* ICW3: slave on IRQ 2 */
	out	%al, $0x21
	mov	$0x01, %al	/* ICW4: 8086 mode */
	out	%al, $0x21
	mov	$0xef, %al	/* OCW1: mask all but IRQ 4 */
	out	%al, $0x21
	sti
	out	%al, $0x10
1:	hlt
	jmp	1b
	.globl	g_pic_handler
g_pic_handler:
	out	%al, $0x11
	hlt
END(g_pic_irq)

	.code64
	.section .note.GNU-stack, "", @progbits
