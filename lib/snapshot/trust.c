/* SPDX-License-Identifier: MIT */
/*
 * The proof that lets a restore skip MSRs, XCRs, debug registers and MP
 * state (see snapshot.h): the runtime's system area is libvm's, the vCPU
 * sits at CPL3 in it with nothing that acts at CPL3, and every run ended
 * the way user-mode code ends.
 */
#define _GNU_SOURCE
#include "snapshot.h"

#include <string.h>

#define PAGE LIBVM_PAGE_SIZE

/* The region holding the runtime's tables; caller holds mem_lock. */
static struct lvm_region *sys_region(libvm_vm *vm, uint64_t sys)
{
	uint32_t i;

	for (i = 0; i < vm->nregions; i++) {
		struct lvm_region *r = &vm->regions[i];

		if (sys >= r->gpa && sys - r->gpa < r->size)
			return LIBVM_SYS_SIZE <= r->size - (sys - r->gpa) ? r
									   : NULL;
	}
	return NULL;
}

/* Whether the runtime's tables and code are libvm's; holds mem_lock. */
bool lvm_snap_rt_trusted(libvm_vm *vm)
{
	const struct lvm_rt *rt = &vm->rt;
	struct lvm_region *r;

	if (!rt->active || (rt->flags & LIBVM_LONG_SUPERVISOR) ||
	    !rt->sys_key || !rt->sys_guarded || (vm->flags & LIBVM_VM_IRQCHIP))
		return false;
	r = sys_region(vm, rt->sys_gpa);
	if (!r || (r->flags & LIBVM_MEM_VOLATILE) || !r->host_writable)
		return false;
	return lvm_rt_sys_sum(r->host + (rt->sys_gpa - r->gpa), rt->sys_key) ==
	       rt->sys_sum;
}

/*
 * MSRs that make CPL3 code change MSRs or enter CPL0: enabled performance
 * counters, LBRs/BTS, processor trace, SYSENTER (Intel, in 64-bit mode).
 */
static bool msrs_move(const struct lvm_vcpu_state *st)
{
	uint32_t i;

	for (i = 0; i < st->nmsrs; i++) {
		uint32_t x = st->msrs[i].index;
		uint64_t d = st->msrs[i].data;
		bool en = d & (1ull << 22);

		if (((x == 0x1d9 || x == 0x38d) && d) ||	/* DEBUGCTL, FIXED */
		    (x == 0x174 && (d & 0xfffc)) ||	/* SYSENTER_CS */
		    (x == 0x570 && (d & 1)) ||		/* RTIT_CTL */
		    (x >= 0x186 && x <= 0x18d && en) ||	/* P6 EVNTSEL */
		    (x >= 0xc0010000 && x <= 0xc0010003 && en) ||
		    (x >= 0xc0010200 && x <= 0xc001020b && !(x & 1) && en))
			return true;
	}
	return false;
}


/* Whether SYSCALL leads to libvm's stub (PVM ignores EFER.SCE). */
static bool syscall_to_stub(const struct lvm_rt *rt,
			    const struct lvm_vcpu_state *st)
{
	uint64_t stub = LVM_RT_SYSCALL_ENTRY(rt);
	bool lstar = false;
	uint32_t i;

	for (i = 0; i < st->nmsrs; i++) {
		uint32_t x = st->msrs[i].index;

		if ((x == LVM_MSR_LSTAR || x == LVM_MSR_CSTAR) &&
		    st->msrs[i].data != stub)
			return false;
		lstar |= x == LVM_MSR_LSTAR;
	}
	return lstar;
}

/* Whether st has the vCPU at CPL3 in the runtime's environment. */
bool lvm_snap_vcpu_user_only(const struct lvm_rt *rt,
			   const struct lvm_vcpu_state *st)
{
	const struct kvm_sregs *k = &st->sregs;
	const libvm_sregs *e = &st->rt_sregs;
	uint64_t sys = rt->sys_gpa;

	if (!st->rt_long || st->id >= LIBVM_LONG_MAX_VCPUS ||
	    k->cs.dpl != 3 || e->cs.dpl != 3 ||
	    (((k->efer | e->efer) & EFER_SCE) &&
	     !(rt->flags & LIBVM_LONG_SYSCALL)))
		return false;
	if (e->cr3 != sys + LVM_SYS_PML4 || e->gdt.base != sys + LVM_SYS_GDT ||
	    e->idt.base != sys + LVM_SYS_IDT ||
	    e->tr.base != sys + LVM_TSS_OFF(st->id) ||
	    e->gdt.limit != LVM_SEL_TSS(LIBVM_LONG_MAX_VCPUS) - 1 ||
	    e->idt.limit != 32 * 16 - 1 || e->tr.limit != LVM_TSS_LIMIT(st->id))
		return false;
	if (k->cr0 != e->cr0 || k->cr3 != e->cr3 || k->cr4 != e->cr4 ||
	    k->efer != e->efer || k->gdt.base != e->gdt.base ||
	    k->gdt.limit != e->gdt.limit || k->idt.base != e->idt.base ||
	    k->idt.limit != e->idt.limit || k->tr.base != e->tr.base ||
	    k->tr.limit != e->tr.limit || k->tr.selector != e->tr.selector)
		return false;
	/* No LDT descriptor to reach (a call gate in guest RAM). */
	if (!k->ldt.unusable && k->ldt.present && k->ldt.limit >= 7)
		return false;
	return !(st->debug.dr7 & 0xff) && !msrs_move(st) &&
	       syscall_to_stub(rt, st);
}

/*
 * Whether a run could only have changed what every snapshot restore
 * restores (registers, segment and control registers, events, FPU/XSAVE):
 * guest code in libvm's 64-bit user-mode runtime, no in-kernel irqchip
 * (its LAPIC timer and lines change state on their own), and an exit that
 * user-mode code ends with.  Exceptions (which may set DR6) and anything
 * odd do not qualify.  The rest of the proof -- the vCPU started at CPL3
 * in the runtime's environment, whose tables and code are libvm's own
 * and untouched -- is the snapshot code's (vcpu_user_only below).
 */
bool lvm_snap_run_user_only(const libvm_vcpu *v, uint32_t reason)
{
	const libvm_vm *vm = v->vm;

	if (!v->rt_long || !vm->rt.active ||
	    (vm->rt.flags & LIBVM_LONG_SUPERVISOR) ||
	    (vm->flags & LIBVM_VM_IRQCHIP))
		return false;
	switch (reason) {
	case LIBVM_EXIT_NONE:
	case LIBVM_EXIT_RETURN:
	case LIBVM_EXIT_GUEST_EXIT:
	case LIBVM_EXIT_STOPPED:
	case LIBVM_EXIT_IO:
	case LIBVM_EXIT_MMIO:
	case LIBVM_EXIT_TIMEOUT:
	case LIBVM_EXIT_CANCELLED:
		return true;
	default:
		return false;
	}
}
