/* SPDX-License-Identifier: MIT */
/*
 * Creating VMs and vCPUs: the architecture-neutral part (lib/core), then
 * x86's (real-mode helpers on VT-x, irqchip, PIT; CPUID, synced registers,
 * the XSAVE size).
 */
#include "x86.h"

#include <cpuid.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

/* Three pages just below the BIOS area at the top of 4 GiB, as is usual. */
#define TSS_ADDR 0xfffbd000ul
#define IDENTITY_MAP_ADDR 0xfffbc000ull

static bool is_intel(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(0, &a, &b, &c, &d) && b == 0x756e6547; /* Genu */
}

static int vm_setup(libvm_vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t idmap = IDENTITY_MAP_ADDR;
	int r;

	/* VMX without unrestricted guest needs these for real mode. */
	if (is_intel() && lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION,
					KVM_CAP_SET_TSS_ADDR) > 0) {
		r = KVM_IOCTL_VAL(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR);
		if (r < 0)
			return r;
	}
	if (is_intel() && lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION,
					KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		r = KVM_IOCTL(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
		if (r < 0)
			return r;
	}
	if (vm->flags & LIBVM_VM_IRQCHIP) {
		if (!(vm->caps & LIBVM_HOST_IRQCHIP))
			return lvm_err(LIBVM_ENOTSUP, "LIBVM_VM_IRQCHIP: this "
				       "KVM has no in-kernel irqchip");
		r = KVM_IOCTL_VAL(vm->vm_fd, KVM_CREATE_IRQCHIP, 0);
		if (r < 0)
			return r;
	}
	if (vm->flags & LIBVM_VM_PIT) {
		if (!(vm->caps & LIBVM_HOST_PIT))
			return lvm_err(LIBVM_ENOTSUP, "LIBVM_VM_PIT: this KVM "
				       "has no in-kernel PIT");
		r = KVM_IOCTL(vm->vm_fd, KVM_CREATE_PIT2, &pit);
		if (r < 0)
			return r;
	}
	return 0;
}

LIBVM_API int libvm_vm_create(libvm_vm **out, const libvm_vm_config *cfg)
{
	libvm_vm *vm;
	int r;

	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_create: out is NULL");
	*out = NULL;
	r = lvm_vm_new(&vm, cfg);
	if (r < 0)
		return r;
	r = vm_setup(vm);
	if (r < 0) {
		libvm_vm_destroy(vm);
		return r;
	}
	*out = vm;
	return 0;
}

LIBVM_API int libvm_vcpu_create(libvm_vcpu **out, libvm_vm *vm, uint32_t id)
{
	libvm_vcpu *v;
	int r;

	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_create: out is NULL");
	*out = NULL;
	r = lvm_vcpu_new(&v, vm, id);
	if (r < 0)
		return r;
	if (vm->caps & LIBVM_HOST_SYNC_REGS) {
		v->sync_regs = true;
		/* General registers only: sregs would cost every exit. */
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	}
	r = lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	v->xsave_size = r > (int)sizeof(struct kvm_xsave) ? (uint32_t)r
						 : sizeof(struct kvm_xsave);
	r = lvm_cpuid_setup(v);
	if (r < 0) {
		libvm_vcpu_destroy(v);
		return r;
	}
	*out = v;
	return 0;
}
