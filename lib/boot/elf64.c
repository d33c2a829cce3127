/* SPDX-License-Identifier: MIT */
/*
 * A bare ELF64 guest (no PVH note, no multiboot header): loaded at its
 * virtual addresses, as libvm's guest programs are linked (identity
 * mapped), and entered at e_entry in libvm's long-mode environment
 * (<libvm/mode.h>) with a 64 KiB stack; the environment's system area
 * and the stack go highest below 4 GiB.  Such a guest takes no command
 * line and no modules.
 */
#include "plan.h"

#define STACK_SIZE (64ull << 10)

int lvm_elf64_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		   const struct lvm_boot_in *in)
{
	uint64_t entry = 0, sys = 0, stack = 0;
	int r;

	if (lvm_elf_class(buf, len) != 64)
		return lvm_err(LIBVM_EIMAGE, "ELF guest: not an x86-64 ELF64 "
			       "image");
	if (in->cmdline[0] || in->nmods)
		return lvm_err(LIBVM_EINVAL, "ELF guest: a bare ELF64 guest "
			       "takes no command line and no modules");
	r = lvm_layout_init(&p->lay, in);
	if (r == 0)
		r = lvm_plan_elf(p, buf, len, LIBVM_LOAD_VADDR, UINT64_MAX);
	if (r == 0)
		r = lvm_plan_elf_entry(p, p->img->entry, false, &entry);
	if (r == 0)
		r = lvm_layout_alloc(&p->lay, &sys, LIBVM_SYS_SIZE,
				     LIBVM_PAGE_SIZE, LVM_1M, LVM_4G, true,
				     LIBVM_E820_RESERVED,
				     "the long-mode system area");
	if (r == 0)
		r = lvm_layout_alloc(&p->lay, &stack, STACK_SIZE,
				     LIBVM_PAGE_SIZE, LVM_1M, LVM_4G, true, 0,
				     "the stack");
	if (r == 0)
		r = lvm_plan_map(p, LVM_BOOT_MAX_MAP);
	if (r < 0)
		return r;
	lvm_plan_range(p, LIBVM_BOOT_SYSTEM, 0, sys, LIBVM_SYS_SIZE);
	lvm_plan_range(p, LIBVM_BOOT_STACK, 0, stack, STACK_SIZE);
	p->cpu = (struct lvm_boot_cpu){
		.mode = LVM_ENTRY_RUNTIME, .rip = entry,
		.rsp = stack + STACK_SIZE, .sys_gpa = sys,
	};
	return p->err;
}
