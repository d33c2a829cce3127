/* SPDX-License-Identifier: MIT */
/*
 * Reset-per-input fuzzing: restore, copy the input in, call the target,
 * classify how the run ended.
 */
#include "../internal.h"

#include <string.h>

LIBVM_API int libvm_fuzz_exec(libvm_fuzz_result *res, libvm_vm *vm,
			      libvm_snapshot *snap, uint64_t fn,
			      uint64_t input_gpa, uint64_t input_cap,
			      const void *data, uint64_t len,
			      uint64_t timeout_ns)
{
	libvm_vcpu *v;
	uint64_t args[2];
	int r;

	if (!res || !vm || !snap || (!data && len))
		return lvm_err(LIBVM_EINVAL, "libvm_fuzz_exec: NULL argument");
	memset(res, 0, sizeof(*res));
	v = libvm_vm_vcpu(vm, 0);
	if (!v)
		return lvm_err(LIBVM_ESTATE, "libvm_fuzz_exec: the VM has no "
			       "vCPU 0");
	r = libvm_snapshot_restore(vm, snap);
	if (r < 0)
		return r;
	if (len > input_cap) {
		len = input_cap;
		res->flags |= LIBVM_FUZZ_TRUNCATED;
	}
	r = libvm_mem_write(vm, input_gpa, data, len);
	if (r < 0)
		return r;
	args[0] = input_gpa;
	args[1] = len;
	r = libvm_call(&res->ret, &res->exit, v, fn, args, 2, timeout_ns);
	if (r == 0) {
		res->outcome = LIBVM_FUZZ_OK;
		return 0;
	}
	if (r != LIBVM_EGUEST && r != LIBVM_ETIMEOUT)
		return r;
	switch (res->exit.reason) {
	case LIBVM_EXIT_EXCEPTION:
		res->outcome = LIBVM_FUZZ_CRASH;
		break;
	case LIBVM_EXIT_SHUTDOWN:
		res->outcome = LIBVM_FUZZ_TRIPLE_FAULT;
		break;
	case LIBVM_EXIT_TIMEOUT:
		res->outcome = LIBVM_FUZZ_TIMEOUT;
		break;
	case LIBVM_EXIT_STOPPED:
		res->outcome = res->exit.u.stop.space == LIBVM_TRAP_HYPERCALL &&
					       res->exit.u.stop.addr ==
						       LIBVM_HC_BUG
				       ? LIBVM_FUZZ_BUG : LIBVM_FUZZ_STOPPED;
		break;
	default:
		res->outcome = LIBVM_FUZZ_STOPPED;
	}
	atomic_store(&vm->needs_restore, 1);
	return 0;
}
