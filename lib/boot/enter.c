/* SPDX-License-Identifier: MIT */
/*
 * The entry state of each protocol, set through the public vCPU calls:
 * 64-bit long mode with the loader's page tables (bzImage), 32-bit flat
 * protected mode with paging off (PVH, multiboot), or libvm's long-mode
 * environment (bare ELF).  Interrupts are off in every case.
 */
#include "plan.h"

#include <string.h>

#define CR0_PE		(1ull << 0)
#define CR0_MP		(1ull << 1)
#define CR0_ET		(1ull << 4)
#define CR0_NE		(1ull << 5)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define RFLAGS_FIXED	0x2ull	/* bit 1; IF clear */

/* Flat 4 GiB segment: code (type 11, exec/read) or data (3, read/write). */
static libvm_segment flat(uint16_t sel, uint8_t type, bool code64)
{
	return (libvm_segment){
		.limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .db = code64 ? 0 : 1, .l = code64,
		.g = 1,
	};
}

static int set_state(libvm_vcpu *v, const struct lvm_boot_cpu *c, bool lm)
{
	libvm_sregs s;
	libvm_regs regs;
	int r = libvm_vcpu_get_sregs(&s, v);

	if (r < 0)
		return r;
	s.cs = flat(LVM_BOOT_SEL_CODE, 11, lm);
	s.ds = s.es = s.fs = s.gs = s.ss = flat(LVM_BOOT_SEL_DATA, 3, false);
	s.tr = (libvm_segment){
		.base = c->tss, .limit = LVM_BOOT_TSS_SIZE - 1,
		.selector = LVM_BOOT_SEL_TSS, .type = 11, .present = 1,
	};
	s.ldt = (libvm_segment){ .type = 2, .present = 1, .unusable = 1 };
	s.gdt = (libvm_dtable){ .base = c->gdt,
				.limit = LVM_BOOT_GDT_SIZE - 1 };
	s.idt = (libvm_dtable){ 0 };
	s.cr0 = lm ? CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG
		   : CR0_PE | CR0_ET;
	s.cr2 = 0;
	s.cr3 = lm ? c->cr3 : 0;
	s.cr4 = lm ? CR4_PAE : 0;
	s.cr8 = 0;
	s.efer = lm ? EFER_LME | EFER_LMA : 0;
	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	memset(&regs, 0, sizeof(regs));
	regs.rip = c->rip;
	regs.rax = c->rax;
	regs.rbx = c->rbx;
	regs.rsi = c->rsi;
	regs.rsp = c->rsp;
	regs.rflags = RFLAGS_FIXED;
	return libvm_vcpu_set_regs(v, &regs);
}

int lvm_boot_cpu_enter(const struct lvm_boot_cpu *c, libvm_vcpu *v)
{
	switch (c->mode) {
	case LVM_ENTRY_LONG64:
		return set_state(v, c, true);
	case LVM_ENTRY_PROT32:
		return set_state(v, c, false);
	default:
		return libvm_vcpu_set_long_mode(v, c->rip, c->rsp);
	}
}
