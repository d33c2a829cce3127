/* SPDX-License-Identifier: MIT */
/*
 * libvm: guest physical memory and host access to it.
 *
 * Regions are page aligned (4 KiB; 2 MiB with LIBVM_MEM_HUGEPAGES), may not
 * overlap and are identified by their guest-physical base address.
 */
#ifndef LIBVM_MEMORY_H
#define LIBVM_MEMORY_H

#include <libvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Region flags. */
#define LIBVM_MEM_READONLY	(1u << 0) /* guest writes exit as MMIO */
#define LIBVM_MEM_HUGEPAGES	(1u << 1) /* anonymous: 2 MiB pages */
/*
 * The region is not part of snapshots (restore leaves it alone; a fork
 * maps no copy of it).  For memory shared with the host such as a
 * fuzzer's coverage map.
 */
#define LIBVM_MEM_VOLATILE	(1u << 2)

/* Map size bytes of fresh zeroed anonymous memory at gpa. */
LIBVM_API int libvm_mem_map_anon(libvm_vm *vm, uint64_t gpa, uint64_t size,
				 uint32_t flags);
/*
 * Map memory the caller owns (page aligned) at gpa.  The caller keeps it
 * mapped until libvm_mem_unmap() or libvm_vm_destroy() returns.
 */
LIBVM_API int libvm_mem_map_host(libvm_vm *vm, uint64_t gpa, void *host,
				 uint64_t size, uint32_t flags);
/*
 * Map size bytes of a file or memfd, from offset, at gpa (MAP_SHARED: guest
 * writes reach the file unless LIBVM_MEM_READONLY).  libvm dups nothing:
 * the caller may close fd once this returns.
 */
LIBVM_API int libvm_mem_map_fd(libvm_vm *vm, uint64_t gpa, int fd,
			       uint64_t offset, uint64_t size, uint32_t flags);
/* Remove the region that starts at gpa. */
LIBVM_API int libvm_mem_unmap(libvm_vm *vm, uint64_t gpa);

/*
 * Host pointer for [gpa, gpa+len), which must lie inside one region.
 * Valid until that region is unmapped.
 */
LIBVM_API int libvm_mem_ptr(void **out, libvm_vm *vm, uint64_t gpa,
			    uint64_t len);
/* Copy between host and guest RAM; the whole range must be guest RAM. */
LIBVM_API int libvm_mem_read(libvm_vm *vm, uint64_t gpa, void *dst,
			     uint64_t len);
LIBVM_API int libvm_mem_write(libvm_vm *vm, uint64_t gpa, const void *src,
			      uint64_t len);

/* Page-walk result flags (libvm_mem_translate's *flags). */
#define LIBVM_PTE_WRITABLE	(1u << 0)
#define LIBVM_PTE_USER		(1u << 1)
#define LIBVM_PTE_NX		(1u << 2)

/*
 * Translate a guest-virtual address through the 4-level page tables rooted
 * at cr3 (4 KiB, 2 MiB and 1 GiB pages).  flags and page_size may be NULL.
 * LIBVM_EFAULT when gva is not mapped, LIBVM_ERANGE when a table lies
 * outside guest RAM.
 */
LIBVM_API int libvm_mem_translate(uint64_t *gpa, uint32_t *flags,
				  uint64_t *page_size, libvm_vm *vm,
				  uint64_t cr3, uint64_t gva);

#ifdef __cplusplus
}
#endif
#endif
