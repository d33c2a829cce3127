/* SPDX-License-Identifier: MIT */
/* Hypercall handlers the guest calls by number, and the console. */
#include "runtime.h"

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
	return lvm_trap_remove(vm, LIBVM_TRAP_HYPERCALL, nr, NULL);
}

static int console_hc(libvm_vcpu *v, uint64_t nr, const uint64_t args[6],
		      uint64_t *ret, void *opaque)
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
