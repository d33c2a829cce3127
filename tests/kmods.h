/* SPDX-License-Identifier: MIT */
/*
 * Kernel modules for a test initramfs: find NAME.ko under an unpacked
 * modules tree (scripts/debian-kernel's, which has no modules.dep) and
 * the modules it depends on (the "depends=" of its .modinfo), in the
 * order insmod wants them: dependencies first.
 */
#ifndef LIBVM_TESTS_KMODS_H
#define LIBVM_TESTS_KMODS_H

#include <stddef.h>

#define KMODS_MAX 32

struct kmods {
	size_t n;
	char path[KMODS_MAX][1024];	/* load order */
};

/*
 * Resolve the modules named in want (NULL-terminated; '-' and '_' are the
 * same) under dir.  0, or -1 with the reason in why.
 */
int kmods_resolve(struct kmods *out, const char *dir, const char *const *want,
		  char *why, size_t whycap);

#endif
