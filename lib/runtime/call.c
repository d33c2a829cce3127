/* SPDX-License-Identifier: MIT */
/* Host to guest: libvm_call runs a guest function in the runtime. */
#include "runtime.h"

#include <string.h>

/*
 * Bring a vCPU back to the dispatch loop after anything but a return:
 * finish a pending I/O first (KVM_RUN with immediate_exit), else KVM would
 * complete it against the registers set below.
 */
static int rt_rewind(libvm_vcpu *v)
{
	int r = lvm_vcpu_flush_io(v);

	if (r < 0)
		return r;
	/* The runtime's own sregs: through the run area, no ioctl. */
	return lvm_vcpu_put_sregs(v, &v->rt_sregs);
}

LIBVM_API int libvm_call(uint64_t *ret, libvm_exit *exit, libvm_vcpu *v,
			 uint64_t fn, const uint64_t *args, uint32_t nargs,
			 uint64_t timeout_ns)
{
	libvm_regs regs;
	libvm_exit ex;
	bool user;
	int r;

	if (!v || (!args && nargs))
		return lvm_err(LIBVM_EINVAL, "libvm_call: NULL argument");
	if (nargs > 6)
		return lvm_err(LIBVM_EINVAL, "libvm_call: %u arguments, at most "
			       "6", nargs);
	if (!v->rt_long)
		return lvm_err(LIBVM_ESTATE, "libvm_call: vCPU %u is not in "
			       "long mode (libvm_vcpu_set_long_mode)", v->id);
	user = !(v->vm->rt.flags & LIBVM_LONG_SUPERVISOR);
	if (!v->rt_at_dispatch) {
		r = rt_rewind(v);
		if (r < 0)
			return r;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rdi = nargs > 0 ? args[0] : 0;
	regs.rsi = nargs > 1 ? args[1] : 0;
	regs.rdx = nargs > 2 ? args[2] : 0;
	regs.rcx = nargs > 3 ? args[3] : 0;
	regs.r8 = nargs > 4 ? args[4] : 0;
	regs.r9 = nargs > 5 ? args[5] : 0;
	regs.r11 = fn;
	regs.rsp = v->rt_stack & ~15ull;
	regs.rflags = RFLAGS_FIXED | (user ? RFLAGS_IOPL3 : 0);
	if (v->rt_at_dispatch) {
		/* Parked at the return OUT: KVM steps over it. */
		libvm_regs cur;

		r = libvm_vcpu_get_regs(&cur, v);
		if (r < 0)
			return r;
		regs.rip = cur.rip;
	} else {
		regs.rip = LVM_RT_ADDR(v->vm->rt.sys_gpa, lvm_rt_dispatch);
	}
	r = libvm_vcpu_set_regs(v, &regs);
	if (r < 0)
		return r;
	r = libvm_vcpu_run(&ex, v, timeout_ns);
	if (r < 0) {
		v->rt_at_dispatch = false;
		return r;
	}
	if (exit)
		*exit = ex;
	if (ex.reason == LIBVM_EXIT_RETURN) {
		v->rt_at_dispatch = true;
		if (ret)
			*ret = ex.u.ret.value;
		return 0;
	}
	v->rt_at_dispatch = false;
	if (ex.reason == LIBVM_EXIT_TIMEOUT)
		return lvm_err(LIBVM_ETIMEOUT, "libvm_call %#llx: timed out "
			       "after %llu ns", (unsigned long long)fn,
			       (unsigned long long)timeout_ns);
	if (ex.reason == LIBVM_EXIT_EXCEPTION)
		return lvm_err(LIBVM_EGUEST, "libvm_call %#llx: guest exception "
			       "%u (error code %#llx) at rip %#llx, cr2 %#llx",
			       (unsigned long long)fn, ex.u.exception.vector,
			       (unsigned long long)ex.u.exception.error_code,
			       (unsigned long long)ex.u.exception.rip,
			       (unsigned long long)ex.u.exception.cr2);
	return lvm_err(LIBVM_EGUEST, "libvm_call %#llx: guest stopped with "
		       "exit '%s'", (unsigned long long)fn,
		       libvm_exit_reason_name(ex.reason));
}
