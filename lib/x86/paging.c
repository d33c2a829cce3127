/* SPDX-License-Identifier: MIT */
/* Guest-virtual to guest-physical translation: x86-64 4-level paging. */
#include "x86.h"

#include <string.h>


LIBVM_API int libvm_mem_translate(uint64_t *gpa, uint32_t *flags,
				  uint64_t *page_size, libvm_vm *vm,
				  uint64_t cr3, uint64_t gva)
{
	uint64_t table = cr3 & PTE_ADDR_MASK, e = 0;
	bool w = true, u = true, nx = false;
	int level, r = 0;

	if (!gpa || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_mem_translate: NULL "
			       "argument");
	/* Bits 63:48 must copy bit 47. */
	if ((uint64_t)((int64_t)(gva << 16) >> 16) != gva)
		return lvm_err(LIBVM_EFAULT, "gva %#llx is not canonical",
			       (unsigned long long)gva);
	pthread_rwlock_rdlock(&vm->mem_lock);
	for (level = 3; level >= 0; level--) {
		unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t slot = table + ((gva >> shift) & 511) * 8;
		const void *p = lvm_gpa_ptr(vm, slot, 8, false);

		if (!p) {
			r = lvm_err(LIBVM_ERANGE, "page walk of %#llx: level-%d "
				    "entry at gpa %#llx is outside guest RAM",
				    (unsigned long long)gva, level + 1,
				    (unsigned long long)slot);
			break;
		}
		memcpy(&e, p, 8);
		if (!(e & PTE_PRESENT)) {
			r = lvm_err(LIBVM_EFAULT, "page walk of %#llx: level-%d "
				    "entry %#llx at gpa %#llx not present",
				    (unsigned long long)gva, level + 1,
				    (unsigned long long)e,
				    (unsigned long long)slot);
			break;
		}
		w = w && (e & PTE_WRITABLE);
		u = u && (e & PTE_USER);
		nx = nx || (e & PTE_NX);
		if (level == 0 || ((level == 1 || level == 2) && (e & PTE_LARGE))) {
			uint64_t size = 1ull << shift;

			*gpa = (e & PTE_ADDR_MASK & ~(size - 1)) | (gva & (size - 1));
			if (page_size)
				*page_size = size;
			if (flags)
				*flags = (w ? LIBVM_PTE_WRITABLE : 0) |
					 (u ? LIBVM_PTE_USER : 0) |
					 (nx ? LIBVM_PTE_NX : 0);
			break;
		}
		table = e & PTE_ADDR_MASK;
	}
	pthread_rwlock_unlock(&vm->mem_lock);
	return r;
}
