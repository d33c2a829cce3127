/* SPDX-License-Identifier: MIT */
/* CPUID: what KVM supports, and each vCPU's table. */
#include "x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

/*
 * KVM_GET_SUPPORTED_CPUID is constant for a host, so the first answer is
 * kept for the life of the process (a plain cache, no resources held).
 */
_Static_assert(LIBVM_CPUID_FLAG_SIGNIFICANT_INDEX ==
	       KVM_CPUID_FLAG_SIGNIFCANT_INDEX, "cpuid flag");
_Static_assert(LIBVM_CPUID_FLAG_STATEFUL_FUNC == KVM_CPUID_FLAG_STATEFUL_FUNC,
	       "cpuid flag");
_Static_assert(LIBVM_CPUID_FLAG_STATE_READ_NEXT ==
	       KVM_CPUID_FLAG_STATE_READ_NEXT, "cpuid flag");

static pthread_mutex_t cpuid_lock = PTHREAD_MUTEX_INITIALIZER;
static libvm_cpuid_entry *cpuid_cache;
static uint32_t cpuid_count;

int lvm_supported_cpuid(const libvm_cpuid_entry **out, uint32_t *n,
			int kvm_fd)
{
	struct kvm_cpuid2 *c = NULL;
	uint32_t nent = 128;
	int r = 0;

	_Static_assert(sizeof(libvm_cpuid_entry) ==
		       sizeof(struct kvm_cpuid_entry2), "cpuid layout");
	pthread_mutex_lock(&cpuid_lock);
	while (!cpuid_cache) {
		free(c);
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c) {
			r = lvm_err(LIBVM_ENOMEM, "cpuid table");
			break;
		}
		c->nent = nent;
		r = lvm_ioctl_raw(kvm_fd, KVM_GET_SUPPORTED_CPUID,
				  (unsigned long)c);
		if (r == -E2BIG && nent < 4096) {
			nent *= 2;
			continue;
		}
		if (r < 0) {
			r = lvm_err_errno(LIBVM_EKVM, -r,
					  "KVM_GET_SUPPORTED_CPUID (nent %u)",
					  nent);
			break;
		}
		cpuid_cache = malloc(c->nent * sizeof(*cpuid_cache) + 1);
		if (!cpuid_cache) {
			r = lvm_err(LIBVM_ENOMEM, "cpuid table");
			break;
		}
		memcpy(cpuid_cache, c->entries,
		       c->nent * sizeof(*cpuid_cache));
		cpuid_count = c->nent;
		r = 0;
	}
	if (cpuid_cache) {
		*out = cpuid_cache;
		*n = cpuid_count;
	}
	pthread_mutex_unlock(&cpuid_lock);
	free(c);
	return r < 0 ? r : 0;
}

/* Host CPUID with this vCPU's APIC ID patched in. */
int lvm_cpuid_setup(libvm_vcpu *vcpu)
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

LIBVM_API int libvm_vcpu_get_cpuid(libvm_vcpu *v, libvm_cpuid_entry *out,
				   uint32_t *count)
{
	struct kvm_cpuid2 *c;
	uint32_t cap;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_get_cpuid");
	if (!count || (!out && *count))
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_cpuid: NULL "
			       "argument");
	cap = *count < 256 ? 256 : *count;
	c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
	if (!c)
		return lvm_err(LIBVM_ENOMEM, "libvm_vcpu_get_cpuid");
	c->nent = cap;
	r = KVM_IOCTL(v->fd, KVM_GET_CPUID2, c);
	if (r >= 0) {
		if (c->nent > *count) {
			r = lvm_err(LIBVM_ELIMIT, "libvm_vcpu_get_cpuid: %u "
				    "entries, room for %u", c->nent, *count);
		} else {
			memcpy(out, c->entries, c->nent * sizeof(*out));
			r = 0;
		}
		*count = c->nent;
	}
	free(c);
	return r;
}

LIBVM_API int libvm_vcpu_set_cpuid(libvm_vcpu *v,
				   const libvm_cpuid_entry *entries,
				   uint32_t count)
{
	struct kvm_cpuid2 *c;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_cpuid");
	if ((!entries && count) || count > 4096)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_cpuid: %u entries",
			       count);
	c = calloc(1, sizeof(*c) + count * sizeof(c->entries[0]) + 1);
	if (!c)
		return lvm_err(LIBVM_ENOMEM, "libvm_vcpu_set_cpuid");
	c->nent = count;
	if (count)
		memcpy(c->entries, entries, count * sizeof(*entries));
	v->state_dirty = true;
	r = KVM_IOCTL(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? r : 0;
}
