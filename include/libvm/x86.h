/* SPDX-License-Identifier: MIT */
/*
 * libvm: x86 register state.  The layouts match KVM's x86 structs, so
 * they cross the boundary without conversion.
 */
#ifndef LIBVM_X86_H
#define LIBVM_X86_H

#include <libvm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
} libvm_regs;

typedef struct libvm_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g, avl, unusable, padding;
} libvm_segment;

typedef struct libvm_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t padding[3];
} libvm_dtable;

typedef struct libvm_sregs {
	libvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
	libvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t interrupt_bitmap[4];
} libvm_sregs;

typedef struct libvm_fpu {
	uint8_t fpr[8][16];
	uint16_t fcw, fsw;
	uint8_t ftwx, pad1;
	uint16_t last_opcode;
	uint64_t last_ip, last_dp;
	uint8_t xmm[16][16];
	uint32_t mxcsr, pad2;
} libvm_fpu;

/* libvm_cpuid_entry.flags (the values of KVM's KVM_CPUID_FLAG_*) */
#define LIBVM_CPUID_FLAG_SIGNIFICANT_INDEX	(1u << 0) /* index matters */
#define LIBVM_CPUID_FLAG_STATEFUL_FUNC		(1u << 1)
#define LIBVM_CPUID_FLAG_STATE_READ_NEXT	(1u << 2)

typedef struct libvm_cpuid_entry {
	uint32_t function, index, flags; /* flags: LIBVM_CPUID_FLAG_* */
	uint32_t eax, ebx, ecx, edx;
	uint32_t padding[3];
} libvm_cpuid_entry;

#ifdef __cplusplus
}
#endif
#endif
