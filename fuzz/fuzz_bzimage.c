/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Linux bzImage planner (lib/boot/bzimage.c); the
 * harness and the promises it checks are in boot_fuzz.h.
 */
#include "boot_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_boot(lvm_bzimage_plan, LIBVM_KERNEL_BZIMAGE, data, size);
}
