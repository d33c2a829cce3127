/* SPDX-License-Identifier: MIT */
/*
 * libvm: loading ELF guest images (ELF64 and ELF32, x86) into guest RAM.
 *
 * Every header field is checked against the file's size and the guest's
 * RAM before use; a bad image gives LIBVM_EIMAGE and a message naming the
 * offending header or segment, and guest RAM is left unchanged.
 */
#ifndef LIBVM_LOADER_H
#define LIBVM_LOADER_H

#include <libvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_image libvm_image;

/* libvm_image_load_* flags */
#define LIBVM_LOAD_VADDR	(1u << 0) /* place at p_vaddr, not p_paddr */

/*
 * Load the PT_LOAD segments of an ELF executable into vm's RAM: file bytes
 * copied, the rest up to p_memsz zeroed (BSS).  Segments go to their
 * physical addresses (p_paddr), or with LIBVM_LOAD_VADDR to their virtual
 * ones for identity-mapped guests.  Segments must not overlap each other
 * and must lie entirely inside guest RAM.  Nothing is written unless the
 * whole image checks out.
 *
 * What a load costs.  libvm_image_load_file takes regular files only
 * (LIBVM_EIO for a FIFO, device or directory, found out without blocking)
 * of at most 1 GiB (LIBVM_ELIMIT).  It reads the ELF header, the program
 * and section header tables, the symbol table and its string table, and
 * then the file bytes of the PT_LOAD segments it loads; nothing else of
 * the file, so time and memory follow those parts, not the file's size.
 * The bytes read are held in host memory until the segments are copied
 * (an anonymous mapping of the file's size of which only those pages are
 * touched) and freed before the call returns; the image keeps a copy of
 * the symbol names until libvm_image_destroy.  libvm_image_load_mem reads
 * the same parts of buf.  Limits (LIBVM_ELIMIT): 65535 program headers,
 * 65536 sections, 2^20 symbols, 64 MiB of string table.
 */
LIBVM_API int libvm_image_load_file(libvm_image **out, libvm_vm *vm,
				    const char *path, uint32_t flags);
LIBVM_API int libvm_image_load_mem(libvm_image **out, libvm_vm *vm,
				   const void *buf, size_t len,
				   uint32_t flags);
/* Free the host-side description; guest RAM is not touched. */
LIBVM_API void libvm_image_destroy(libvm_image *img);

/* Entry point (e_entry). */
LIBVM_API uint64_t libvm_image_entry(const libvm_image *img);
/* 32 or 64. */
LIBVM_API uint32_t libvm_image_class(const libvm_image *img);
/* Lowest and one past the highest guest address the segments occupy. */
LIBVM_API int libvm_image_extent(uint64_t *lo, uint64_t *hi,
				 const libvm_image *img);
/*
 * Address of a symbol (function or object) from the image's symbol table;
 * LIBVM_ENOENT if absent (or the image has no symbol table).
 */
LIBVM_API int libvm_image_symbol(uint64_t *addr, const libvm_image *img,
				 const char *name);

#ifdef __cplusplus
}
#endif
#endif
