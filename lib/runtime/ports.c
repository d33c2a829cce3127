/* SPDX-License-Identifier: MIT */
/*
 * The runtime's ports, an internal trap the runtime registers in the VM's
 * trap registry (libvm_long_mode_setup): hypercalls, the return of a
 * libvm_call, and exception reports from the stubs in rt_code.S.
 */
#include "runtime.h"

#include <linux/kvm.h>
#include <string.h>

const char lvm_rt_owner[] = "the long-mode runtime";

/*
 * A SYSCALL that came to the runtime's stub (lib/x86/rt_code.S): report
 * the #UD at the SYSCALL, with the RFLAGS it saved in R11, as VT-x and
 * AMD-V raise it with EFER.SCE clear.
 */
static void syscall_as_ud(libvm_vcpu *v, libvm_exit *ex, const libvm_regs *regs)
{
	bool user = !(v->vm->rt.flags & LIBVM_LONG_SUPERVISOR);

	ex->u.exception.rip = regs->rcx - 2;	/* 0f 05 */
	ex->u.exception.rflags = regs->r11;
	ex->u.exception.cs = user ? LVM_SEL_UCODE : LVM_SEL_KCODE;
}

/*
 * The exception stubs leave [RDX, vector, error code, rip, cs, rflags,
 * rsp, ss] at the top of the vCPU's IST stack.  RDX goes back into the
 * guest's registers (runtimes in snapshots of older builds push none).
 */
static int fill_exception(libvm_vcpu *v, libvm_exit *ex, libvm_regs *regs)
{
	uint64_t sys = v->vm->rt.sys_gpa, f[7] = { 0 }, frame = regs->rsp;
	libvm_sregs s;
	int i;

	if (frame == LVM_IST_TOP(sys, v->id) - 8 * 8 &&
	    lvm_read_u64(v->vm, frame, &regs->rdx)) {
		if (v->sync_regs)
			v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		else if (libvm_vcpu_set_regs(v, regs) < 0)
			return -1;
		frame += 8;
	}
	ex->reason = LIBVM_EXIT_EXCEPTION;
	for (i = 0; i < 7; i++)
		if (!lvm_read_u64(v->vm, frame + 8ull * (unsigned)i, &f[i]))
			f[i] = ~0ull;
	ex->u.exception.vector = (uint32_t)f[0];
	ex->u.exception.error_code = f[1];
	ex->u.exception.has_error_code =
		f[0] < 32 && ((1u << f[0]) & 0x60227d00u) != 0;
	ex->u.exception.rip = f[2];
	ex->u.exception.cs = f[3];
	ex->u.exception.rflags = f[4];
	ex->u.exception.rsp = f[5];
	if (f[0] == 6 && f[2] == LVM_RT_ADDR(sys, lvm_rt_syscall))
		syscall_as_ud(v, ex, regs);
	if (f[0] == 14 && libvm_vcpu_get_sregs(&s, v) == 0)
		ex->u.exception.cr2 = s.cr2;
	v->rt_at_dispatch = false;
	return 0;
}

/* A hypercall: libvm's own numbers, else the registered handler. */
static enum lvm_dispatch hypercall(libvm_vcpu *v, libvm_regs *regs,
				   libvm_exit *ex)
{
	uint32_t nr = (uint32_t)regs->rax;
	enum lvm_dispatch d;
	uint64_t args[6], ret;

	if (nr == LIBVM_HC_EXIT) {
		ex->reason = LIBVM_EXIT_GUEST_EXIT;
		ex->u.guest_exit.code = (int64_t)regs->rdi;
		v->rt_at_dispatch = false;
		return LVM_DISPATCH_EXIT;
	}
	if (nr == LIBVM_HC_BUG) {
		lvm_exit_stop(ex, LIBVM_TRAP_HYPERCALL, LIBVM_HC_BUG,
			      (int32_t)regs->rdi, regs->rdi);
		v->rt_at_dispatch = false;
		return LVM_DISPATCH_EXIT;
	}
	args[0] = regs->rdi, args[1] = regs->rsi, args[2] = regs->rcx;
	args[3] = regs->r8, args[4] = regs->r9, args[5] = regs->r10;
	d = lvm_hypercall_dispatch(v, nr, args, &ret, ex);
	regs->rax = ret;
	if (v->sync_regs)
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	else if (libvm_vcpu_set_regs(v, regs) < 0)
		return LVM_DISPATCH_NONE;
	return d;
}

static enum lvm_dispatch rt_port(libvm_vcpu *v, const struct lvm_access *a,
				 libvm_exit *ex, void *opaque)
{
	libvm_regs buf, *regs;

	(void)opaque;
	if (!v->vm->rt.active || a->direction != LIBVM_WRITE || a->count != 1)
		return LVM_DISPATCH_NONE;
	regs = lvm_vcpu_regs(v, &buf);
	if (!regs)
		return LVM_DISPATCH_NONE;
	switch (a->addr) {
	case LIBVM_PORT_HYPERCALL:
		return hypercall(v, regs, ex);
	case LIBVM_PORT_RETURN:
		ex->reason = LIBVM_EXIT_RETURN;
		ex->u.ret.value = regs->rax;
		return LVM_DISPATCH_EXIT;
	case LIBVM_PORT_EXCEPTION:
		return fill_exception(v, ex, regs) < 0 ? LVM_DISPATCH_NONE
						       : LVM_DISPATCH_EXIT;
	case LIBVM_PORT_SYSCALL:
		if (!(v->vm->rt.flags & LIBVM_LONG_SYSCALL))
			return LVM_DISPATCH_NONE;
		return lvm_rt_serve_syscall(v, regs, ex);
	}
	return LVM_DISPATCH_NONE;
}

static int claim(libvm_vm *vm, uint16_t first, uint16_t last)
{
	const struct lvm_trap t = { .afn = rt_port, .owner = lvm_rt_owner };

	if (lvm_trap_owned(vm, LIBVM_TRAP_PIO, first, lvm_rt_owner))
		return 0;
	return lvm_trap_insert(vm, LIBVM_TRAP_PIO, first, last - first + 1u,
			       &t);
}

/*
 * Claiming is all or nothing: a port taken by a program's trap fails the
 * call with LIBVM_EOVERLAP and leaves no new claim behind.
 */
int lvm_rt_ports_on(libvm_vm *vm, uint32_t flags)
{
	bool had = lvm_trap_owned(vm, LIBVM_TRAP_PIO, LIBVM_PORT_HYPERCALL,
				  lvm_rt_owner);
	int r;

	r = claim(vm, LIBVM_PORT_HYPERCALL, LIBVM_PORT_EXCEPTION);
	if (r < 0 || !(flags & LIBVM_LONG_SYSCALL))
		return r;
	r = claim(vm, LIBVM_PORT_SYSCALL, LIBVM_PORT_SYSCALL);
	if (r < 0 && !had)
		lvm_trap_remove(vm, LIBVM_TRAP_PIO, LIBVM_PORT_HYPERCALL,
				lvm_rt_owner);
	return r;
}
