/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Linux-program ELF parser (lib/linuxprog/elf.c):
 * the program file is untrusted.  No VM.  Beyond the sanitizers, it traps
 * when a file that passed breaks a promise of the parser: every segment
 * inside the file and the program area, the entry inside the image.
 */
#include "linuxprog/lp.h"

#include <stdint.h>

#define LIMIT (256ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lp_elf e;
	uint32_t i;

	if (lp_elf_parse(&e, data, size, LIMIT) < 0)
		return 0;
	if (e.lo < LIBVM_LINUX_USER_BASE || e.hi > LIMIT ||
	    e.entry < e.lo || e.entry >= e.hi || !e.nsegs ||
	    e.nsegs > LP_MAX_SEGS)
		__builtin_trap();
	for (i = 0; i < e.nsegs; i++) {
		const struct lp_seg *s = &e.segs[i];

		if (s->off > size || s->filesz > size - s->off ||
		    s->filesz > s->memsz || s->vaddr < e.lo ||
		    s->vaddr + s->memsz > e.hi)
			__builtin_trap();
	}
	return 0;
}
