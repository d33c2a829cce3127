/* SPDX-License-Identifier: MIT */
/*
 * System calls of user-mode code (LIBVM_LONG_SYSCALL): SYSCALL leads to
 * the runtime's stub, whose OUT to LIBVM_PORT_SYSCALL ends here, and the
 * handler of libvm_syscall_handler_set serves it.
 */
#include "runtime.h"

#include <linux/kvm.h>

#define LVM_ENOSYS 38ull	/* Linux's ENOSYS */
/* The RFLAGS bits SYSRET takes from R11. */
#define SYSRET_RFLAGS	0x3c7fd7ull

/*
 * Where the SYSCALL entry runs on this host, learnt at the first system
 * call of a vCPU: at CPL0 its SYSRETQ returns to the guest, at CPL3 (PVM)
 * the host moves RIP and RFLAGS as SYSRET would.
 */
static int sys_where(libvm_vcpu *v)
{
	libvm_sregs s;

	if (likely(v->rt_sys_where))
		return v->rt_sys_where;
	if (libvm_vcpu_get_sregs(&s, v) < 0)
		return -1;
	v->rt_sys_where = (s.cs.selector & 3) == 3 ? 1 : 2;
	return v->rt_sys_where;
}

enum lvm_dispatch lvm_rt_serve_syscall(libvm_vcpu *v, libvm_regs *regs,
				       libvm_exit *ex)
{
	libvm_vm *vm = v->vm;
	uint64_t args[6], ret = (uint64_t)-LVM_ENOSYS, nr = regs->rax;
	int h = LIBVM_TRAP_CONTINUE, where = sys_where(v);
	libvm_regs buf;

	if (where < 0)
		return LVM_DISPATCH_NONE;
	if (vm->rt.syscall_fn) {
		args[0] = regs->rdi, args[1] = regs->rsi, args[2] = regs->rdx;
		args[3] = regs->r10, args[4] = regs->r8, args[5] = regs->r9;
		h = vm->rt.syscall_fn(v, nr, args, &ret,
				      vm->rt.syscall_opaque);
		/* The handler may have set registers (or read them anew). */
		regs = lvm_vcpu_regs(v, &buf);
		if (!regs)
			return LVM_DISPATCH_NONE;
	}
	regs->rax = ret;
	if (where == 1) {
		regs->rip = regs->rcx;
		regs->rflags = (regs->r11 & SYSRET_RFLAGS) | RFLAGS_FIXED;
	}
	if (v->sync_regs)
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	else if (libvm_vcpu_set_regs(v, regs) < 0)
		return LVM_DISPATCH_NONE;
	if (h == LIBVM_TRAP_CONTINUE)
		return LVM_DISPATCH_CONTINUE;
	lvm_exit_stop(ex, LIBVM_TRAP_SYSCALL, nr, h, regs->rdi);
	return LVM_DISPATCH_EXIT;
}

LIBVM_API int libvm_syscall_handler_set(libvm_vm *vm, libvm_hypercall_fn fn,
					void *opaque)
{
	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_syscall_handler_set: vm is "
			       "NULL");
	vm->rt.syscall_fn = fn;
	vm->rt.syscall_opaque = fn ? opaque : NULL;
	return 0;
}
