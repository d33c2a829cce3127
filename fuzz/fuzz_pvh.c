/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PVH planner (lib/boot/pvh.c and
 * the ELF note reader of lib/boot/elf.c); the
 * harness and the promises it checks are in boot_fuzz.h.
 */
#include "boot_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_boot(lvm_pvh_plan, LIBVM_KERNEL_PVH, data, size);
}
