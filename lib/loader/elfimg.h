/* SPDX-License-Identifier: MIT */
/*
 * ELF image parsing, kept apart from the VM so it can be tested and fuzzed
 * without /dev/kvm.  Never installed.
 */
#ifndef LIBVM_LOADER_ELFIMG_H
#define LIBVM_LOADER_ELFIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvm/loader.h>

/* Limits on what libvm takes from an image (beyond them: LIBVM_ELIMIT). */
#define LVM_ELF_MAX_FILE	(1ull << 30)	/* libvm_image_load_file */
#define LVM_ELF_MAX_PHDRS	65535u
#define LVM_ELF_MAX_SYMS	(1u << 20)
#define LVM_ELF_MAX_NAMES	(64u << 20)	/* bytes of symbol names */
#define LVM_ELF_MAX_STRTAB	(64u << 20)	/* the symbols' string table */
#define LVM_ELF_MAX_SECTIONS	65536u

/* Guest RAM the image may occupy: sorted by gpa, not overlapping. */
struct lvm_ram_range {
	uint64_t gpa, size;
};

/* One PT_LOAD segment that occupies guest memory (p_memsz > 0). */
struct lvm_elf_seg {
	uint64_t addr;		/* guest address: p_paddr or p_vaddr */
	uint64_t vaddr, paddr;
	uint64_t offset, filesz, memsz;
	uint32_t phdr;		/* program header index, for messages */
	uint32_t flags;		/* PF_* */
};

struct lvm_elf_sym {
	uint64_t value;
	const char *name;	/* into libvm_image.names */
	size_t off;		/* the same as an offset, while names grows */
	bool global;		/* STB_GLOBAL wins over local and weak */
};

struct libvm_image {
	uint64_t entry, lo, hi;
	uint32_t class;
	struct lvm_elf_seg *segs;	/* sorted by addr */
	uint32_t nsegs;
	struct lvm_elf_sym *syms;	/* sorted by name */
	uint32_t nsyms;
	char *names;
};

/*
 * Parse and check every field of the ELF image buf[0, len) against the
 * file's size and against ram[0, nram), touching no VM.  On success *out
 * describes the segments (as offsets into buf) and the symbol table (a
 * copy).  Errors: LIBVM_EIMAGE for a bad image, LIBVM_ELIMIT beyond the
 * limits above, LIBVM_EINVAL, LIBVM_ENOMEM.
 */
int lvm_elf_parse(libvm_image **out, const void *buf, size_t len,
		  uint32_t flags, const struct lvm_ram_range *ram,
		  uint32_t nram);

/*
 * Reading an image from a file part by part (lib/loader/fetch.c): rd
 * copies n bytes at file offset off into dst (0 or a LIBVM_E* code).
 * buf is the image's buffer of len bytes (the file's size), zero but for
 * what these fetch: the headers that lvm_elf_parse reads, then the file
 * bytes of the segments of an image it accepted.
 */
typedef int (*lvm_elf_pread_fn)(void *ctx, void *dst, uint64_t off,
				uint64_t n);
int lvm_elf_fetch_headers(uint8_t *buf, size_t len, lvm_elf_pread_fn rd,
			  void *ctx);
int lvm_elf_fetch_segments(uint8_t *buf, size_t len, const libvm_image *img,
			   lvm_elf_pread_fn rd, void *ctx);

#endif
