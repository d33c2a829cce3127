/* SPDX-License-Identifier: MIT */
/* Model-specific registers, one at a time. */
#include "x86.h"
#include "one_msr.h"

#include <string.h>

LIBVM_API int libvm_vcpu_get_msr(uint64_t *out, libvm_vcpu *v, uint32_t index)
{
	struct lvm_one_msr m;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_get_msr");
	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_msr: out is NULL");
	memset(&m, 0, sizeof(m));
	m.nmsrs = 1;
	m.e.index = index;
	r = KVM_IOCTL_AS(v->fd, KVM_GET_MSRS, &m, struct kvm_msrs);
	if (r < 0)
		return r;
	if (r != 1)
		return lvm_err(LIBVM_EINVAL, "KVM_GET_MSRS: MSR %#x is not "
			       "readable", index);
	*out = m.e.data;
	return 0;
}

LIBVM_API int libvm_vcpu_set_msr(libvm_vcpu *v, uint32_t index,
				 uint64_t value)
{
	struct lvm_one_msr m;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_msr");
	r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	v->state_dirty = true;
	memset(&m, 0, sizeof(m));
	m.nmsrs = 1;
	m.e.index = index;
	m.e.data = value;
	r = KVM_IOCTL_AS(v->fd, KVM_SET_MSRS, &m, struct kvm_msrs);
	if (r < 0)
		return r;
	if (r != 1)
		return lvm_err(LIBVM_EINVAL, "KVM_SET_MSRS: MSR %#x refused "
			       "value %#llx", index,
			       (unsigned long long)value);
	return 0;
}
