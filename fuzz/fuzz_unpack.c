/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: unpacking a bzImage's vmlinux on the host
 * (lib/machine/unpack.c): the setup header's payload fields, the xz and
 * gzip payloads and the size the build appends.  No cache directory.
 */
#include "machine/mach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lvm_unpacked u;

	if (lvm_mach_unpack(&u, data, size, NULL) == 0)
		lvm_mach_unpacked_free(&u);
	return 0;
}
