/* SPDX-License-Identifier: MIT */
/* The scratch area: guest RAM for call arguments. */
#include "runtime.h"

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
