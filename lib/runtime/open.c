/* SPDX-License-Identifier: MIT */
/*
 * One call for the common case: a VM with an ELF guest program ready to
 * run and call, built from the same public calls a program would make.
 */
#include "runtime.h"

#define DEFAULT_RAM	(64ull << 20)
#define DEFAULT_SYS	0x100000ull

LVM_VERSIONED(opts_type, libvm_elf_options, LIBVM_ELF_OPTIONS_VERSION,
	      LIBVM_ELF_OPTIONS_INIT);

LIBVM_API int libvm_elf_options_init(libvm_elf_options *opts,
				     uint32_t version)
{
	return lvm_versioned_init(&opts_type, opts, version);
}

/* The defaults for what the options leave 0. */
static int fill_defaults(libvm_elf_options *o)
{
	if (!o->ram_size)
		o->ram_size = DEFAULT_RAM;
	if (!o->sys_gpa)
		o->sys_gpa = DEFAULT_SYS;
	if (!o->stack_top)
		o->stack_top = o->ram_size;
	if (!o->scratch_size) {
		o->scratch_gpa = o->ram_size / 2;
		o->scratch_size = o->ram_size / 4;
	}
	if (o->ram_size & (LIBVM_PAGE_SIZE - 1))
		return lvm_err(LIBVM_EINVAL, "libvm_elf_options.ram_size %#llx "
			       "is not page aligned",
			       (unsigned long long)o->ram_size);
	return 0;
}

static int build(libvm_vm *vm, libvm_vcpu **vcpu, libvm_image **img,
		 const char *path, const libvm_elf_options *o)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	int r;

	lm.flags = o->long_mode_flags;
	lm.sys_gpa = o->sys_gpa;
	r = libvm_mem_map_anon(vm, 0, o->ram_size, 0);
	if (r < 0)
		return r;
	r = libvm_image_load_file(img, vm, path, o->load_flags);
	if (r < 0)
		return r;
	r = libvm_long_mode_setup(vm, &lm);
	if (r < 0)
		return r;
	r = libvm_scratch_set(vm, o->scratch_gpa, o->scratch_size);
	if (r < 0)
		return r;
	r = libvm_vcpu_create(vcpu, vm, 0);
	if (r < 0)
		return r;
	return libvm_vcpu_set_long_mode(*vcpu, libvm_image_entry(*img),
					o->stack_top);
}

LIBVM_API int libvm_vm_open_elf(libvm_vm **vm, libvm_vcpu **vcpu,
				libvm_image **image, const char *path,
				const libvm_elf_options *opts)
{
	libvm_elf_options o;
	libvm_image *img = NULL;
	int r;

	if (!vm || !vcpu || !path)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_open_elf: NULL argument");
	*vm = NULL;
	*vcpu = NULL;
	if (image)
		*image = NULL;
	r = lvm_versioned_in(&opts_type, &o, opts);
	if (r < 0)
		return r;
	r = fill_defaults(&o);
	if (r < 0)
		return r;
	r = libvm_vm_create(vm, o.vm_config);
	if (r < 0)
		return r;
	r = build(*vm, vcpu, &img, path, &o);
	if (r < 0) {
		libvm_image_destroy(img);
		libvm_vm_destroy(*vm);	/* and the vCPU */
		*vm = NULL;
		*vcpu = NULL;
		return r;
	}
	if (image)
		*image = img;
	else
		libvm_image_destroy(img);
	return 0;
}
