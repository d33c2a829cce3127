/* SPDX-License-Identifier: MIT */
/* x86 specifics of VM and vCPU creation. */
#include "../internal.h"

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

int lvm_x86_vm_setup(libvm_vm *vm)
{
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t idmap = IDENTITY_MAP_ADDR;
	int r;

	/* VMX without unrestricted guest needs these for real mode. */
	if (is_intel() && lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION,
					KVM_CAP_SET_TSS_ADDR) > 0) {
		r = KVM_IOCTL(vm->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR);
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
		r = KVM_IOCTL(vm->vm_fd, KVM_CREATE_IRQCHIP, 0);
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

/* Host CPUID with this vCPU's APIC ID patched in. */
int lvm_x86_vcpu_setup(libvm_vcpu *vcpu)
{
	const libvm_cpuid_entry *sup;
	libvm_cpuid_entry *e;
	uint32_t n, i;
	int r;

	r = lvm_supported_cpuid(&sup, &n, vcpu->vm->kvm_fd);
	if (r < 0)
		return r;
	e = malloc(n * sizeof(*e) + 1);
	if (!e)
		return lvm_err(LIBVM_ENOMEM, "cpuid table");
	memcpy(e, sup, n * sizeof(*e));
	for (i = 0; i < n; i++) {
		if (e[i].function == 1)
			e[i].ebx = (e[i].ebx & 0x00ffffffu) |
				   (vcpu->id << 24);
		if (e[i].function == 0xb || e[i].function == 0x1f)
			e[i].edx = vcpu->id;
	}
	r = libvm_vcpu_set_cpuid(vcpu, e, n);
	free(e);
	return r;
}

/* XCR0 state components (Intel SDM vol. 1, 13.1; AMD APM vol. 2, 11.5.2). */
#define XF_X87		(1ull << 0)
#define XF_SSE		(1ull << 1)
#define XF_AVX		(1ull << 2)
#define XF_MPX		(3ull << 3)	/* BNDREGS, BNDCSR */
#define XF_AVX512	(7ull << 5)	/* opmask, ZMM_Hi256, Hi16_ZMM */
#define XF_PKRU		(1ull << 9)
#define XF_AMX		(3ull << 17)	/* XTILECFG, XTILEDATA */
#define XF_USER		(XF_X87 | XF_SSE | XF_AVX | XF_MPX | XF_AVX512 | \
			 XF_PKRU | XF_AMX)

const char *lvm_x86_xcr0_check(uint64_t xcr0)
{
	if (xcr0 & ~XF_USER)
		return "bits that are no user state component of XCR0";
	if (!(xcr0 & XF_X87))
		return "no x87 bit (XCR0 bit 0 is always set)";
	if ((xcr0 & XF_AVX) && !(xcr0 & XF_SSE))
		return "AVX without SSE";
	if ((xcr0 & XF_MPX) && (xcr0 & XF_MPX) != XF_MPX)
		return "one of the two MPX bits";
	if ((xcr0 & XF_AVX512) &&
	    ((xcr0 & XF_AVX512) != XF_AVX512 || !(xcr0 & XF_AVX)))
		return "AVX-512 bits not all set, or without AVX";
	if ((xcr0 & XF_AMX) && (xcr0 & XF_AMX) != XF_AMX)
		return "one of the two AMX bits";
	return NULL;
}

uint32_t lvm_x86_xsave_need(uint64_t xcr0)
{
	/* Standard-format offsets: AMX tile data ends at 2816 + 8192. */
	if (xcr0 & XF_AMX)
		return 2816 + 8192;
	return 4096;	/* struct kvm_xsave holds everything else */
}
