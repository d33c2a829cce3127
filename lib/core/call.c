/* SPDX-License-Identifier: MIT */
/*
 * Calls between host and a long-mode guest: the runtime ports seen by the
 * run loop, hypercall registration, libvm_call and the scratch area.
 */
#include "../internal.h"

#include <linux/kvm.h>
#include <string.h>

bool lvm_read_u64(libvm_vm *vm, uint64_t gpa, uint64_t *val)
{
	const void *p;

	pthread_rwlock_rdlock(&vm->mem_lock);
	p = lvm_gpa_ptr(vm, gpa, 8, false);
	if (p)
		memcpy(val, p, 8);
	pthread_rwlock_unlock(&vm->mem_lock);
	return p != NULL;
}

/* The general registers after an exit, without an ioctl when synced. */
static libvm_regs *exit_regs(libvm_vcpu *v, libvm_regs *buf)
{
	if (v->sync_regs)
		return (libvm_regs *)&v->run->s.regs.regs;
	if (libvm_vcpu_get_regs(buf, v) < 0)
		return NULL;
	return buf;
}

static void fill_exception(libvm_vcpu *v, libvm_exit *ex,
			   const libvm_regs *regs)
{
	uint64_t f[7] = { 0 };
	libvm_sregs s;
	int i;

	ex->reason = LIBVM_EXIT_EXCEPTION;
	/* [vector, error code, rip, cs, rflags, rsp, ss] on the IST stack */
	for (i = 0; i < 7; i++)
		if (!lvm_read_u64(v->vm, regs->rsp + 8ull * (unsigned)i, &f[i]))
			f[i] = ~0ull;
	ex->u.exception.vector = (uint32_t)f[0];
	ex->u.exception.error_code = f[1];
	ex->u.exception.has_error_code =
		f[0] < 32 && ((1u << f[0]) & 0x60227d00u) != 0;
	ex->u.exception.rip = f[2];
	ex->u.exception.cs = f[3];
	ex->u.exception.rflags = f[4];
	ex->u.exception.rsp = f[5];
	if (f[0] == 14 && libvm_vcpu_get_sregs(&s, v) == 0)
		ex->u.exception.cr2 = s.cr2;
	v->rt_at_dispatch = false;
}

int lvm_rt_port(libvm_vcpu *v, libvm_exit *ex, int *stop)
{
	struct kvm_run *run = v->run;
	libvm_regs buf, *regs;
	uint64_t args[6], ret, nr;
	int h;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.count != 1)
		return -1;
	regs = exit_regs(v, &buf);
	if (!regs)
		return -1;
	switch (run->io.port) {
	case LIBVM_PORT_HYPERCALL:
		if ((uint32_t)regs->rax == LIBVM_HC_EXIT) {
			ex->reason = LIBVM_EXIT_GUEST_EXIT;
			ex->u.guest_exit.code = (int64_t)regs->rdi;
			v->rt_at_dispatch = false;
			return 0;
		}
		if ((uint32_t)regs->rax == LIBVM_HC_BUG) {
			ex->reason = LIBVM_EXIT_STOPPED;
			ex->u.stop.space = LIBVM_TRAP_HYPERCALL;
			ex->u.stop.code = (int32_t)regs->rdi;
			ex->u.stop.addr = LIBVM_HC_BUG;
			ex->u.stop.value = regs->rdi;
			v->rt_at_dispatch = false;
			return 0;
		}
		args[0] = regs->rdi, args[1] = regs->rsi, args[2] = regs->rcx;
		args[3] = regs->r8, args[4] = regs->r9, args[5] = regs->r10;
		nr = (uint32_t)regs->rax;
		h = lvm_hypercall_dispatch(v, nr, args, &ret, stop);
		regs->rax = ret;
		if (v->sync_regs)
			run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		else if (libvm_vcpu_set_regs(v, regs) < 0)
			return -1;
		if (h == 1)
			return 1;
		ex->reason = LIBVM_EXIT_STOPPED;
		ex->u.stop.space = LIBVM_TRAP_HYPERCALL;
		ex->u.stop.code = *stop;
		ex->u.stop.addr = nr;
		ex->u.stop.value = args[0];
		return 0;
	case LIBVM_PORT_RETURN:
		ex->reason = LIBVM_EXIT_RETURN;
		ex->u.ret.value = regs->rax;
		return 0;
	case LIBVM_PORT_EXCEPTION:
		fill_exception(v, ex, regs);
		return 0;
	}
	return -1;
}

/* ---- hypercall registry ------------------------------------------------ */

LIBVM_API int libvm_hypercall_register(libvm_vm *vm, uint32_t nr,
				       libvm_hypercall_fn fn, void *opaque)
{
	struct lvm_trap tmpl = { .hfn = fn, .opaque = opaque };

	if (!vm || !fn)
		return lvm_err(LIBVM_EINVAL, "libvm_hypercall_register: NULL "
			       "argument");
	if (nr < LIBVM_HC_USER && nr != LIBVM_HC_CONSOLE)
		return lvm_err(LIBVM_EINVAL, "libvm_hypercall_register: %u is "
			       "libvm's (0-%u but %u, the console, are "
			       "reserved; programs use %u and up)", nr,
			       LIBVM_HC_USER - 1, LIBVM_HC_CONSOLE,
			       LIBVM_HC_USER);
	return lvm_trap_insert(vm, LIBVM_TRAP_HYPERCALL, nr, 1, &tmpl);
}

LIBVM_API int libvm_hypercall_unregister(libvm_vm *vm, uint32_t nr)
{
	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_hypercall_unregister: vm is "
			       "NULL");
	return lvm_trap_remove(vm, LIBVM_TRAP_HYPERCALL, nr);
}

static int console_hc(uint64_t *ret, libvm_vcpu *v, uint64_t nr,
		      const uint64_t args[6], void *opaque)
{
	libvm_vm *vm = v->vm;
	const char *p;

	(void)nr;
	(void)opaque;
	pthread_rwlock_rdlock(&vm->mem_lock);
	p = args[1] <= (1u << 20) ? lvm_gpa_ptr(vm, args[0], args[1], false)
				   : NULL;
	if (p && args[1])
		vm->rt.console(p, (size_t)args[1], vm->rt.console_opaque);
	pthread_rwlock_unlock(&vm->mem_lock);
	*ret = p ? args[1] : (uint64_t)(int64_t)LIBVM_ERANGE;
	return LIBVM_TRAP_CONTINUE;
}

LIBVM_API int libvm_console_attach(libvm_vm *vm, libvm_console_fn fn,
				   void *opaque)
{
	int r;

	if (!vm || !fn)
		return lvm_err(LIBVM_EINVAL, "libvm_console_attach: NULL "
			       "argument");
	vm->rt.console = fn;
	vm->rt.console_opaque = opaque;
	r = libvm_hypercall_register(vm, LIBVM_HC_CONSOLE, console_hc, NULL);
	return r == LIBVM_EOVERLAP ? 0 : r;
}

/* ---- host to guest ---------------------------------------------------- */

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
	regs.rflags = user ? 0x3002 : 0x2;
	if (v->rt_at_dispatch) {
		/* Parked at the return OUT: KVM steps over it. */
		libvm_regs cur;

		r = libvm_vcpu_get_regs(&cur, v);
		if (r < 0)
			return r;
		regs.rip = cur.rip;
	} else {
		regs.rip = v->vm->rt.sys_gpa + LVM_SYS_CODE +
			   (uint64_t)(lvm_rt_dispatch - lvm_rt_code);
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

/* ---- scratch area ---------------------------------------------------------- */

LIBVM_API int libvm_scratch_set(libvm_vm *vm, uint64_t gpa, uint64_t size)
{
	void *p;

	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_scratch_set: vm is NULL");
	pthread_rwlock_rdlock(&vm->mem_lock);
	p = lvm_gpa_ptr(vm, gpa, size, true);
	pthread_rwlock_unlock(&vm->mem_lock);
	if (!p || !size)
		return lvm_err(LIBVM_ERANGE, "libvm_scratch_set: %#llx+%#llx is "
			       "not inside one writable RAM region",
			       (unsigned long long)gpa,
			       (unsigned long long)size);
	vm->rt.scratch_gpa = gpa;
	vm->rt.scratch_size = size;
	vm->rt.scratch_used = 0;
	return 0;
}

LIBVM_API int libvm_scratch_push(uint64_t *gva, libvm_vm *vm, const void *src,
				 uint64_t len)
{
	uint64_t at;
	int r;

	if (!gva || !vm || (!src && len))
		return lvm_err(LIBVM_EINVAL, "libvm_scratch_push: NULL argument");
	if (!vm->rt.scratch_size)
		return lvm_err(LIBVM_ESTATE, "libvm_scratch_push: no scratch "
			       "area (libvm_scratch_set)");
	at = (vm->rt.scratch_used + 15) & ~15ull;
	if (at > vm->rt.scratch_size || len > vm->rt.scratch_size - at)
		return lvm_err(LIBVM_ELIMIT, "libvm_scratch_push: %llu bytes do "
			       "not fit, %llu of %llu used",
			       (unsigned long long)len,
			       (unsigned long long)vm->rt.scratch_used,
			       (unsigned long long)vm->rt.scratch_size);
	r = libvm_mem_write(vm, vm->rt.scratch_gpa + at, src, len);
	if (r < 0)
		return r;
	vm->rt.scratch_used = at + len;
	*gva = vm->rt.scratch_gpa + at;
	return 0;
}

LIBVM_API void libvm_scratch_reset(libvm_vm *vm)
{
	if (vm)
		vm->rt.scratch_used = 0;
}
